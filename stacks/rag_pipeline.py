"""A retrieval-augmented generation pipeline that reads a document bucket through a role."""

from __future__ import annotations

from constructs import Construct

from nhi_toolkit.cdktf import AiIntegration, AwsProvider, NhiPolicy
from nhi_toolkit.cdktf._runtime import cdk

ACCOUNT = "123456789012"
BUCKET = "example-policy-documents"


class RagPipeline(cdk.TerraformStack):  # type: ignore[misc,name-defined]
    """An ingestion Lambda reads the bucket read-only, embeds with Bedrock and writes the vector index."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-central-1")
        rag = AiIntegration(
            self, "rag-pipeline", owner="team-search@example.com", expires="2027-06-30",
            purpose="retrieval over internal policy documents", approved_by="SEC-1301",
        )
        rag.workload_role(
            "ingest-role", trusted_service="lambda.amazonaws.com", source_account=ACCOUNT,
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
            inline_policies={
                "read-documents": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["s3:ListBucket"],
                         "Resource": f"arn:aws:s3:::{BUCKET}"},
                        {"Effect": "Allow", "Action": ["s3:GetObject"],
                         "Resource": f"arn:aws:s3:::{BUCKET}/*"},
                    ],
                },
                "embed-and-index": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["bedrock:InvokeModel"],
                         "Resource": "arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0"},
                        {"Effect": "Allow", "Action": ["aoss:APIAccessAll"],
                         "Resource": f"arn:aws:aoss:eu-central-1:{ACCOUNT}:collection/policy-docs"},
                    ],
                },
            },
        )
        NhiPolicy.apply_to(self)
