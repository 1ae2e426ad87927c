"""Why each rule matters and how to fix it, in CDKTF and in HCL: one table keyed by rule id.

``nhi explain RULE``, docs/rules.md and the SARIF rule descriptors all read this table. Every rule
has an entry (a test checks); a rule without one would fall back to its own ``description`` and
``fix``, so a new rule is documented (briefly) the moment it is registered in ``ALL_RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nhi_toolkit.model import Severity
from nhi_toolkit.rules import ALL_RULES, RULE_ERROR_ID, Rule

__all__ = ["GUIDES", "RuleError", "RuleGuide", "documented_rules", "find_rule", "guide_for"]


@dataclass(frozen=True)
class RuleGuide:
    """The explanation of one rule."""

    rationale: str
    fix_cdktf: str
    fix_hcl: str


class RuleError(Rule):
    """The pseudo-rule under which a crashed rule is reported (never a silent pass)."""

    id = RULE_ERROR_ID
    name = "rule-error"
    severity = Severity.ERROR
    summary = "A rule crashed on this input"
    description = ("A rule raised an error while judging this input. The crash is reported as an "
                   "error-level finding so that it can never turn into a pass.")
    fix = "Report the input shape that triggers it; check the input with NHI_DEBUG=1 for details."
    waivable = False


_LIFECYCLE_CDKTF = ('AiIntegration(self, "bot", owner="alice@example.com", expires=date(2027, 3, 31), '
                    '...) sets owner and expiry on every identity it emits.')
_TAGS_HCL = ('tags = { owner = "alice@example.com", expires_at = "2027-03-31" } on the identity (or its '
             'parent), or module "nhi-lifecycle" from modules/.')

GUIDES: dict[str, RuleGuide] = {
    RULE_ERROR_ID: RuleGuide(
        rationale=("A checker that skips what it cannot judge reports a pass for inputs it never "
                   "looked at. A crashed rule is therefore an error, and the check fails."),
        fix_cdktf="Synthesize again (cdktf synth) and check cdktf.out/; report the stack shape if it persists.",
        fix_hcl="Check the plan JSON (terraform show -json) instead of raw HCL, and report the input shape.",
    ),
    "NHI001": RuleGuide(
        rationale=("An identity nobody owns is never reviewed, rotated or retired: when the use case "
                   "ends, its access survives. The owner is who gets asked before it is retired."),
        fix_cdktf=_LIFECYCLE_CDKTF,
        fix_hcl=_TAGS_HCL + " Untaggable credentials (access keys) inherit from their user.",
    ),
    "NHI002": RuleGuide(
        rationale=("Without an end date an identity lives forever by default. An expiry turns "
                   "retirement into a scheduled, reviewable event instead of an audit finding."),
        fix_cdktf=_LIFECYCLE_CDKTF,
        fix_hcl=_TAGS_HCL,
    ),
    "NHI003": RuleGuide(
        rationale=("An expiry that is not a real date cannot be judged: the identity would silently "
                   "never expire."),
        fix_cdktf="Pass expires=date(2027, 3, 31) (a date object, validated at synth).",
        fix_hcl='expires_at = "2027-03-31" (YYYY-MM-DD, valid through that UTC day) or "2027-03-31T17:00:00Z".',
    ),
    "NHI004": RuleGuide(
        rationale=("The identity outlived its approved use. Every day it stays it is access nobody "
                   "has agreed to."),
        fix_cdktf=("Remove the AiIntegration from the stack, or run nhi retire; to keep it, extend "
                   "expires= with a new approval (approved_by=)."),
        fix_hcl=("Run nhi retire --terraform-dir DIR (declared expiry through nhi_now), or delete the "
                 "block; to keep it, raise expires_at with a new approved_by."),
    ),
    "NHI005": RuleGuide(
        rationale="Expiry should never surprise its owner: the warning window leaves time to renew or retire.",
        fix_cdktf="Agree renewal or retirement with the owner; renewal is a new expires= with approved_by=.",
        fix_hcl="Agree renewal or retirement with the owner; renewal is a new expires_at with approved_by.",
    ),
    "NHI006": RuleGuide(
        rationale=("A far expiry is no expiry: static keys and passwords should rotate within weeks, "
                   "principals be re-approved yearly."),
        fix_cdktf="Choose an expires= within the type's maximum lifetime (the construct checks it at synth).",
        fix_hcl=("Bring expires_at within the limit, or raise [tool.nhi.max_lifetime_days] for the type "
                 "with a reason in review."),
    ),
    "NHI007": RuleGuide(
        rationale=("A value known only after apply cannot be judged on the plan; it is reported so the "
                   "gap is visible, and checked again in state."),
        fix_cdktf="Pass literal owner= and expires= values rather than tokens from other resources.",
        fix_hcl="Use literal tag values, variable defaults, tfvars or locals rather than computed attributes.",
    ),
    "NHI010": RuleGuide(
        rationale=("Retirement through Terraform only works for what Terraform can destroy: "
                   "prevent_destroy, forgotten resources, unmanaged parents and unrotated secret copies "
                   "keep access alive after the destroy."),
        fix_cdktf=("Drop lifecycle prevent_destroy, manage the parent in the same stack, and use "
                   "api_key_secret(..., rotation_days=30, rotation_lambda_arn=...)."),
        fix_hcl=("Remove prevent_destroy and removed { lifecycle { destroy = false } }, manage the parent, "
                 "add aws_secretsmanager_secret_rotation, and keep revocation_path truthful."),
    ),
    "NHI011": RuleGuide(
        rationale=("A change made outside Terraform is invisible to review and to retirement: the next "
                   "apply may undo it, and an orphan is never retired."),
        fix_cdktf="Restore owner/expiry through the construct and deploy; import or remove orphans deliberately.",
        fix_hcl="Restore the tags in code and apply; terraform import or remove orphans deliberately.",
    ),
    "NHI012": RuleGuide(
        rationale=("Access owned by someone who left has no one to answer for it. This rule cannot be "
                   "suppressed (it is in the default unwaivable list)."),
        fix_cdktf="Set owner= to a current owner (with approval), or retire it with nhi retire --leavers.",
        fix_hcl="Change the owner tag to a current owner (with approval), or run nhi retire --leavers.",
    ),
    "NHI008": RuleGuide(
        rationale=("A waiver that cannot be honoured is ignored, so the finding it aimed at stays "
                   "active; saying why keeps the author from believing the risk is accepted."),
        fix_cdktf=('suppress(construct, "missing-expiry", reason="vendor key, ticket SEC-12", '
                   'until=date(2027, 1, 31)): a known rule, 10+ characters of reason, an end date.'),
        fix_hcl=('# nhi:ignore[NHI002] until=2027-01-31 reason="vendor key, ticket SEC-12" on the '
                 "block's first line or the line above it."),
    ),
    "NHI020": RuleGuide(
        rationale=("An accepted risk is accepted for a while: when the end date passes the waiver "
                   "stops, the finding counts again, and this warning says which waiver lapsed."),
        fix_cdktf="Fix the finding and drop the suppress() call, or renew it with a new until= and reason.",
        fix_hcl="Fix the finding and delete the nhi:ignore comment or config entry, or renew its until.",
    ),
    "NHI021": RuleGuide(
        rationale=("A waiver that matches nothing is dead weight, and a trap: it may match an unrelated "
                   "identity later under a reused name."),
        fix_cdktf="Remove the suppress() call.",
        fix_hcl="Remove the nhi:ignore comment or the [[tool.nhi.suppress]] entry (or fix its address/file).",
    ),
    "NHI022": RuleGuide(
        rationale=("Some findings must never be waived (by default expired and owner-offboarded): "
                   "access past its approval or without an owner is retired, not accepted."),
        fix_cdktf="Retire the identity or give it a current owner and a new expires= with approval.",
        fix_hcl="Retire the identity (nhi retire) or renew expires_at/owner with approval; drop the waiver.",
    ),
    "NHI023": RuleGuide(
        rationale=("A baseline accepts existing findings to adopt the checker gradually; without an end "
                   "date it would accept them forever."),
        fix_cdktf="Fix the findings, or write a new baseline: nhi check ... --write-baseline FILE --baseline-until DATE.",
        fix_hcl="Fix the findings, or write a new baseline: nhi check ... --write-baseline FILE --baseline-until DATE.",
    ),
    "NHI013": RuleGuide(
        rationale=("Revoking a shared identity for one integration breaks the others, so in practice "
                   "it is never revoked."),
        fix_cdktf="Give each AiIntegration its own workload_role() and keys.",
        fix_hcl="Declare one identity per integration (for_each over integrations) instead of sharing one.",
    ),
    "NHI014": RuleGuide(
        rationale=("An identity inside a module the check does not read is never judged, so a passing "
                   "configuration check says nothing about it: the unfollowed call is reported to keep "
                   "that gap visible."),
        fix_cdktf=("Check the plan of the synthesized stack (terraform plan, then terraform show -json), "
                   "which includes every module's resources, or vendor the module as a local source."),
        fix_hcl=("Check 'terraform show -json PLANFILE', which includes every module's resources, or vendor "
                 "the module into the repository and call it with a local ./ source."),
    ),
    "NHI015": RuleGuide(
        rationale=("Two expiries for one credential means one of them is wrong. When the credential "
                   "outlives its tag, the reviewed retirement date is not enforced and the secret keeps "
                   "working; when it ends first, the integration breaks before its owner expects."),
        fix_cdktf=("Set the credential's own expiry from the same value as expires=: "
                   "native_expiry_attrs(resource_type, expires) gives the provider attributes (end_date)."),
        fix_hcl=("Set the credential's expiry attribute (end_date, valid_before; GitLab expires_at, tfe "
                 "expired_at) from the same value as the expires_at tag, for example one local both read; "
                 "keep a Vault TTL or a Databricks lifetime_seconds/lifetime within the tag."),
    ),
    "NHI016": RuleGuide(
        rationale=("A service-linked role is created, scoped and deleted by AWS for one service: an owner "
                   "or expiry on it would only raise findings nobody can act on. It is still listed, so "
                   "the inventory stays complete."),
        fix_cdktf="Nothing to add; to retire it, retire the service resources that use it.",
        fix_hcl="Nothing to add; to retire it, retire the service resources that use it.",
    ),
    "NHI030": RuleGuide(
        rationale=("The gap a plan check cannot see: the code says the key has expired, yet AWS still "
                   "accepts it, so whoever holds the secret can still sign requests."),
        fix_cdktf=("Run nhi retire, or remove the key's construct and deploy; in an emergency deactivate "
                   "the key in IAM first, then retire it through the stack."),
        fix_hcl=("Run nhi retire --terraform-dir DIR, or remove the aws_iam_access_key block and apply; in "
                 "an emergency deactivate the key in IAM first, then retire it."),
    ),
    "NHI031": RuleGuide(
        rationale=("An Inactive key is a revocation that can be undone: anyone allowed iam:UpdateAccessKey "
                   "can switch it back on, and the secret still exists. Only a deleted key is revoked."),
        fix_cdktf="Remove the key's construct (or run nhi retire) and deploy.",
        fix_hcl="Remove the aws_iam_access_key block (or run nhi retire) and apply.",
    ),
    "NHI032": RuleGuide(
        rationale=("The older a key, the more places its secret has been copied to: a key past its "
                   "type's maximum lifetime has missed its rotation, whatever its expiry tag says."),
        fix_cdktf="Create a new key in the stack, move the integration to it, then retire the old one (nhi retire).",
        fix_hcl=("Add a new aws_iam_access_key, move the integration to it, then remove the old block and "
                 "apply (or nhi retire)."),
    ),
    "NHI033": RuleGuide(
        rationale=("An identity nobody uses keeps access alive that no integration needs, and its misuse "
                   "would go unnoticed: all risk, no value."),
        fix_cdktf="Confirm with the owner, then remove the identity's construct (or run nhi retire) and deploy.",
        fix_hcl=("Confirm with the owner, then run nhi retire or delete the block and apply; raise "
                 "dormant_days only for identities used on a known, longer cycle."),
    ),
    "NHI034": RuleGuide(
        rationale=("Access added by hand is invisible to review and survives retirement: destroying the "
                   "user or role through Terraform leaves it behind, or fails on it."),
        fix_cdktf="Import it into the stack with an owner and an expiry, or delete it in AWS.",
        fix_hcl="terraform import it into a block with owner and expires_at tags, or delete it in AWS.",
    ),
    "NHI035": RuleGuide(
        rationale=("An identity no state manages has no owner, no expiry and no retirement path in code; "
                   "the AI-like ones are the likeliest shadow integrations, so they are errors."),
        fix_cdktf=("Import it into a stack with an owner and an expiry, or delete it; waive a known "
                   "exception by its ARN with a reason and an end date."),
        fix_hcl=("terraform import it into a block with owner and expires_at tags, or delete it; waive a "
                 "known exception by an ARN glob with a reason and an end date."),
    ),
    "NHI036": RuleGuide(
        rationale=("An identity that could not be read could not be verified; counting it as fine would "
                   "be a false pass, so the failed lookup is an error."),
        fix_cdktf=("Grant the verifying role the read-only actions listed in docs/aws.md (the message names "
                   "the missing one) and run nhi verify again."),
        fix_hcl=("Grant the verifying role the read-only actions listed in docs/aws.md (the message names "
                 "the missing one) and run nhi verify again."),
    ),
}


def documented_rules() -> tuple[Rule, ...]:
    """Every rule of the registry plus the rule-error pseudo-rule, ordered by id."""
    return tuple(sorted((RuleError(), *ALL_RULES), key=lambda r: r.id))


def find_rule(key: str) -> Rule | None:
    """A documented rule by id or name (case-insensitive)."""
    wanted = key.strip().lower()
    return next((r for r in documented_rules() if wanted in (r.id.lower(), r.name.lower())), None)


def guide_for(rule: Rule) -> RuleGuide:
    """The rule's guide, or one built from its own description and fix when the table has none."""
    entry = GUIDES.get(rule.id)
    if entry is not None:
        return entry
    fix = rule.fix or "See the rule's description."
    return RuleGuide(rationale=rule.description or rule.summary, fix_cdktf=fix, fix_hcl=fix)
