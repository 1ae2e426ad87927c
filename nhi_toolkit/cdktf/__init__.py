"""CDKTF constructs for the non-human identities of AI integrations, and the policy that checks them.

The right way is the easy way: one :class:`AiIntegration` per integration, whose helpers emit the
identities it uses on AWS, each tagged, bounded in lifetime and retirable by construction::

    from datetime import date
    from nhi_toolkit.cdktf import AiIntegration, AwsProvider, NhiPolicy

    class SupportChatbot(TerraformStack):
        def __init__(self, scope, id):
            super().__init__(scope, id)
            AwsProvider(self, "aws", region="eu-west-1")
            bot = AiIntegration(self, "support-chatbot", owner="alice@example.com",
                                expires=date(2027, 3, 31), purpose="customer support assistant",
                                approved_by="SEC-1234")
            bot.workload_role(trusted_service="bedrock.amazonaws.com", managed_policy_arns=[...])
            bot.api_key_secret("model-provider", rotation_lambda_arn=..., rotation_days=30)
            NhiPolicy.apply_to(self)

Helpers: ``workload_role`` (preferred), ``api_key_secret`` (Secrets Manager with rotation, no value
synthesized), ``static_user`` (IAM user and access key: allowed, flagged as the weaker choice) and
``ci_oidc_role`` (a role CI assumes through an OIDC provider). Every identity carries the tags
``owner``, ``expires_at``, ``purpose``, ``approved_by``, ``integration`` and ``revocation_path``, or
rather the first key of each of the checker's key lists (``owner_keys``, ``expiry_keys``,
``purpose_keys``, ``approval_keys``, ``integration_keys``, ``revocation_keys`` in ``[tool.nhi]``).
Untaggable children (attachments, access keys, rotations) reference their parent with real
Terraform references, which is how the checker lets them inherit owner and expiry.

Declared expiry, for ``nhi retire``: each synthesized stack declares ``variable "nhi_now"`` (string,
default null) and ``local.nhi_now_instant`` (the same instant, a date meaning 00:00Z), and every
identity an integration emits is declared through::

    for_each = { for k, v in { "support-chatbot" = "2027-04-01T00:00:00Z" } : k => v
                 if local.nhi_now_instant == null ? true : timecmp(local.nhi_now_instant, v) < 0 }

where ``v`` is the expiry instant (a date D is valid through D, so its instant is D+1 at 00:00Z).
With ``nhi_now`` unset everything is declared (addresses such as
``aws_iam_role.support_chatbot_workload_role["support-chatbot"]``); a plan with ``nhi_now`` at or past
the instant declares nothing of that integration, so Terraform destroys it. References between
gated resources use ``[each.key]``.

The clock: ``NHI_NOW`` (YYYY-MM-DD or RFC 3339), the setting ``nhi check --now`` and
``nhi retire --now`` read, else the system clock. It decides "expiry too far" at construction time
and "expired" / "expiring soon" at synth (warnings, never failures).

Runtime: cdktf 0.21.0 by default, or the fork cdktn (``NHI_CDK_RUNTIME=cdktn``); see
``nhi_toolkit.cdktf._runtime``. No prebuilt provider bindings are used. See docs/cdktf.md.
"""

from __future__ import annotations

from nhi_toolkit.cdktf._runtime import RUNTIME
from nhi_toolkit.cdktf.aws import (
    AwsProvider,
    AwsResource,
    IamAccessKey,
    IamRole,
    IamRolePolicy,
    IamRolePolicyAttachment,
    IamUser,
    IamUserPolicyAttachment,
    SecretsManagerSecret,
    SecretsManagerSecretRotation,
    policy_document,
)
from nhi_toolkit.cdktf.declaration import (
    NHI_NOW_ENV,
    NHI_NOW_LOCAL,
    NHI_NOW_VARIABLE,
    Declaration,
    DeclarationError,
    clock,
    gate_expression,
)
from nhi_toolkit.cdktf.integration import (
    AiIntegration,
    ApiKeySecret,
    StaticUser,
    WorkloadRole,
    declare_nhi_now,
    suppress,
)
from nhi_toolkit.cdktf.policy import SYNTH_WARNING_RULES, NhiPolicy, PolicyMessage

__all__ = [
    "NHI_NOW_ENV",
    "NHI_NOW_LOCAL",
    "NHI_NOW_VARIABLE",
    "RUNTIME",
    "SYNTH_WARNING_RULES",
    "AiIntegration",
    "ApiKeySecret",
    "AwsProvider",
    "AwsResource",
    "Declaration",
    "DeclarationError",
    "IamAccessKey",
    "IamRole",
    "IamRolePolicy",
    "IamRolePolicyAttachment",
    "IamUser",
    "IamUserPolicyAttachment",
    "NhiPolicy",
    "PolicyMessage",
    "SecretsManagerSecret",
    "SecretsManagerSecretRotation",
    "StaticUser",
    "WorkloadRole",
    "clock",
    "declare_nhi_now",
    "gate_expression",
    "policy_document",
    "suppress",
]
