"""An autonomous finance workflow: an agent that reconciles invoices and drafts payments for approval.

Also shows the policy judging resources declared without the helpers: an inline policy and a
bank-webhook secret written with the typed wrappers directly, the latter with a recorded suppression.
"""

from __future__ import annotations

from datetime import date

from constructs import Construct

from nhi_toolkit.cdktf import (
    AiIntegration,
    AwsProvider,
    IamRolePolicy,
    NhiPolicy,
    SecretsManagerSecret,
    suppress,
)
from nhi_toolkit.cdktf._runtime import cdk

ACCOUNT = "123456789012"


class FinanceWorkflow(cdk.TerraformStack):  # type: ignore[misc,name-defined]
    """Step Functions runs the agent under a role; a legacy ERP that cannot assume roles gets a
    short-lived static key (flagged as the weaker choice)."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region="eu-west-1")
        fin = AiIntegration(
            self, "finance-workflow", owner="finance-eng@example.com", expires=date(2027, 5, 31),
            purpose="invoice reconciliation and payment drafting agent", approved_by="SEC-1322",
            extra_tags={"cost-center": "FIN-42"},
        )
        role = fin.workload_role(
            "agent-role", trusted_service="states.amazonaws.com", source_account=ACCOUNT,
            inline_policies={"ledger-read": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                               "Resource": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/ledger"}],
            }},
        )
        # Declared with the typed wrapper directly: inherits owner and expiry from the role it names.
        IamRolePolicy(
            self, "draft-payments", logical_name="finance_workflow_draft_payments", for_each=fin.gate,
            role=role.role.ref("name"), name="draft-payments",
            policy={"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                                   "Resource": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:payment-drafts"}]},
        )
        fin.static_user(
            "erp-connector", expires=date(2027, 2, 15),
            justification="the hosted ERP only accepts static IAM keys until its 2027 upgrade",
            managed_policy_arns=[f"arn:aws:iam::{ACCOUNT}:policy/erp-invoice-export"],
        )
        # The bank issues this webhook signing secret by hand, so it has no rotation Lambda.
        webhook = SecretsManagerSecret(
            self, "bank-webhook", logical_name="finance_workflow_bank_webhook", for_each=fin.gate,
            name="ai/finance-workflow/bank-webhook", description="Bank webhook signing secret",
            recovery_window_in_days=7, tags=fin.tags,
        )
        suppress(webhook, "missing-revocation-path",
                 reason="the bank issues the signing secret by hand; treasury rotates it quarterly",
                 until=date(2027, 1, 31))
        NhiPolicy.apply_to(self)
