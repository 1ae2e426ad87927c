"""What an integration declares about its identities, checked before anything reaches Terraform.

Pure Python (no CDK runtime): the validation, the tags, the lifetime limits, the ``nhi_now`` gate
expression and suppression entries, so they can be tested and reused on their own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from nhi_toolkit.config import Config
from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, format_instant, is_expired, parse_now

__all__ = [
    "NHI_NOW_ENV",
    "NHI_NOW_INSTANT_EXPRESSION",
    "NHI_NOW_LOCAL",
    "NHI_NOW_VARIABLE",
    "Declaration",
    "DeclarationError",
    "check_lifetime",
    "clock",
    "expiry_text",
    "gate_expression",
    "suppression_entry",
]

#: The one clock setting: the environment variable ``nhi check --now`` and ``nhi retire --now`` read.
NHI_NOW_ENV = "NHI_NOW"
#: The Terraform variable every synthesized stack declares; set, it retires what has expired.
NHI_NOW_VARIABLE = "nhi_now"
#: The local holding ``var.nhi_now`` as an RFC 3339 instant (a date means 00:00Z of that day).
NHI_NOW_LOCAL = "nhi_now_instant"

# AWS tag values: at most 256 characters of letters, digits, spaces and _ . : / = + - @
_TAG_VALUE = re.compile(r"[\w .:/=+\-@]{1,256}")
_INTEGRATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}")


class DeclarationError(ValueError):
    """An identity declaration that cannot be synthesized; the message names the construct path."""


def clock() -> datetime:
    """Now, as the toolkit judges expiry: ``NHI_NOW`` when set, else the system clock (UTC)."""
    text = os.environ.get(NHI_NOW_ENV, "").strip()
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_now(text)
    except InvalidExpiry as exc:
        raise DeclarationError(f"{NHI_NOW_ENV} is {exc} (use YYYY-MM-DD or RFC 3339)") from None


def expiry_text(value: object) -> str:
    """The tag value for an expiry given as a ``date``, an aware ``datetime`` or a string."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidExpiry("a datetime without a time zone")
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    raise InvalidExpiry("not a date, an aware datetime or a string")


def _text(path: str, what: str, value: object, *, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DeclarationError(f"{path}: {what} is missing")
        return ""
    if not isinstance(value, str):
        raise DeclarationError(f"{path}: {what} must be a string, not {type(value).__name__}")
    text = value.strip()
    if not _TAG_VALUE.fullmatch(text):
        raise DeclarationError(
            f"{path}: {what} is not a valid AWS tag value (at most 256 letters, digits, spaces "
            "and _ . : / = + - @)")
    return text


@dataclass(frozen=True)
class Declaration:
    """The owner, expiry, purpose, approval, integration name and revocation path of identities."""

    path: str
    """Construct path, named in every error."""
    owner: str
    expires: str
    expires_at: datetime
    purpose: str
    approved_by: str
    integration: str
    revocation_path: str = "terraform-destroy"
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, path: str, *, owner: object, expires: object, purpose: object, approved_by: object,
             integration: object, revocation_path: object = "terraform-destroy",
             extra_tags: Mapping[str, str] | None = None) -> Declaration:
        """Validate every field; raise :class:`DeclarationError` naming ``path`` on the first problem."""
        owner_text = _text(path, "owner", owner)
        if expires is None or (isinstance(expires, str) and not expires.strip()):
            raise DeclarationError(f"{path}: expiry is missing (a date such as 2027-03-31)")
        try:
            exp_text = expiry_text(expires)
            exp_at = expiry_instant(exp_text)
        except InvalidExpiry as exc:
            raise DeclarationError(f"{path}: expiry is invalid: {exc}") from None
        name = integration if isinstance(integration, str) else ""
        if not _INTEGRATION_NAME.fullmatch(name):
            raise DeclarationError(f"{path}: integration name must be 1-63 letters, digits, '-', '_' "
                                   "or '.', starting with a letter or digit")
        tags = {}
        for key, value in (extra_tags or {}).items():
            tags[str(key)] = _text(path, f"tag {key!r}", value)
        return cls(
            path=path, owner=owner_text, expires=exp_text, expires_at=exp_at,
            purpose=_text(path, "purpose", purpose), approved_by=_text(path, "approval (approved_by)",
                                                                        approved_by),
            integration=name, revocation_path=_text(path, "revocation path", revocation_path),
            extra_tags=tags,
        )

    def with_expiry(self, path: str, expires: object) -> Declaration:
        """The same declaration for one identity with its own (earlier) expiry."""
        return Declaration.make(path, owner=self.owner, expires=expires, purpose=self.purpose,
                                approved_by=self.approved_by, integration=self.integration,
                                revocation_path=self.revocation_path, extra_tags=self.extra_tags)

    def tags(self, config: Config) -> dict[str, str]:
        """The tags every identity carries, under the first key of each of the config's key lists."""
        return {
            **self.extra_tags,
            config.owner_keys[0]: self.owner,
            config.expiry_keys[0]: self.expires,
            config.purpose_keys[0]: self.purpose,
            config.approval_keys[0]: self.approved_by,
            config.integration_keys[0]: self.integration,
            config.revocation_keys[0]: self.revocation_path,
        }

    def expired(self, now: datetime) -> bool:
        """True when ``now`` is at or past the expiry instant (not an error: it is retired)."""
        return is_expired(self.expires_at, now)


def check_lifetime(decl: Declaration, path: str, resource_types: tuple[str, ...], config: Config,
                   now: datetime) -> None:
    """Refuse an expiry beyond the maximum lifetime of any of the identity types it will carry.

    Measured from ``now`` exactly as the ``expiry-too-far`` rule measures it; an expiry already past
    is never refused, so an expired integration still synthesizes and can be retired.
    """
    from nhi_toolkit.checks import exceeds_lifetime, max_lifetime_days

    for rtype in resource_types:
        limit = max_lifetime_days(config, rtype)
        if exceeds_lifetime(decl.expires_at - now, limit):
            raise DeclarationError(
                f"{path}: expiry {decl.expires} is more than {limit} days after "
                f"{format_instant(now)}, the maximum lifetime of {rtype}; choose an earlier expiry")


def gate_expression(key: str, instant: datetime) -> str:
    """The ``for_each`` that declares an identity only while ``nhi_now`` is unset or before expiry."""
    quoted = key.replace("\\", "\\\\").replace('"', '\\"')
    return (f'${{{{ for k, v in {{ "{quoted}" = "{format_instant(instant)}" }} : k => v '
            f"if local.{NHI_NOW_LOCAL} == null ? true : timecmp(local.{NHI_NOW_LOCAL}, v) < 0 }}}}")


#: ``var.nhi_now`` as an instant: a date YYYY-MM-DD means 00:00 UTC of that day, as ``--now`` reads it.
NHI_NOW_INSTANT_EXPRESSION = (
    f"${{var.{NHI_NOW_VARIABLE} == null ? null : length(trimspace(var.{NHI_NOW_VARIABLE})) == 10 ? "
    f'join("", [trimspace(var.{NHI_NOW_VARIABLE}), "T00:00:00Z"]) : trimspace(var.{NHI_NOW_VARIABLE})}}'
)


def suppression_entry(path: str, rule: object, reason: object, until: object) -> dict[str, Any]:
    """A ``//.nhi.suppress`` entry, validated as ``nhi check`` validates every suppression
    (:func:`nhi_toolkit.suppress.make_suppression`); refused at once when the rule is unknown or
    listed in ``unwaivable`` (the config ``nhi check`` finds from the current directory)."""
    from nhi_toolkit.cdktf.integration import default_config
    from nhi_toolkit.rules import rule_by_key
    from nhi_toolkit.suppress import InvalidSuppression, is_unwaivable, make_suppression

    if not isinstance(rule, str) or not rule.strip():
        raise DeclarationError(f"{path}: a suppression needs a rule id or name")
    found = rule_by_key(rule.strip())
    if found is None:
        raise DeclarationError(f"{path}: unknown rule {rule!r} (see 'nhi rules')")
    if is_unwaivable(found, default_config()):
        raise DeclarationError(f"{path}: rule {found.name} cannot be suppressed (unwaivable)")
    try:
        until_text = expiry_text(until)
    except InvalidExpiry:
        until_text = None
    try:
        waiver = make_suppression(found.name, reason, until_text)
    except InvalidSuppression as exc:
        raise DeclarationError(f"{path}: a suppression of {found.name} {exc}") from None
    return {"rule": found.name, "reason": waiver.reason, "until": waiver.until}
