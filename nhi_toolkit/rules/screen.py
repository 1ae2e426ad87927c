"""Which identities the per-identity rules need not look at: a settled identity, the common case.

Most identities of a large input have an owner, a valid expiry beyond the warning window and within
the type's maximum lifetime, and no native expiry: no lifecycle rule finds anything about them
(settled); most others have a plain owner and expiry, and only the rules about time can find
something. :func:`screen` tests that once per identity instead of calling each rule, and names the
rule checks each answer stands for. A rule is skipped on a settled identity only while its check is the
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

__all__ = ["OTHER", "PLAIN", "SETTLED", "screen"]

_DAY = 86400

#: The checks that find nothing on a plain identity (a string owner and expiry, a valid expiry, no
#: native expiry or lifetime, nothing unknown, not platform-managed), each read against
#: :func:`screen`'s test: missing-owner and missing-expiry (both are strings), invalid-expiry (no
#: error), unknown-until-apply (nothing unknown, no unknown instances), expiry-mismatch (no native
#: expiry or lifetime), platform-managed (not one).
_QUIET_WHEN_PLAIN: frozenset[Callable[..., Any]] = frozenset({
    MissingOwner.check, MissingExpiry.check, InvalidExpiryRule.check, UnknownUntilApply.check,
    ExpiryMismatch.check, PlatformManaged.check,
})

#: And on a settled one, a plain identity whose deadline (its expiry: no other is claimed) is
#: further off than the warning window and within the type's maximum lifetime: expired,
#: expiring-soon and expiry-too-far too.
_QUIET_WHEN_SETTLED: frozenset[Callable[..., Any]] = _QUIET_WHEN_PLAIN | {
    Expired.check, ExpiringSoon.check, ExpiryTooFar.check}

#: What :func:`screen`'s test says of an identity.
OTHER, PLAIN, SETTLED = 0, 1, 2


def screen(ctx: Context) -> tuple[Callable[[Identity], int], frozenset[Callable[..., Any]],
                                  frozenset[Callable[..., Any]]]:
    """A test of one identity (:data:`OTHER`, :data:`PLAIN` or :data:`SETTLED`) and the rule
    checks it stands for in this context on a plain and on a settled identity (owner-offboarded
    too when no leavers are given: it then finds nothing at all)."""
    now = ctx.now
    config = ctx.config
    window = config.expiring_soon_days * _DAY
    limits: dict[str, float | None] = {}

    def judge(identity: Identity) -> int:
        at = identity.expires_at
        if at is None or type(identity.owner) is not str or type(identity.expires) is not str \
                or identity.expiry_error or identity.platform_managed \
                or identity.claimed_expires_at is not None or identity.native_expires_at is not None \
                or identity.native_lifetime is not None or identity.resource.metadata.get("unknown_instances"):
            return OTHER
        try:
            if now >= at:
                return PLAIN
            left = (at - now).total_seconds()
        except (TypeError, OverflowError):  # let the rules themselves say what is wrong
            return OTHER
        if left <= window:
            return PLAIN
        rtype = identity.type
        if rtype in limits:
            limit = limits[rtype]
        else:
            days = max_lifetime_days(config, rtype)
            limit = limits[rtype] = None if days is None else days * _DAY
        return PLAIN if limit is not None and left > limit else SETTLED

    idle: frozenset[Callable[..., Any]] = frozenset() if ctx.leavers else frozenset({OwnerOffboarded.check})
    return judge, _QUIET_WHEN_PLAIN | idle, _QUIET_WHEN_SETTLED | idle
