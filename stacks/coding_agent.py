"""An internal coding agent with repository access, and the CI that deploys it through OIDC."""

from __future__ import annotations

from datetime import date

from constructs import Construct

from nhi_toolkit.cdktf import AiIntegration, AwsProvider, NhiPolicy
from nhi_toolkit.cdktf._runtime import cdk

ACCOUNT = "123456789012"
GITHUB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


class CodingAgent(cdk.TerraformStack):  # type: ignore[misc,name-defined]
    """The agent runs on ECS with a task role; its GitHub App key sits in Secrets Manager; CI deploys
    it with a role assumed through GitHub's OIDC provider, from the main branch only."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="us-east-1")
        agent = AiIntegration(
            self, "coding-agent", owner="platform-team@example.com", expires=date(2027, 2, 28),
            purpose="internal coding agent that opens pull requests", approved_by="SEC-1290",
        )
        agent.workload_role(
            "task-role", trusted_service="ecs-tasks.amazonaws.com", source_account=ACCOUNT,
            inline_policies={"invoke-model": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["bedrock:InvokeModel"],
                               "Resource": "arn:aws:bedrock:us-east-1::foundation-model/*"}],
            }},
        )
        agent.api_key_secret(
            "github-app-key", rotation_days=14,
            rotation_lambda_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-github-app-key",
            description="Private key of the coding agent's GitHub App (repository access)",
        )
        agent.ci_oidc_role(
            provider_arn=GITHUB_OIDC,
            subjects=["repo:example-org/coding-agent:ref:refs/heads/main"],
            inline_policies={"deploy-agent": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow",
                               "Action": ["ecs:UpdateService", "ecs:DescribeServices",
                                          "ecr:PutImage", "ecr:UploadLayerPart"],
                               "Resource": "*"}],
            }},
        )
        NhiPolicy.apply_to(self)
