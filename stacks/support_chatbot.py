"""A customer support chatbot on Bedrock that also calls a third-party model provider with an API key."""

from __future__ import annotations

from datetime import date

from constructs import Construct

from nhi_toolkit.cdktf import AiIntegration, AwsProvider, NhiPolicy
from nhi_toolkit.cdktf._runtime import cdk

ACCOUNT = "123456789012"


class SupportChatbot(cdk.TerraformStack):  # type: ignore[misc,name-defined]
    """Bedrock invocation through a workload role; the provider key in Secrets Manager, rotated monthly."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        bot = AiIntegration(
            self, "support-chatbot", owner="alice@example.com", expires=date(2027, 3, 31),
            purpose="customer support assistant on Bedrock", approved_by="SEC-1234",
        )
        bot.workload_role(
            trusted_service="bedrock.amazonaws.com", source_account=ACCOUNT,
            managed_policy_arns=["arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess"],
            inline_policies={"read-help-center": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                               "Resource": "arn:aws:s3:::example-help-center/articles/*"}],
            }},
        )
        bot.api_key_secret(
            "model-provider", rotation_days=30,
            rotation_lambda_arn=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:rotate-model-provider-key",
        )
        NhiPolicy.apply_to(self)
