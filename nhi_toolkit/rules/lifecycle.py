"""Ownership and expiry: every identity names an owner and an expiry within its maximum lifetime."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from nhi_toolkit.checks import exceeds_lifetime, expiring_soon, max_lifetime_days
from nhi_toolkit.expiry import format_instant, is_date_only, is_expired
from nhi_toolkit.model import UNKNOWN, Finding, Identity, Severity
from nhi_toolkit.rules.base import Context, Rule, named_few

__all__ = [
    "Expired",
    "ExpiringSoon",
    "ExpiryMismatch",
    "ExpiryTooFar",
    "InvalidExpiryRule",
    "MissingExpiry",
    "MissingOwner",
    "UnknownUntilApply",
    "whose_deadline",
]


def _whose(identity: Identity) -> str:
    """Where the expiry a message names came from, when not the identity's own tag."""
    if identity.expiry_source == "native":
        return f" (the credential's own {identity.native_attr})"
    if identity.expiry_source == "declaration":
        return " (declared in [[tool.nhi.declarations]])"
    return f" (inherited from {identity.parent})" if identity.inherited and identity.parent else ""


def whose_deadline(identity: Identity) -> str:
    """Where the deadline a message names came from (`` (inherited from ...)``, the credential's own
    expiry, a declaration), and the claimed expiry when it is the earlier of the two."""
    if identity.native_expires_at is None or identity.deadline == identity.expires_at:
        return _whose(identity)
    declared = identity.declaration is not None and identity.declaration.expires_at == identity.claimed_expires
    what = "declared in [[tool.nhi.declarations]]" if declared else (
        f"its expiry tag, inherited from {identity.parent}" if identity.inherited and identity.parent
        else "its expiry tag")
    return (f" ({what}; the credential's own {identity.native_attr} runs to "
            f"{format_instant(identity.native_expires_at)})")


def _untaggable(identity: Identity, ctx: Context) -> bool:
    itype = ctx.config.catalog.get(identity.type)
    return itype is not None and not itype.taggable


_DECLARE = "declare it in [[tool.nhi.declarations]] (address, owner, expires_at, reason)"


def _missing(identity: Identity, ctx: Context, what: str, keys: tuple[str, ...]) -> str:
    """The message for a missing owner or expiry, naming what the user can actually do."""
    looked = f"(looked for {', '.join(keys[:3])}, ...)"
    if not _untaggable(identity, ctx):
        where = f" or on its parent {identity.parent}" if identity.parent else ""
        return f"{identity.address} has no {what} tag{where} {looked}"
    if identity.parent:
        parent = ctx.by_address.get(identity.parent)
        if parent is not None and _untaggable(parent, ctx):
            # a service account's or principal's token: neither can carry tags; an ancestor may
            above: Identity | None = parent
            seen = {identity.address}
            while above is not None and _untaggable(above, ctx) and above.address not in seen:
                seen.add(above.address)
                above = ctx.by_address.get(above.parent) if above.parent else None
            via = (f"tag {above.address} (which {identity.parent} inherits from), or "
                   if above is not None and not _untaggable(above, ctx) else "")
            return f"{identity.address} cannot carry tags, nor can its parent {identity.parent}: {via}{_DECLARE}"
        return (f"{identity.address} cannot carry tags and its parent {identity.parent} has no {what} tag "
                f"{looked}: tag {identity.parent}, or {_DECLARE}")
    if identity.parent_candidates:
        return (f"{identity.address} cannot carry tags and refers to several identities it may belong to "
                f"({named_few(identity.parent_candidates)}) whose tags differ, so it inherits no {what} from "
                f"them: reference a single one, or {_DECLARE}")
    return (f"{identity.address} cannot carry tags and has no parent identity here to inherit an {what} "
            f"from: {_DECLARE}, or manage the identity it belongs to in this configuration and "
            "reference it")


def _unreadable_owner(identity: Identity) -> str:
    """The message for an owner tag Terraform marks sensitive: it is there, but cannot be read (the
    value never reaches a report), so the owner cannot be checked against the leavers list."""
    where = identity.owner_sensitive
    whose = "its owner tag" if where == identity.address else f"the owner tag of its parent {where}"
    return (f"{identity.address} has no readable owner: {whose} is marked sensitive (the value, or the "
            "tags holding it) and cannot be read, so the owner cannot be checked against the leavers "
            f"list: take the sensitive mark off the owner value of {where}")


def _unreadable_expiry(identity: Identity) -> str:
    """The message for an expiry tag Terraform marks sensitive: it is there, but cannot be read, so
    the identity's retirement date cannot be judged."""
    where = identity.expiry_sensitive
    whose = "its expiry tag" if where == identity.address else f"the expiry tag of its parent {where}"
    return (f"{identity.address} has no readable expiry: {whose} is marked sensitive (the value, or the "
            "tags holding it) and cannot be read, so when it must be retired cannot be judged: take the "
            f"sensitive mark off the expiry value of {where}")


class MissingOwner(Rule):
    id = "NHI001"
    name = "missing-owner"
    severity = Severity.ERROR
    summary = "Identity has no owner"
    description = ("Every non-human identity must name the person or team accountable for it, in an "
                   "owner tag (own, or inherited from its parent for untaggable credentials).")
    fix = ("Add an owner tag (e.g. owner = \"alice@example.com\") to the identity. A type that cannot "
           "carry tags (access key, TLS key, GitHub secret) takes its parent's: tag the parent, or, "
           "when it has none here, declare it in [[tool.nhi.declarations]] with owner, expires_at "
           "and a reason.")

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        if identity.owner is None and not identity.platform_managed:
            if identity.owner_sensitive is not None:
                return (self.finding(identity, _unreadable_owner(identity)),)
            return (self.finding(identity, _missing(identity, ctx, "owner", ctx.config.owner_keys)),)
        return ()


class MissingExpiry(Rule):
    id = "NHI002"
    name = "missing-expiry"
    severity = Severity.ERROR
    summary = "Identity has no expiry"
    description = "Every non-human identity must carry an expiry date after which it is retired."
    fix = ("Add an expires_at tag (YYYY-MM-DD or RFC 3339) within the type's maximum lifetime. A type "
           "that cannot carry tags takes its parent's: tag the parent, set the credential's own "
           "expiry where the provider has one (end_date, ttl), or declare it in "
           "[[tool.nhi.declarations]].")

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        if identity.expires is None and not identity.platform_managed:
            if identity.expiry_sensitive is not None:
                return (self.finding(identity, _unreadable_expiry(identity)),)
            return (self.finding(identity, _missing(identity, ctx, "expiry", ctx.config.expiry_keys)),)
        return ()


class InvalidExpiryRule(Rule):
    id = "NHI003"
    name = "invalid-expiry"
    severity = Severity.ERROR
    summary = "Expiry is not a valid date or RFC 3339 timestamp"
    description = ("The expiry must be a real calendar date (YYYY-MM-DD, valid through that day in "
                   "UTC) or an RFC 3339 timestamp with an offset.")
    fix = "Write the expiry as YYYY-MM-DD or e.g. 2027-03-31T17:00:00Z."

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        if identity.expiry_error:
            return (self.finding(identity, f"{identity.address} expiry tag '{identity.expiry_key}' "
                                           f"{identity.expiry_error}{_whose(identity)}"),)
        return ()


class Expired(Rule):
    id = "NHI004"
    name = "expired"
    severity = Severity.ERROR
    summary = "Identity is past its expiry"
    description = "The identity's expiry has passed; it should be retired (nhi retire)."
    fix = "Retire it with 'nhi retire', or extend the expiry with a new approval."

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        at = identity.deadline
        if at is not None and is_expired(at, ctx.now):
            return (self.finding(identity, f"{identity.address} expired at "
                                           f"{format_instant(at)}{whose_deadline(identity)}"),)
        return ()


class ExpiringSoon(Rule):
    id = "NHI005"
    name = "expiring-soon"
    severity = Severity.WARNING
    summary = "Identity expires within the warning window"
    description = "The identity expires within expiring_soon_days (default 14) of now."
    fix = "Plan its retirement or renewal with its owner."

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        at = identity.deadline
        if at is not None and expiring_soon(at, ctx.now, ctx.config.expiring_soon_days):
            days = (at - ctx.now).total_seconds() / 86400
            return (self.finding(identity, f"{identity.address} expires at {format_instant(at)}, "
                                           f"in {days:.1f} days{whose_deadline(identity)}"),)
        return ()


class ExpiryTooFar(Rule):
    id = "NHI006"
    name = "expiry-too-far"
    severity = Severity.WARNING
    summary = "Expiry is beyond the type's maximum lifetime"
    description = ("Measured from now: static access keys 90 days, passwords and keys 90-180 days, "
                   "roles, users and secrets 365 days by default (max_lifetime_days in config).")
    fix = "Bring the expiry within the maximum lifetime, or raise the limit in config with a reason."

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        at = identity.expires_at
        limit = max_lifetime_days(ctx.config, identity.type)
        lifetime = identity.native_lifetime
        if at is None and lifetime is not None and exceeds_lifetime(lifetime, limit):
            # Created at apply: it will live at least this long from now.
            return (self.finding(identity, f"{identity.address} lives {lifetime.total_seconds() / 86400:g} "
                                           f"days from creation by its {identity.native_attr}, more than "
                                           f"{limit} days (the maximum for {identity.type})"),)
        if at is None:
            return ()
        if exceeds_lifetime(at - ctx.now, limit):
            return (self.finding(identity, f"{identity.address} expires at {format_instant(at)}, more "
                                           f"than {limit} days from now (the maximum for {identity.type})"
                                           f"{_whose(identity)}"),)
        return ()


class UnknownUntilApply(Rule):
    id = "NHI007"
    name = "unknown-until-apply"
    severity = Severity.INFO
    summary = "Owner or expiry is only known after apply"
    description = ("The owner or expiry comes from a value Terraform computes during apply, or from "
                   "an expression that cannot be resolved statically; it is checked again in state.")
    fix = "Prefer literal owner and expiry values so the plan check can judge them."

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        # A block whose for_each/count is not known statically: judged once at its config address.
        instances = identity.resource.metadata.get("unknown_instances")
        if not instances and identity.owner is not UNKNOWN and identity.expires is not UNKNOWN:
            return ()  # known owner and expiry (the common case): nothing to say
        missing = [what for what, v in (("owner", identity.owner), ("expiry", identity.expires))
                   if v is UNKNOWN]
        parts = []
        if missing:
            why = f" ({identity.native_attr} counts from creation)" if identity.expires is UNKNOWN and \
                identity.expiry_source == "native" else ""
            parts.append(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not known "
                         f"until apply{why}")
        if instances:
            parts.append(f"its instances are not known until apply ({instances} is not known "
                         "statically; judged once at its configuration address)")
        if parts:
            return (self.finding(identity, f"{identity.address} {'; '.join(parts)}"),)
        return ()


class ExpiryMismatch(Rule):
    id = "NHI015"
    name = "expiry-mismatch"
    severity = Severity.ERROR
    summary = "Tag and credential disagree on the expiry"
    # Names every attribute native_expiry reads an expiry from (tests/rules/test_rules_native.py).
    description = ("The credential carries its own expiry (Azure AD end_date/end_date_relative, GCP "
                   "valid_before, Vault explicit_max_ttl/ttl, GitLab token expires_at, Terraform "
                   "Cloud/Enterprise (tfe) token expired_at, Datadog service access token expires_at, "
                   "Databricks token expiry_time/lifetime_seconds, "
                   "Databricks service principal secret expire_time/lifetime) and the expiry tag or "
                   "declaration says otherwise. A tag earlier than the credential is an error: it "
                   "promises a retirement the credential does not enforce. A tag later than the "
                   "credential is a warning: the credential stops working first. A date tag agrees with "
                   "any instant within that UTC day.")
    fix = ("Make them agree: set the credential's end date from the same value as the tag "
           "(nhi_toolkit.native_expiry.native_expiry_attrs), or correct the tag.")
    severities = (
        (Severity.ERROR, ("the tag or declaration is earlier than the credential's own expiry, or the "
                          "credential's lifetime from creation reaches past it (the credential outlives "
                          "the promised retirement)")),
        (Severity.WARNING, ("the tag or declaration is later than the credential's own expiry (the "
                            "credential stops working first)")),
    )

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        native, claimed = identity.native_expires_at, identity.claimed_expires_at
        lifetime, tagged = identity.native_lifetime, identity.expires_at
        if native is None and lifetime is not None and tagged is not None and not identity.expiry_error \
                and identity.expiry_source != "native":
            # Created at apply, it lives at least this long from now: past the tag, it outlives it.
            try:
                least = ctx.now + lifetime
            except OverflowError:
                least = None
            if least is None or least > tagged:
                return (self.finding(identity, f"{identity.address} expiry says {identity.expires}"
                                               f"{_whose(identity)} but its {identity.native_attr} keeps the "
                                               f"credential {lifetime.total_seconds() / 86400:g} days from "
                                               "creation: the credential outlives the retirement its tag "
                                               "promises"),)
            return ()
        if native is None or claimed is None or identity.expiry_error:
            return ()
        raw = identity.claimed_expires
        earliest = claimed - timedelta(days=1) if is_date_only(raw) else claimed
        if earliest <= native <= claimed:
            return ()
        declared = identity.declaration is not None and identity.declaration.expires_at == raw
        what = "its declared expiry" if declared else "its expiry tag"
        said = f"{what} says {raw}" + (f" (inherited from {identity.parent})"
                                          if identity.inherited and identity.parent else "")
        ends = f"its {identity.native_attr} ends the credential at {format_instant(native)}"
        if native > claimed:
            return (self.finding(identity, f"{identity.address} {said} but {ends}: the credential outlives "
                                           "the retirement its tag promises"),)
        return (self.finding(identity, f"{identity.address} {said} but {ends}: the credential stops "
                                       "working before that", severity=Severity.WARNING),)
