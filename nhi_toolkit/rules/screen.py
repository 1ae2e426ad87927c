"""Which identities the per-identity rules need not look at: a settled identity, the common case.

Most identities of a large input have an owner, a valid expiry well inside the warning window's far
side and the type's maximum lifetime, and no native expiry: no lifecycle rule finds anything about
them. :func:`screen` tests that once per identity instead of calling each rule, and names the rule
checks that test stands for. A rule is skipped on a settled identity only while its check is the
implementation read against the test below (one replaced or overridden is always called), so a rule
that raises is still reported as a rule error, and nothing is ever skipped that could find something.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nhi_toolkit.checks import max_lifetime_days
from nhi_toolkit.model import Identity
from nhi_toolkit.rules.base import Context
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
from nhi_toolkit.rules.platform import PlatformManaged
from nhi_toolkit.rules.retirement import OwnerOffboarded

__all__ = ["screen"]

_DAY = 86400

#: The checks that find nothing on a settled identity, each read against :func:`screen`'s test:
#: missing-owner and missing-expiry (both are strings), invalid-expiry (no error), expired and
#: expiring-soon (the deadline, its expiry, is further off than the window), expiry-too-far (within
#: the type's limit, and no lifetime counted from creation), unknown-until-apply (nothing unknown,
#: no unknown instances), expiry-mismatch (no native expiry or lifetime), platform-managed (not one).
_QUIET_WHEN_SETTLED: frozenset[Callable[..., Any]] = frozenset({
    MissingOwner.check, MissingExpiry.check, InvalidExpiryRule.check, Expired.check, ExpiringSoon.check,
    ExpiryTooFar.check, UnknownUntilApply.check, ExpiryMismatch.check, PlatformManaged.check,
})


def screen(ctx: Context) -> tuple[Callable[[Identity], bool], frozenset[Callable[..., Any]]]:
    """A test of one identity (True: settled) and the rule checks it stands for in this context
    (owner-offboarded too when no leavers are given: it then finds nothing at all)."""
    now = ctx.now
    config = ctx.config
    window = config.expiring_soon_days * _DAY
    limits: dict[str, float | None] = {}

    def settled(identity: Identity) -> bool:
        at = identity.expires_at
        if at is None or type(identity.owner) is not str or type(identity.expires) is not str \
                or identity.expiry_error or identity.platform_managed \
                or identity.claimed_expires_at is not None or identity.native_expires_at is not None \
                or identity.native_lifetime is not None:
            return False
        try:
            if now >= at:
                return False
            left = (at - now).total_seconds()
        except (TypeError, OverflowError):  # let the rules themselves say what is wrong
            return False
        if left <= window:
            return False
        rtype = identity.type
        if rtype in limits:
            limit = limits[rtype]
        else:
            days = max_lifetime_days(config, rtype)
            limit = limits[rtype] = None if days is None else days * _DAY
        if limit is not None and left > limit:
            return False
        return not identity.resource.metadata.get("unknown_instances")

    quiet = _QUIET_WHEN_SETTLED if ctx.leavers else _QUIET_WHEN_SETTLED | {OwnerOffboarded.check}
    return settled, quiet
