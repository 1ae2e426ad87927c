"""Provider-native expiry: credentials that carry their own end date, and where each identity's
owner and expiry finally come from (own tags, the parent's, a config declaration, the credential).

Where the credential itself expires (an Azure AD password's ``end_date``, a GCP key's
``valid_before``, a Vault token's ``explicit_max_ttl``), that instant is the identity's effective
expiry: the credential cannot outlive it. A tag (or declaration) that claims another instant is
kept as the *claimed* expiry and judged by rule ``expiry-mismatch`` (NHI015).

Instants are read with :mod:`nhi_toolkit.expiry` (the one definition of expiry). Relative lifetimes
(``end_date_relative``, Vault ``ttl``) count from the creation time: known when the input records it
(``start_date``, ``lease_started``), unknown until apply when the resource is yet to be created
(a plan's create, or configuration), and not placeable in state when the provider records no
creation time (then the tags decide, as for any other credential).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, format_instant, parse_now
from nhi_toolkit.model import UNKNOWN, Identity, InputKind, Resource, Unknown
from nhi_toolkit.recordtype import record

if TYPE_CHECKING:
    from nhi_toolkit.config import Config

__all__ = [
    "HELPER_TYPES",
    "NATIVE_EXPIRY",
    "NativeField",
    "NativeSpec",
    "native_expiry",
    "native_expiry_attrs",
    "native_expressions",
    "native_lifetime",
    "parse_duration",
    "settle",
]


@record()
class NativeField:
    """One attribute that bounds a credential's life."""

    attr: str
    form: str
    """``instant`` (RFC 3339, or a date meaning 00:00 UTC), ``epoch_ms`` (milliseconds since 1970;
    zero or less means none) or ``duration`` (from creation: Go/Vault duration text or seconds)."""
    computed: bool = False
    """The provider fills it in when unset: unknown in a plan or state is no evidence of an expiry."""
    only_if: tuple[str, Any, Any] | None = None
    """(attribute, required value, default when absent): the field counts only then."""


@record()
class NativeSpec:
    """How one resource type carries its own expiry."""

    fields: tuple[NativeField, ...]
    created: tuple[str, ...] = ()
    """Attributes recording the creation time (the base of relative fields)."""
    created_form: str = "instant"
    """How the creation time is written: ``instant`` (RFC 3339) or ``epoch_ms``."""
    settable: tuple[str, ...] = ()
    """Instant attributes a construct or module may set so tag and credential agree."""


_AZ = NativeSpec(
    fields=(NativeField("end_date", "instant", computed=True), NativeField("end_date_relative", "duration")),
    created=("start_date",),
    settable=("end_date",),
)

_GITLAB = NativeSpec(fields=(NativeField("expires_at", "instant", computed=True),))
_TFE = NativeSpec(fields=(NativeField("expired_at", "instant", computed=True),))

#: Resource type -> how its credential expires by itself. Types the catalog does not know yet are
#: harmless here: only identities are looked up.
NATIVE_EXPIRY: dict[str, NativeSpec] = {
    "azuread_application_password": _AZ,
    "azuread_application_certificate": _AZ,
    "azuread_service_principal_password": _AZ,
    "azuread_service_principal_certificate": _AZ,
    # valid_before is computed; 9999-12-31 (keys without an org expiry policy) is no expiry at all.
    "google_service_account_key": NativeSpec(fields=(NativeField("valid_before", "instant", computed=True),)),
    # A renewable token's ttl is renewed (the provider renews it on refresh): only explicit_max_ttl,
    # and ttl on a non-renewable token, bound its life. The provider resets lease_started on renewal,
    # so for a renewed token the result is an upper bound.
    "vault_token": NativeSpec(
        fields=(NativeField("explicit_max_ttl", "duration"),
                NativeField("ttl", "duration", only_if=("renewable", False, True))),
        created=("lease_started",),
    ),
    # Vault provider 5.x: ttl in seconds; the state records no creation time.
    "vault_approle_auth_backend_role_secret_id": NativeSpec(fields=(NativeField("ttl", "duration"),)),
    # GitLab: the token stops working at 00:00 UTC of its expires_at date (deploy tokens: an RFC 3339
    # instant). Newer providers and GitLab 16+ fill it in when unset: unknown is no evidence.
    **dict.fromkeys(
        ("gitlab_personal_access_token", "gitlab_project_access_token", "gitlab_group_access_token",
         "gitlab_group_service_account_access_token", "gitlab_deploy_token", "gitlab_project_deploy_token",
         "gitlab_group_deploy_token", "gitlab_user_impersonation_token"),
        _GITLAB),
    # Terraform Cloud/Enterprise: expired_at (RFC 3339); unset, the service picks one (2 years).
    **dict.fromkeys(("tfe_team_token", "tfe_organization_token", "tfe_audit_trail_token", "tfe_scim_token"),
                    _TFE),
    # Datadog service access token: expires_at (RFC 3339) when set; unset, it never expires.
    "datadog_service_access_token": NativeSpec(fields=(NativeField("expires_at", "instant"),)),
    # Databricks: expiry_time in epoch milliseconds (-1: none), lifetime_seconds from creation_time.
    "databricks_token": NativeSpec(
        fields=(NativeField("expiry_time", "epoch_ms", computed=True),
                NativeField("lifetime_seconds", "duration")),
        created=("creation_time",), created_form="epoch_ms",
    ),
    # The provider records no creation time for an on-behalf-of token: in state, the tags decide.
    "databricks_obo_token": NativeSpec(fields=(NativeField("lifetime_seconds", "duration"),)),
    # lifetime is "NNNNs" (default 730 days when unset); expire_time is what the service computed.
    "databricks_service_principal_secret": NativeSpec(
        fields=(NativeField("expire_time", "instant", computed=True), NativeField("lifetime", "duration")),
        created=("create_time",),
    ),
}

#: hashicorp/time resources whose values a credential's expiry may reference.
HELPER_TYPES = frozenset({"time_rotating", "time_offset"})

_NEVER_YEAR = 9999
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)", re.ASCII)
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60,
                 "h": 3600, "d": 86400}
_HELPER_REF = re.compile(r"^\$\{\s*(time_rotating|time_offset)\.([A-Za-z_][\w-]*)\.(\w+)\s*\}$")


def parse_duration(value: Any) -> timedelta | None:
    """A Go duration (``8760h``, ``1h30m``), a Vault duration (``30d``) or a number of seconds; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return timedelta(seconds=value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d+", text, re.ASCII):
        return timedelta(seconds=int(text))
    if not text or _GO_PART.sub("", text) != "":
        return None
    try:
        return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in _GO_PART.findall(text)))
    except OverflowError:
        return None


def _instant(value: Any) -> datetime | None:
    try:
        return parse_now(value) if isinstance(value, str) else None
    except InvalidExpiry:
        return None


def _epoch_ms(value: Any) -> datetime | None:
    """Milliseconds since 1970 (Databricks); zero or less (``-1``: never) and the unreadable are None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _add_months(base: datetime, months: int) -> datetime:
    """Calendar months, normalized as Go's AddDate does (Jan 31 + 1 month = Mar 3)."""
    total = base.year * 12 + (base.month - 1) + months
    first = base.replace(year=total // 12, month=total % 12 + 1, day=1)
    return first + timedelta(days=base.day - 1)


def _offset(base: datetime, values: Mapping[str, Any], prefix: str) -> datetime | Unknown | None:
    """``base`` moved by ``<prefix>_years/months/days/hours/minutes/seconds``; None when none is set."""
    units = ("years", "months", "days", "hours", "minutes", "seconds")
    got = {u: values.get(f"{prefix}_{u}") for u in units}
    if any(v is UNKNOWN for v in got.values()):
        return UNKNOWN
    nums = {u: v for u, v in got.items() if isinstance(v, int) and not isinstance(v, bool)}
    if not nums:
        return None
    try:
        out = _add_months(base, nums.get("years", 0) * 12 + nums.get("months", 0))
        return out + timedelta(days=nums.get("days", 0), hours=nums.get("hours", 0),
                               minutes=nums.get("minutes", 0), seconds=nums.get("seconds", 0))
    except (OverflowError, ValueError):
        return None


def _helper_value(helper: Resource, attr: str) -> datetime | Unknown | None:
    """The instant a ``time_rotating``/``time_offset`` attribute will hold, where resolvable."""
    values = helper.values
    if helper.type == "time_rotating":
        base_attr, result_attr, prefix = "rfc3339", "rotation_rfc3339", "rotation"
    else:
        base_attr, result_attr, prefix = "base_rfc3339", "rfc3339", "offset"
    if attr in ("id", base_attr):
        want = base_attr
    elif attr == result_attr:
        want = result_attr
    else:
        return None
    known = values.get(want)
    if isinstance(known, str):
        return _instant(known)
    pending = values.get(result_attr) is UNKNOWN  # apart: `x is UNKNOWN` in a condition narrows UNKNOWN to Any
    if want == result_attr and pending and helper.kind not in (InputKind.HCL, InputKind.CDKTF):
        return UNKNOWN
    base_raw = values.get(base_attr)
    if not isinstance(base_raw, str):
        return UNKNOWN  # no literal base: the base is the creation time, known after apply
    base = _instant(base_raw)
    if base is None or want == base_attr:
        return base
    return _offset(base, values, prefix)


def native_expressions(rtype: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Loader hook (HCL, CDKTF JSON): the raw expressions of a native-expiry type's expiry attributes.

    Kept as metadata so a reference such as ``time_rotating.x.rotation_rfc3339`` can be resolved
    against the time resource's own values. Expiry attributes are never secret.
    """
    spec = NATIVE_EXPIRY.get(rtype)
    if spec is None:
        return {}
    raw = {f.attr: body[f.attr] for f in spec.fields
           if isinstance(body.get(f.attr), str) and "${" in body[f.attr]}
    return {"native_expr": raw} if raw else {}


def _module_prefix(res: Resource) -> str:
    tail = f"{res.type}.{res.name}"
    addr = res.config_address
    return addr[: -len(tail)] if addr.endswith(tail) else ""


def _creation(res: Resource, spec: NativeSpec) -> datetime | Unknown | None:
    for attr in spec.created:
        value = res.values.get(attr)
        at = _epoch_ms(value) if spec.created_form == "epoch_ms" else \
            _instant(value) if isinstance(value, str) else None
        if at is not None:
            return at
    if res.kind in (InputKind.HCL, InputKind.CDKTF) or res.action in ("create", "replace"):
        return UNKNOWN  # created at apply
    return None  # exists, but its creation time is not recorded


def _set_fields(res: Resource, spec: NativeSpec) -> Iterator[tuple[NativeField, Any]]:
    """(field, value) for each expiry field of ``spec`` that applies to ``res`` (its ``only_if``
    holds) and is set (not absent, not empty); the value may be UNKNOWN."""
    for field in spec.fields:
        if field.only_if is not None:
            attr, wanted, default = field.only_if
            if res.values.get(attr, default) != wanted:
                continue
        raw = res.values.get(field.attr)
        if raw is not None and raw != "":
            yield field, raw

def native_expiry(res: Resource, helpers: Mapping[str, Resource] | None = None
                  ) -> tuple[str, datetime | Unknown] | None:
    """(attribute label, instant or UNKNOWN) of a credential's own expiry; None when it has none.

    Several bounds (Vault ``explicit_max_ttl`` and a non-renewable ``ttl``) give the earliest known.
    """
    spec = NATIVE_EXPIRY.get(res.type)
    if spec is None:
        return None
    config_input = res.kind in (InputKind.HCL, InputKind.CDKTF)
    exprs = res.metadata.get("native_expr") or {}
    found: list[tuple[datetime, str]] = []
    unknown: str | None = None
    for field, raw in _set_fields(res, spec):
        if raw is UNKNOWN:
            expr = exprs.get(field.attr) if config_input else None
            m = _HELPER_REF.match(expr) if isinstance(expr, str) else None
            helper = (helpers or {}).get(f"{_module_prefix(res)}{m.group(1)}.{m.group(2)}") if m else None
            if helper is not None and m is not None:
                value = _helper_value(helper, m.group(3))
                if isinstance(value, datetime):
                    found.append((value, field.attr))
                    continue
            if field.computed and not config_input:
                continue
            unknown = unknown or field.attr
            continue
        if field.form in ("instant", "epoch_ms"):
            at = _epoch_ms(raw) if field.form == "epoch_ms" else _instant(raw)
            if at is not None and at.year < _NEVER_YEAR:
                found.append((at, field.attr))
            continue
        length = parse_duration(raw)
        if not length:  # unreadable, or zero: Vault's "no maximum" / "the mount's default"
            continue
        created = _creation(res, spec)
        if isinstance(created, datetime):
            try:
                found.append((created + length, f"{spec.created[0]} + {field.attr}"))
            except OverflowError:
                continue
        elif created is UNKNOWN:
            unknown = unknown or field.attr
    if found:
        at, label = min(found)
        return label, at
    if unknown:
        return unknown, UNKNOWN
    return None


def native_lifetime(res: Resource) -> timedelta | None:
    """The shortest lifetime a credential is configured to live from creation, when every bound it
    sets is a known duration (so its expiry is at least creation plus this); else None.

    Judges an expiry that is unknown until apply: created at apply, the credential lives at least
    this long from now.
    """
    spec = NATIVE_EXPIRY.get(res.type)
    if spec is None:
        return None
    lengths: list[timedelta] = []
    for field, raw in _set_fields(res, spec):
        if raw is UNKNOWN and field.computed:
            continue
        length = parse_duration(raw) if field.form == "duration" else None
        if length is None:
            return None
        if length:  # zero sets no bound (Vault: no maximum, or the mount's default)
            lengths.append(length)
    return min(lengths) if lengths else None


def helper_index(resources: Iterable[Resource]) -> dict[str, Resource]:
    """``time_rotating``/``time_offset`` resources of a document by configuration address."""
    return {r.config_address: r for r in resources if r.type in HELPER_TYPES}


def settle(identity: Identity, config: Config, helpers: Mapping[str, Resource] | None = None) -> Identity:
    """The identity with its final owner and expiry and where each came from.

    Order: own tags, then the parent's (inherited), then a matching ``[[tool.nhi.declarations]]``
    entry for what is still absent (a value unknown until apply is not absent). A native expiry,
    when known, is the effective expiry; the tag's or declaration's value is kept as claimed.
    """
    own = "inherited" if identity.inherited else "tag"
    owner, expires, expires_at = identity.owner, identity.expires, identity.expires_at
    owner_source = own if owner is not None else None
    expiry_source = own if expires is not None else None
    declaration = None
    if owner is None or expires is None:
        declaration = next((d for d in config.declarations
                            if d.matches(identity.address, identity.source.origin)
                            or d.matches(identity.address, identity.source.file)), None)
        if declaration is not None:
            if owner is None:
                owner, owner_source = declaration.owner, "declaration"
            if expires is None:
                expires, expires_at, expiry_source = declaration.expires_at, declaration.expires_instant, \
                    "declaration"
    claimed: str | Unknown | None = None
    claimed_at: datetime | None = None
    native_attr: str | None = None
    native_at: datetime | None = None
    lifetime: timedelta | None = None
    native = native_expiry(identity.resource, helpers)
    if native is not None:
        native_attr, value = native
        if isinstance(value, datetime):
            native_at = value
            claimed, claimed_at = expires, expires_at
            expires, expires_at, expiry_source = format_instant(value), value, "native"
        else:
            lifetime = native_lifetime(identity.resource)
            if expires is None:
                expires, expiry_source = UNKNOWN, "native"
    if (declaration is None and native is None and owner_source == identity.owner_source
            and expiry_source == identity.expiry_source and identity.declaration is None
            and identity.claimed_expires is None and identity.claimed_expires_at is None
            and identity.native_attr is None and identity.native_expires_at is None
            and identity.native_lifetime is None):
        return identity  # nothing to settle: the record already says all of it (no copy)
    return replace(identity, owner=owner, expires=expires, expires_at=expires_at,
                   owner_source=owner_source, expiry_source=expiry_source, declaration=declaration,
                   claimed_expires=claimed, claimed_expires_at=claimed_at, native_attr=native_attr,
                   native_expires_at=native_at, native_lifetime=lifetime)


def native_expiry_attrs(resource_type: str, expires: str | date | datetime) -> dict[str, str]:
    """Provider attributes a construct or module sets so the credential expires with its tag.

    ``{"end_date": "2027-04-01T00:00:00Z"}`` for Azure AD passwords and certificates (the tag's
    instant: a date is valid through that day); ``{}`` for types whose expiry cannot be set as an
    instant (GCP keys: computed; Vault: relative to creation) or that have none (AWS IAM).
    """
    spec = NATIVE_EXPIRY.get(resource_type)
    if spec is None or not spec.settable:
        return {}
    if isinstance(expires, datetime):
        if expires.tzinfo is None:
            raise InvalidExpiry("a datetime expiry needs a timezone")
        at = expires.astimezone(UTC)
    else:
        at = expiry_instant(expires.isoformat() if isinstance(expires, date) else expires)
    return dict.fromkeys(spec.settable, format_instant(at))
