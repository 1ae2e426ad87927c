"""Every rule, registered explicitly in one tuple (no registration on import)."""

from __future__ import annotations

from nhi_toolkit.rules.base import Context, Rule
from nhi_toolkit.rules.lifecycle import (
    Expired,
    ExpiringSoon,
    ExpiryMismatch,
    ExpiryTooFar,
    InvalidExpiryRule,
    MissingExpiry,
    MissingOwner,
    UnknownUntilApply,
)
from nhi_toolkit.rules.live import (
    CredentialOutsideTerraform,
    Dormant,
    KeyActivePastExpiry,
    KeyInactiveNotDeleted,
    KeyTooOld,
    LiveLookupDenied,
    Unmanaged,
)
from nhi_toolkit.rules.modules import ModuleNotFollowed
from nhi_toolkit.rules.platform import PlatformManaged
from nhi_toolkit.rules.retirement import (
    Drift,
    MissingRevocationPath,
    OwnerOffboarded,
    SharedIdentity,
)
from nhi_toolkit.rules.suppressions import (
    BaselineExpired,
    InvalidSuppressionRule,
    SuppressionExpired,
    SuppressionStale,
    SuppressionUnwaivable,
)

__all__ = ["ALL_RULES", "RULE_ERROR_ID", "Context", "Rule", "rule_by_key"]

ALL_RULES: tuple[Rule, ...] = (
    MissingOwner(),
    MissingExpiry(),
    InvalidExpiryRule(),
    Expired(),
    ExpiringSoon(),
    ExpiryTooFar(),
    UnknownUntilApply(),
    InvalidSuppressionRule(),
    ExpiryMismatch(),
    MissingRevocationPath(),
    Drift(),
    OwnerOffboarded(),
    SharedIdentity(),
    ModuleNotFollowed(),
    PlatformManaged(),
    SuppressionExpired(),
    SuppressionStale(),
    SuppressionUnwaivable(),
    BaselineExpired(),
    KeyActivePastExpiry(),
    KeyInactiveNotDeleted(),
    KeyTooOld(),
    Dormant(),
    CredentialOutsideTerraform(),
    Unmanaged(),
    LiveLookupDenied(),
)

#: A rule that crashed is reported under this id, never swallowed.
RULE_ERROR_ID = "NHI000"


def rule_by_key(key: str) -> Rule | None:
    """Look a rule up by id (NHI001) or name (missing-owner)."""
    for rule in ALL_RULES:
        if key in (rule.id, rule.name):
            return rule
    return None
