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


#: Id and name -> rule; where a key could name two, the first in ALL_RULES (as a scan finds it).
_BY_KEY: dict[str, Rule] = {}
for _rule in ALL_RULES:
    _BY_KEY.setdefault(_rule.id, _rule)
    _BY_KEY.setdefault(_rule.name, _rule)
del _rule


def rule_by_key(key: str) -> Rule | None:
    """Look a rule up by id (NHI001) or name (missing-owner)."""
    return _BY_KEY.get(key)
