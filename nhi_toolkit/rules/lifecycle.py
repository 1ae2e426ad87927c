"""Ownership and expiry: every identity names an owner and an expiry within its maximum lifetime."""

from __future__ import annotations

from collections.abc import Iterator

from nhi_toolkit.expiry import format_instant, is_expired
from nhi_toolkit.model import UNKNOWN, Finding, Identity, Severity
from nhi_toolkit.rules.base import Context, Rule

__all__ = [
    "Expired",
    "ExpiringSoon",
    "ExpiryTooFar",
    "InvalidExpiryRule",
    "MissingExpiry",
    "MissingOwner",
    "UnknownUntilApply",
]


def _whose(identity: Identity) -> str:
    return f" (inherited from {identity.parent})" if identity.inherited and identity.parent else ""


class MissingOwner(Rule):
    id = "NHI001"
    name = "missing-owner"
    severity = Severity.ERROR
    summary = "Identity has no owner"
    description = ("Every non-human identity must name the person or team accountable for it, in an "
                   "owner tag (own, or inherited from its parent for untaggable credentials).")
    fix = "Add an owner tag (e.g. owner = \"alice@example.com\") to the identity or its parent."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        if identity.owner is None:
            where = f" or on its parent {identity.parent}" if identity.parent else ""
            yield self.finding(identity, f"{identity.address} has no owner tag{where} "
                                         f"(looked for {', '.join(ctx.config.owner_keys[:3])}, ...)")


class MissingExpiry(Rule):
    id = "NHI002"
    name = "missing-expiry"
    severity = Severity.ERROR
    summary = "Identity has no expiry"
    description = "Every non-human identity must carry an expiry date after which it is retired."
    fix = "Add an expires_at tag (YYYY-MM-DD or RFC 3339) within the type's maximum lifetime."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        if identity.expires is None:
            where = f" or on its parent {identity.parent}" if identity.parent else ""
            yield self.finding(identity, f"{identity.address} has no expiry tag{where} "
                                         f"(looked for {', '.join(ctx.config.expiry_keys[:3])}, ...)")


class InvalidExpiryRule(Rule):
    id = "NHI003"
    name = "invalid-expiry"
    severity = Severity.ERROR
    summary = "Expiry is not a valid date or RFC 3339 timestamp"
    description = ("The expiry must be a real calendar date (YYYY-MM-DD, valid through that day in "
                   "UTC) or an RFC 3339 timestamp with an offset.")
    fix = "Write the expiry as YYYY-MM-DD or e.g. 2027-03-31T17:00:00Z."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        if identity.expiry_error:
            yield self.finding(identity, f"{identity.address} expiry tag '{identity.expiry_key}' "
                                         f"{identity.expiry_error}{_whose(identity)}")


class Expired(Rule):
    id = "NHI004"
    name = "expired"
    severity = Severity.ERROR
    summary = "Identity is past its expiry"
    description = "The identity's expiry has passed; it should be retired (nhi retire)."
    fix = "Retire it with 'nhi retire', or extend the expiry with a new approval."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        if identity.expires_at is not None and is_expired(identity.expires_at, ctx.now):
            yield self.finding(identity, f"{identity.address} expired at "
                                         f"{format_instant(identity.expires_at)}{_whose(identity)}")


class ExpiringSoon(Rule):
    id = "NHI005"
    name = "expiring-soon"
    severity = Severity.WARNING
    summary = "Identity expires within the warning window"
    description = "The identity expires within expiring_soon_days (default 14) of now."
    fix = "Plan its retirement or renewal with its owner."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        at = identity.expires_at
        if at is None or is_expired(at, ctx.now):
            return
        # Compared in seconds: timedelta(days=n) overflows for a very large configured window.
        if (at - ctx.now).total_seconds() <= ctx.config.expiring_soon_days * 86400:
            days = (at - ctx.now).total_seconds() / 86400
            yield self.finding(identity, f"{identity.address} expires at {format_instant(at)}, "
                                         f"in {days:.1f} days{_whose(identity)}")


class ExpiryTooFar(Rule):
    id = "NHI006"
    name = "expiry-too-far"
    severity = Severity.WARNING
    summary = "Expiry is beyond the type's maximum lifetime"
    description = ("Measured from now: static access keys 90 days, passwords and keys 90-180 days, "
                   "roles, users and secrets 365 days by default (max_lifetime_days in config).")
    fix = "Bring the expiry within the maximum lifetime, or raise the limit in config with a reason."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        at = identity.expires_at
        if at is None:
            return
        itype = ctx.config.catalog.get(identity.type)
        limit = ctx.config.max_lifetime_for(itype) if itype else None
        if limit is not None and (at - ctx.now).total_seconds() > limit * 86400:
            yield self.finding(identity, f"{identity.address} expires at {format_instant(at)}, more than "
                                         f"{limit} days from now (the maximum for {identity.type})"
                                         f"{_whose(identity)}")


class UnknownUntilApply(Rule):
    id = "NHI007"
    name = "unknown-until-apply"
    severity = Severity.INFO
    summary = "Owner or expiry is only known after apply"
    description = ("The owner or expiry comes from a value Terraform computes during apply, or from "
                   "an expression that cannot be resolved statically; it is checked again in state.")
    fix = "Prefer literal owner and expiry values so the plan check can judge them."

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        missing = [what for what, v in (("owner", identity.owner), ("expiry", identity.expires))
                   if v is UNKNOWN]
        # A block whose for_each/count is not known statically: judged once at its config address.
        instances = identity.resource.metadata.get("unknown_instances")
        parts = [f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not known until apply"
                 ] if missing else []
        if instances:
            parts.append(f"its instances are not known until apply ({instances} is not known "
                         "statically; judged once at its configuration address)")
        if parts:
            yield self.finding(identity, f"{identity.address} {'; '.join(parts)}")
