"""Ask AWS about every declared identity (the scan for identities nobody declared is
:mod:`nhi_toolkit.aws.unmanaged`).

:func:`inspect_live` takes the identities of a checked report and returns live findings (rules
NHI011 drift and NHI030-NHI036) and one ``live`` object per identity; only reads are made. A
denial on one identity is a finding on it (``live-lookup-denied``); a denial on an account-wide
listing, missing credentials or an unreachable endpoint raise :class:`CloudUnavailable` (exit 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions

from nhi_toolkit.aws.session import (
    AwsSession,
    access_denied,
    error_code,
    is_denied,
    is_missing,
    paginate,
    tag_map,
)
from nhi_toolkit.aws.unmanaged import LIVE_TYPES, UnmanagedItem, ai_likeness, scan_unmanaged
from nhi_toolkit.checks import governing_expiry
from nhi_toolkit.config import Config
from nhi_toolkit.expiry import format_instant, is_expired
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Severity
from nhi_toolkit.records import identity_key
from nhi_toolkit.rules import rule_by_key
from nhi_toolkit.rules.base import Rule
from nhi_toolkit.rules.lifecycle import whose_deadline
from nhi_toolkit.tags import lookup_tag

__all__ = ["DEFAULT_DORMANT_DAYS", "LiveResult", "UnmanagedItem", "ai_likeness", "inspect_live",
           "scan_unmanaged"]

DEFAULT_DORMANT_DAYS = 90
#: RoleLastUsed covers this many trailing days only.
ROLE_LAST_USED_DAYS = 400
FRESHNESS_KEY = ("usage data from IAM (GetAccessKeyLastUsed), which records use within about 4 hours")
FRESHNESS_ROLE = ("usage data from IAM (RoleLastUsed), which records use within about 4 hours and "
                  f"covers only the trailing {ROLE_LAST_USED_DAYS} days")


def _rule(name: str) -> Rule:
    rule = rule_by_key(name)
    if rule is None:
        raise LookupError(f"no rule named {name!r} in the registry")
    return rule


@dataclass
class LiveResult:
    """What AWS said: findings, one ``live`` object per identity key, undeclared identities (most
    AI-like first), and the caller the lookups ran as."""

    findings: list[Finding] = field(default_factory=list)
    live: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmanaged: list[UnmanagedItem] = field(default_factory=list)
    caller: str = ""


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _fmt(value: datetime | None) -> str | None:
    return format_instant(value.astimezone(UTC).replace(microsecond=0)) if value else None


def _days(a: datetime, b: datetime) -> int:
    return int((a - b).total_seconds() // 86400)


def _s(values: Mapping[str, Any], key: str) -> str | None:
    v = values.get(key)
    return v if isinstance(v, str) and v else None


class _Inspector:
    def __init__(self, session: AwsSession, identities: Sequence[Identity], config: Config,
                 now: datetime, dormant_days: int) -> None:
        self.session = session
        self.config = config
        self.now = now
        self.dormant_days = dormant_days
        self.caller = session.caller()
        live = [i for i in identities if not i.resource.deleted]
        self.by_type: dict[str, list[Identity]] = {}
        for ident in live:
            self.by_type.setdefault(ident.type, []).append(ident)

    # -- helpers -------------------------------------------------------------------------------
    def of(self, *types: str) -> list[Identity]:
        return [i for t in types for i in self.by_type.get(t, ())]

    def values_of(self, *types: str) -> list[Mapping[str, Any]]:
        return [i.resource.values for i in self.of(*types)]

    def lookup(self, service: str, action: str, identity: Identity, target: str,
               fn: Callable[[Any], Any], out: list[Finding]) -> Any:
        """One read about one identity: None (with a finding) when denied or failed; raises
        botocore ClientError for 'no such entity' so the caller can call it drift."""
        try:
            return self.session.call(service, action, target, fn)
        except botocore.exceptions.ClientError as exc:
            if is_missing(exc):
                raise
            rule = _rule("live-lookup-denied")
            if is_denied(exc):
                msg = access_denied(f"{service}:{action}", f"{identity.address} ({target})", self.caller)
            else:
                msg = (f"{service}:{action} on {identity.address} ({target}) failed "
                       f"({error_code(exc) or 'error'}); it could not be verified")
            out.append(rule.finding(identity, msg))
            return None

    def tag_drift(self, identity: Identity, live_tags: Mapping[str, str], out: list[Finding]) -> None:
        if identity.inherited or identity.tags_unknown:
            return
        for label, keys in (("owner", self.config.owner_keys), ("expiry", self.config.expiry_keys)):
            if label == "expiry":
                # Of several expiry tags the earliest valid one governs, on both sides, as nhi check
                # chooses; tags in AWS that disagree anew are its invalid-expiry finding.
                _, declared, declared_error = governing_expiry(identity.tags, keys)
                key, actual, error = governing_expiry(live_tags, keys)
                if declared is UNKNOWN:
                    continue
                if error is not None and error != declared_error:
                    out.append(_rule("invalid-expiry").finding(
                        identity, f"{identity.address} expiry tag '{key}' {error} (tags in AWS, changed "
                                  "outside Terraform)"))
            else:
                declared, actual = identity.tag(keys), lookup_tag(live_tags, keys)[1]
                if declared is UNKNOWN:
                    continue
            declared = None if declared is None else str(declared)
            if declared != actual:
                if actual is None:
                    what = f"{label} tag is missing in AWS (declared {declared})"
                elif declared is None:
                    what = f"{label} tag is {actual} in AWS but not declared"
                else:
                    what = f"{label} tag is {actual} in AWS, declared {declared}"
                out.append(_rule("drift").finding(identity, f"{identity.address}: {what} "
                                                            "(changed outside Terraform)"))

    def gone(self, identity: Identity, what: str, out: list[Finding]) -> dict[str, Any]:
        if identity.resource.kind in (InputKind.HCL, InputKind.CDKTF):
            # Only declared, never seen applied: it may simply not be applied yet.
            out.append(_rule("drift").finding(identity, f"{identity.address}: {what} is declared but does not "
                                                        "exist in AWS (not applied yet, or deleted outside "
                                                        "Terraform)", severity=Severity.INFO))
        else:
            out.append(_rule("drift").finding(identity, f"{identity.address}: {what} does not exist in AWS "
                                                        "(deleted outside Terraform)"))
        return {"status": "missing"}

    def outside(self, identity: Identity, what: str, out: list[Finding]) -> None:
        out.append(_rule("credential-outside-terraform").finding(
            identity, f"{identity.address} has {what} that no input declares"))

    # -- users and roles ---------------------------------------------------------------------
    def principal(self, identity: Identity, kind: str) -> tuple[Mapping[str, Any] | None, str | None,
                                                                 dict[str, Any] | None, list[Finding]]:
        """GetUser/GetRole and the tags of an IAM ``kind`` ("user" or "role"): (the live object or
        None, its name, a ``live`` status object when it could not be shown, findings)."""
        out: list[Finding] = []
        name = _s(identity.resource.values, "name")
        if name is None:
            return None, None, None, out
        cap = kind.capitalize()
        what = f"{kind} {name}"
        try:
            got = self.lookup("iam", f"Get{cap}", identity, what,
                              lambda c: getattr(c, f"get_{kind}")(**{f"{cap}Name": name}), out)
            if got is None:
                return None, name, {"status": "unverified"}, out
            tags = self.lookup("iam", f"List{cap}Tags", identity, what,
                               lambda c: tag_map(paginate(c, f"list_{kind}_tags", "Tags", **{f"{cap}Name": name})),
                               out)
        except botocore.exceptions.ClientError:
            return None, name, self.gone(identity, f"IAM {kind} {name}", out), out
        if tags is not None:
            self.tag_drift(identity, tags, out)
        return got[cap], name, None, out

    def user(self, identity: Identity) -> tuple[dict[str, Any] | None, list[Finding]]:
        user, name, status, out = self.principal(identity, "user")
        if user is None or name is None:
            return status, out
        self.user_extras(identity, name, out)
        return {"arn": user.get("Arn"), "status": "present", "create_date": _fmt(_date(user.get("CreateDate"))),
                "password_last_used": _fmt(_date(user.get("PasswordLastUsed")))}, out

    def reader(self, identity: Identity, what: str, out: list[Finding]) -> Callable[[str, Callable[[Any], Any]], Any]:
        """A read about ``what`` for one identity: None (a finding said why) when it cannot be shown."""
        def read(action: str, fn: Callable[[Any], Any]) -> Any:
            try:
                return self.lookup("iam", action, identity, what, fn, out)
            except botocore.exceptions.ClientError:
                return None

        return read

    def policies_outside(self, identity: Identity, kind: str, name: str, out: list[Finding], *,
                         inline: Iterable[Any] = (), arns: Iterable[Any] = ()) -> None:
        """Inline and attached policies of a user or role that no input declares (``inline``/``arns``:
        what the identity's own attributes declare besides the policy resources)."""
        cap = kind.capitalize()
        param = {f"{cap}Name": name}
        read = self.reader(identity, f"{kind} {name}", out)
        live_inline = read(f"List{cap}Policies",
                           lambda c: list(paginate(c, f"list_{kind}_policies", "PolicyNames", **param)))
        declared_inline = set(inline) | {v.get("name") for v in self.values_of(f"aws_iam_{kind}_policy")
                                         if v.get(kind) == name}
        for pol in sorted(set(live_inline or ()) - declared_inline):
            self.outside(identity, f"inline policy {pol}", out)
        attached = read(f"ListAttached{cap}Policies",
                        lambda c: list(paginate(c, f"list_attached_{kind}_policies", "AttachedPolicies", **param)))
        declared_arns = set(arns) | {v.get("policy_arn") for v in self.values_of(f"aws_iam_{kind}_policy_attachment")
                                     if v.get(kind) == name}
        declared_arns |= {v.get("policy_arn") for v in self.values_of("aws_iam_policy_attachment")
                          if name in (v.get(f"{kind}s") or ())}
        for arn in sorted({str(p.get("PolicyArn")) for p in attached or ()} - declared_arns):
            self.outside(identity, f"attached policy {arn}", out)

    def user_extras(self, identity: Identity, name: str, out: list[Finding]) -> None:
        read = self.reader(identity, f"user {name}", out)
        keys = read("ListAccessKeys", lambda c: list(paginate(c, "list_access_keys", "AccessKeyMetadata",
                                                                UserName=name)))
        declared = [v for v in self.values_of("aws_iam_access_key") if v.get("user") == name]
        declared_ids = {v.get("id") for v in declared if isinstance(v.get("id"), str)}
        unknown_ids = sum(1 for v in declared if not isinstance(v.get("id"), str))
        for key in sorted(keys or (), key=lambda k: str(k.get("AccessKeyId"))):
            kid = str(key.get("AccessKeyId"))
            if kid in declared_ids:
                continue
            if unknown_ids:
                unknown_ids -= 1
                continue
            self.outside(identity, f"access key {kid} ({key.get('Status')}, created "
                                   f"{_fmt(_date(key.get('CreateDate')))})", out)
        try:
            profile = self.session.call("iam", "GetLoginProfile", name,
                                        lambda c: c.get_login_profile(UserName=name))
        except botocore.exceptions.ClientError as exc:
            profile = None
            if not is_missing(exc):
                read("GetLoginProfile", lambda c: c.get_login_profile(UserName=name))
        if profile and not any(v.get("user") == name for v in self.values_of("aws_iam_user_login_profile")):
            self.outside(identity, "a console login profile (password)", out)
        self.policies_outside(identity, "user", name, out)

    def role(self, identity: Identity) -> tuple[dict[str, Any] | None, list[Finding]]:
        role, name, status, out = self.principal(identity, "role")
        if role is None or name is None:
            return status, out
        created = _date(role.get("CreateDate"))
        last = role.get("RoleLastUsed") or {}
        last_used = _date(last.get("LastUsedDate"))
        self.dormancy(identity, f"role {name}", created, last_used, FRESHNESS_ROLE, out, role=True)
        self.role_extras(identity, name, out)
        return {"arn": role.get("Arn"), "status": "present", "create_date": _fmt(created),
                "last_used_date": _fmt(last_used), "last_used_region": last.get("Region")}, out

    def role_extras(self, identity: Identity, name: str, out: list[Finding]) -> None:
        values = identity.resource.values
        managed = values.get("managed_policy_arns")
        self.policies_outside(
            identity, "role", name, out,
            inline={b.get("name") for b in values.get("inline_policy") or () if isinstance(b, dict)},
            arns=set(managed) if isinstance(managed, list) else set())

    # -- access keys ---------------------------------------------------------------------------
    def access_key(self, identity: Identity) -> tuple[dict[str, Any] | None, list[Finding]]:
        out: list[Finding] = []
        values = identity.resource.values
        kid, user = _s(values, "id"), _s(values, "user")
        if kid is None or user is None:
            return None, out
        try:
            keys = self.lookup("iam", "ListAccessKeys", identity, f"the access keys of user {user}",
                               lambda c: list(paginate(c, "list_access_keys", "AccessKeyMetadata",
                                                       UserName=user)), out)
        except botocore.exceptions.ClientError:
            keys = []
        if keys is None:
            return {"access_key_id": kid, "status": "unverified"}, out
        key = next((k for k in keys if k.get("AccessKeyId") == kid), None)
        if key is None:
            live = self.gone(identity, f"access key of user {user}", out)
            return {"access_key_id": kid, **live}, out
        status = str(key.get("Status"))
        created = _date(key.get("CreateDate"))
        used = self.lookup("iam", "GetAccessKeyLastUsed", identity, f"an access key of user {user}",
                           lambda c: c.get_access_key_last_used(AccessKeyId=kid), out)
        last = (used or {}).get("AccessKeyLastUsed") or {}
        last_used = _date(last.get("LastUsedDate"))
        # Judged by the deadline, as rule expired and retirement judge it: the earlier of the
        # credential's own expiry and the one its tag (or declaration) claims.
        deadline = identity.deadline
        if status == "Active" and deadline is not None and is_expired(deadline, self.now):
            out.append(_rule("key-active-past-expiry").finding(
                identity, f"{identity.address} is still Active in AWS but expired at "
                          f"{format_instant(deadline)}{whose_deadline(identity)}"))
        if status == "Inactive":
            out.append(_rule("key-inactive-not-deleted").finding(
                identity, f"{identity.address} is Inactive in AWS but still exists: revoked, not deleted"))
        from datetime import timedelta

        from nhi_toolkit.checks import exceeds_lifetime, max_lifetime_days

        max_days = max_lifetime_days(self.config, identity.type)
        # Age in whole days, as the message states it.
        if max_days and created is not None and exceeds_lifetime(timedelta(days=_days(self.now, created)),
                                                                 max_days):
            out.append(_rule("key-too-old").finding(
                identity, f"{identity.address} was created {_fmt(created)}, {_days(self.now, created)} days "
                          f"ago: older than the {max_days}-day maximum for {identity.type}"))
        if status == "Active" and used is not None:
            self.dormancy(identity, "access key", created, last_used, FRESHNESS_KEY, out)
        return {"access_key_id": kid, "status": status, "create_date": _fmt(created),
                "last_used_date": _fmt(last_used),
                "last_used_service": last.get("ServiceName") if last.get("ServiceName") != "N/A" else None,
                "last_used_region": last.get("Region") if last.get("Region") != "N/A" else None,
                "arn": self._user_arn(user)}, out

    def _user_arn(self, user: str) -> str | None:
        parts = self.caller.split(":")
        return f"arn:{parts[1]}:iam::{parts[4]}:user/{user}" if len(parts) > 4 and parts[4] else None

    def dormancy(self, identity: Identity, what: str, created: datetime | None, last_used: datetime | None,
                 freshness: str, out: list[Finding], *, role: bool = False) -> None:
        window = self.dormant_days
        rule = _rule("dormant")
        if last_used is None:
            if created is not None and _days(self.now, created) < window:
                return  # grace: younger than the window
            span = (f"in the {ROLE_LAST_USED_DAYS} days IAM tracks" if role and
                    (created is None or _days(self.now, created) > ROLE_LAST_USED_DAYS) else "since it was created")
            out.append(rule.finding(identity, f"{identity.address}: the {what} was never used {span} "
                                              f"(dormancy window {window} days; {freshness})"))
            return
        idle = _days(self.now, last_used)
        if idle > window:
            out.append(rule.finding(identity, f"{identity.address}: the {what} was last used {_fmt(last_used)}, "
                                              f"{idle} days ago (dormancy window {window} days; {freshness})"))

    # -- secrets -------------------------------------------------------------------------------
    def secret(self, identity: Identity) -> tuple[dict[str, Any] | None, list[Finding]]:
        out: list[Finding] = []
        values = identity.resource.values
        sid = _s(values, "arn") or _s(values, "name") or _s(values, "id")
        if sid is None:
            return None, out
        try:
            got = self.lookup("secretsmanager", "DescribeSecret", identity, f"secret {sid}",
                              lambda c: c.describe_secret(SecretId=sid), out)
        except botocore.exceptions.ClientError:
            return self.gone(identity, f"secret {sid}", out), out
        if got is None:
            return {"status": "unverified"}, out
        deleted = _date(got.get("DeletedDate"))
        if deleted is not None:
            out.append(_rule("drift").finding(
                identity, f"{identity.address}: the secret is scheduled for deletion in AWS "
                          f"(deletion date {_fmt(deleted)}), outside Terraform"))
        self.tag_drift(identity, tag_map(got.get("Tags") or ()), out)
        return {"arn": got.get("ARN"), "status": "pending-deletion" if deleted else "present",
                "create_date": _fmt(_date(got.get("CreatedDate"))),
                "deleted_date": _fmt(deleted),
                "last_accessed_date": _fmt(_date(got.get("LastAccessedDate")))}, out

    def run(self, identity: Identity) -> tuple[dict[str, Any] | None, list[Finding]]:
        handler = {"aws_iam_user": self.user, "aws_iam_role": self.role,
                   "aws_iam_access_key": self.access_key, "aws_secretsmanager_secret": self.secret}[identity.type]
        return handler(identity)


def _aws_key(identity: Identity) -> tuple[str, str] | None:
    v = identity.resource.values
    if identity.type == "aws_iam_access_key":
        ident = _s(v, "id")
    elif identity.type == "aws_secretsmanager_secret":
        ident = _s(v, "arn") or _s(v, "name")
    else:
        ident = _s(v, "name")
    return (identity.type, ident) if ident else None


def inspect_live(session: AwsSession, identities: Sequence[Identity], config: Config, now: datetime, *,
                 dormant_days: int = DEFAULT_DORMANT_DAYS, unmanaged: bool = True,
                 workers: int = 8) -> LiveResult:
    """Look every AWS identity up (each once, however many inputs name it) and, unless ``unmanaged``
    is false, scan the account for identities no input manages."""
    insp = _Inspector(session, identities, config, now, dormant_days)
    groups: dict[tuple[str, str], list[Identity]] = {}
    for ident in identities:
        res = ident.resource
        # A plan's creates do not exist yet; data sources are not managed here.
        if ident.type in LIVE_TYPES and not res.deleted and res.action != "create" and res.mode == "managed" \
                and (k := _aws_key(ident)) is not None:
            groups.setdefault(k, []).append(ident)
    for members in groups.values():  # look up through what was applied (state) before declarations
        members.sort(key=lambda i: (i.resource.kind in (InputKind.HCL, InputKind.CDKTF), i.address, str(i.source)))
    keys = sorted(groups)
    result = LiveResult(caller=insp.caller)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = list(pool.map(lambda k: insp.run(groups[k][0]), keys))
    for k, (live, findings) in zip(keys, answers, strict=True):
        result.findings.extend(findings)
        if live is not None:
            for ident in groups[k]:
                result.live[identity_key(ident)] = {k2: v for k2, v in live.items() if v is not None}
    if unmanaged:
        items = scan_unmanaged(session, identities)
        result.unmanaged = items
        rule = _rule("unmanaged")
        account = _account_of(insp.caller)
        for rank, item in enumerate(items, 1):
            why = f"; AI-likeness {item.score}: {', '.join(item.reasons)}" if item.score else "; no AI signs"
            why += f" (rank {rank} of {len(items)})"
            result.findings.append(rule.finding(
                None, f"{item.kind} {item.name} exists in the account but no input manages it"
                      f"{item.details}{why}",
                address=item.arn, source=Location(f"aws:{account}"),
                severity=Severity.ERROR if item.score else Severity.WARNING))
    return result


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else "account"
