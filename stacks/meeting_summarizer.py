"""A meeting-summarizer pilot whose approval ran out: expired, and kept only so it can be retired.

It synthesizes (with warnings), ``nhi check`` reports its identities ``expired``, and a plan with
``nhi_now`` set destroys all of them: ``nhi retire`` takes the declared-expiry route.
"""

from __future__ import annotations

from datetime import date

from constructs import Construct

from nhi_toolkit.cdktf import AiIntegration, AwsProvider, NhiPolicy
from nhi_toolkit.cdktf._runtime import cdk

ACCOUNT = "123456789012"


class MeetingSummarizer(cdk.TerraformStack):  # type: ignore[misc,name-defined]
    """Transcribe and summarize meetings with a hosted model; the pilot ended on 2026-10-31."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        pilot = AiIntegration(
            self, "meeting-summarizer", owner="bob@example.com", expires=date(2026, 10, 31),
            purpose="meeting transcription and summary pilot", approved_by="SEC-1180",
        )
        pilot.workload_role(
            trusted_service="lambda.amazonaws.com", source_account=ACCOUNT,
            managed_policy_arns=["arn:aws:iam::aws:policy/AmazonTranscribeReadOnlyAccess"],
        )
        pilot.api_key_secret(
            "summary-model", rotation_days=30,
            rotation_lambda_arn=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:rotate-summary-model-key",
        )
        NhiPolicy.apply_to(self)
