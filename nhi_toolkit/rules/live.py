"""Rules judged against what AWS itself says (``nhi verify``). Their metadata lives here with every
other rule; the findings are made by :mod:`nhi_toolkit.aws.verify`, which asks AWS, and flow through
the same severity overrides, suppressions and ``--fail-on`` as every other finding. On plain
``nhi check`` (no cloud) they find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from nhi_toolkit.model import Finding, Severity
from nhi_toolkit.rules.base import Context, Rule

__all__ = [
    "CredentialOutsideTerraform",
    "Dormant",
    "KeyActivePastExpiry",
    "KeyInactiveNotDeleted",
    "KeyTooOld",
    "LiveLookupDenied",
    "LiveRule",
    "Unmanaged",
]


class LiveRule(Rule):
    """A rule whose findings come from a live lookup; nothing to judge in files alone."""

    def check_all(self, ctx: Context) -> Iterator[Finding]:
        return iter(())


class KeyActivePastExpiry(LiveRule):
    id = "NHI030"
    name = "key-active-past-expiry"
    severity = Severity.ERROR
    summary = "Access key still Active in AWS past its expiry"
    description = ("The access key's expiry (its own, or inherited from its user) has passed, and AWS "
                   "still reports the key Active: whoever holds the secret can still sign requests.")
    fix = "Retire the key now (nhi retire), or deactivate it in an emergency and retire it after."


class KeyInactiveNotDeleted(LiveRule):
    id = "NHI031"
    name = "key-inactive-not-deleted"
    severity = Severity.WARNING
    summary = "Access key Inactive but still present (revoked, not deleted)"
    description = ("An Inactive key can be switched back on by anyone with iam:UpdateAccessKey; a "
                   "revocation is complete only when the key is deleted.")
    fix = "Delete the key through Terraform (remove the aws_iam_access_key, or nhi retire)."


class KeyTooOld(LiveRule):
    id = "NHI032"
    name = "key-too-old"
    severity = Severity.WARNING
    summary = "Access key older than its type's maximum age"
    description = ("The key's creation date in AWS is further back than the maximum lifetime of its "
                   "type (max_lifetime_days; access keys 90 days by default).")
    fix = "Rotate the key: create a new one through Terraform and retire the old one."


class Dormant(LiveRule):
    id = "NHI033"
    name = "dormant"
    severity = Severity.WARNING
    summary = "Identity not used within the dormancy window"
    description = ("An access key whose last use (GetAccessKeyLastUsed) or a role whose last use "
                   "(RoleLastUsed, which IAM keeps for the trailing 400 days only) is older than the "
                   "window (dormant_days, --dormant-days; 90 by default), or never used; keys and roles "
                   "younger than the window are given that long before judged. Each finding says how "
                   "fresh IAM's usage data is.")
    fix = "Retire identities nobody uses; an unused credential is pure risk."


class CredentialOutsideTerraform(LiveRule):
    id = "NHI034"
    name = "credential-outside-terraform"
    severity = Severity.ERROR
    summary = "Credential or permission attached outside Terraform"
    description = ("A managed user or role carries something no input declares: a second access key, "
                   "a console login profile, an inline policy or an attached managed policy. Retiring "
                   "through Terraform would leave it behind (or fail on it).")
    fix = "Import it into Terraform with an owner and expiry, or delete it."


class Unmanaged(LiveRule):
    id = "NHI035"
    name = "unmanaged"
    severity = Severity.WARNING
    summary = "Identity in the account that no given state manages"
    description = ("An IAM user (with its access keys), role or Secrets Manager secret that none of the "
                   "inputs manages, ranked by how much it looks like an AI integration (trust to "
                   "bedrock.amazonaws.com or sagemaker.amazonaws.com, AI-service policies, names and "
                   "tags, secrets named like model-provider keys); AI-like ones are errors. Service-linked "
                   "(/aws-service-role/) and AWS-reserved (/aws-reserved/) roles are skipped. The "
                   "finding's address is the ARN, so a suppression can name an ARN glob.")
    fix = "Declare it in Terraform with an owner and an expiry, or delete it; waive known exceptions."
    severities = (
        (Severity.WARNING, "nothing about it looks like an AI integration"),
        (Severity.ERROR, ("it looks like one (trust to, policies, names, tags or secret names of AI "
                          "services: AI-likeness above zero)")),
    )


class LiveLookupDenied(LiveRule):
    id = "NHI036"
    name = "live-lookup-denied"
    severity = Severity.ERROR
    summary = "AWS refused a lookup of this identity"
    description = ("The credentials nhi verify runs with may not read this identity (AccessDenied), or "
                   "the lookup failed: it could not be verified. The message names the missing IAM "
                   "action and the caller.")
    fix = "Grant the read-only actions listed in docs/aws.md to the verifying role."
