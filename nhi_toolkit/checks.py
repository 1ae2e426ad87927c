"""One implementation of each lifecycle judgement: the rules, retirement, the CDKTF constructs and the
live AWS check all call these, so a rule and its twin elsewhere cannot drift apart.

* **leaver match**: is an owner on the leavers list, and has that person left as of ``now``;
* **revocation path**: which declared revocation paths Terraform (or rotation) carries out;
* **expiring soon**: is a deadline within the warning window and not yet passed;
* **lifetime excess**: is a span longer than a type's maximum lifetime;
* **expiry choice**: which of several expiry tags governs (the earliest), and how they disagree.

Pure functions over plain values: no I/O, no printing. Spans are compared in seconds, never by
building ``timedelta(days=limit)``, which overflows for a very large configured number of days.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, is_expired
from nhi_toolkit.recordtype import record

if TYPE_CHECKING:
    from nhi_toolkit.config import Config
    from nhi_toolkit.model import Identity

__all__ = [
    "ROTATION_PATHS",
    "TERRAFORM_PATHS",
    "Departure",
    "ExpiryChoice",
    "choose_expiry",
    "declared_revocation_path",
    "exceeds_lifetime",
    "expiring_soon",
    "is_rotation_path",
    "is_terraform_path",
    "leaver_match",
    "max_lifetime_days",
    "owner_departure",
]

_DAY = 86400

#: Declared revocation paths that mean "Terraform destroys it" (compared stripped, lower case).
TERRAFORM_PATHS = frozenset({"terraform", "terraform-destroy", "destroy", "nhi-retire"})
#: Declared revocation paths that mean "rotation replaces it".
ROTATION_PATHS = frozenset({"rotation", "rotate", "secret-rotation"})


# --- leavers --------------------------------------------------------------------------------------


_NAMED = re.compile(r"<([^<>]+)>\s*$")


def _mailbox(text: str) -> str:
    """An owner or leaver as an address or handle: ``Name <a@x>`` and ``mailto:a@x`` are ``a@x``."""
    t = text.strip().lower()
    m = _NAMED.search(t)
    if m:
        t = m.group(1).strip()
    return t.removeprefix("mailto:")


def leaver_match(owner: str, leavers: Iterable[str]) -> str | None:
    """The leavers-list entry matching an owner (email or handle, case-insensitive; a display name
    around an address, ``Name <a@x>``, on either side is looked past), if any."""
    o = _mailbox(owner)
    local = o.split("@", 1)[0]
    for entry in leavers:
        e = str(entry)
        m = _mailbox(e)
        if m == o or ("@" not in m and m == local) or ("@" not in o and m.split("@", 1)[0] == o):
            return e
    return None


@record()
class Departure:
    """An owner found on the leavers list who has left: the matching entry and the leaving date."""

    entry: str
    left_on: date | None

    @property
    def when(self) -> str:
        """`` on YYYY-MM-DD`` when the date is known, else empty (for messages)."""
        return f" on {self.left_on.isoformat()}" if self.left_on else ""


def owner_departure(owner: object, leavers: Mapping[str, date | None] | None,
                    now: datetime) -> Departure | None:
    """The departure of ``owner`` when it is on ``leavers`` with no date or a date on or before
    ``now``'s day; None otherwise (not a string, not listed, or leaving later)."""
    if not leavers or not isinstance(owner, str):
        return None
    entry = leaver_match(owner, leavers)
    if entry is None:
        return None
    left_on = leavers[entry]
    if left_on is not None and left_on > now.date():
        return None
    return Departure(entry, left_on)


# --- revocation paths -----------------------------------------------------------------------------


def declared_revocation_path(identity: Identity, keys: tuple[str, ...], *,
                             own_only: bool = False) -> str | None:
    """The revocation path the identity's tags declare (as written), or None when none is declared
    or it is blank. With ``own_only``, a path inherited from a parent does not count."""
    if own_only and identity.inherited:
        return None
    declared = identity.tag(keys)
    return declared if isinstance(declared, str) and declared.strip() else None


def is_terraform_path(path: str) -> bool:
    """True when a declared revocation path is carried out by a Terraform destroy."""
    return path.strip().lower() in TERRAFORM_PATHS


def is_rotation_path(path: str) -> bool:
    """True when a declared revocation path is carried out by rotation."""
    return path.strip().lower() in ROTATION_PATHS


# --- expiry windows and lifetimes -----------------------------------------------------------------


def expiring_soon(deadline: datetime, now: datetime, days: int) -> bool:
    """True when ``deadline`` has not passed and is at most ``days`` days after ``now``."""
    return not is_expired(deadline, now) and (deadline - now).total_seconds() <= days * _DAY


def max_lifetime_days(config: Config, rtype: str) -> int | None:
    """The maximum lifetime in days of a resource type (config, then catalog); None when the type
    is not an identity type or has no limit."""
    itype = config.catalog.get(rtype)
    return config.max_lifetime_for(itype) if itype else None


def exceeds_lifetime(span: timedelta, limit_days: int | None) -> bool:
    """True when ``span`` is longer than ``limit_days`` days (never with no limit)."""
    return limit_days is not None and span.total_seconds() > limit_days * _DAY


# --- expiry choice --------------------------------------------------------------------------------


@record()
class ExpiryChoice:
    """The expiry tag that governs when several are present, and why they are a finding."""

    key: str
    value: Any
    instant: datetime
    error: str | None
    """How the tags disagree (worded to follow ``expiry tag '<key>'``); None when they agree."""


def choose_expiry(tags: Mapping[str, Any], keys: tuple[str, ...],
                  parse: Callable[[Any], tuple[datetime | None, str | None]]) -> ExpiryChoice | None:
    """Which expiry tag governs when two or more of ``keys`` carry a value: the earliest valid
    instant (fail-safe: an identity expired by one tag is expired, whatever another says). The
    others disagreeing with it, or being invalid, is an ``error`` naming each tag; the same instant
    written twice is not. ``parse`` gives a value's (instant, error).

    None when fewer than two tags carry a known value, or none of them is valid: the first tag
    present decides, as for a single tag. A value known only after apply takes no part: the known
    ones still bound the identity's life. Invalid values are never quoted (they may be anything).
    """
    if len(_keyset(keys).intersection(tags)) < 2:  # most identities: one expiry tag, decided at C speed
        return None
    present = [(k, tags[k]) for k in keys if k in tags and tags[k] is not None]
    if len(present) < 2:
        return None
    from nhi_toolkit.model import UNKNOWN

    valid: list[tuple[datetime, int, str, Any]] = []
    invalid: list[tuple[str, str]] = []
    for n, (key, value) in enumerate(present):
        if value is UNKNOWN:
            continue
        at, err = parse(value)
        if at is not None:
            valid.append((at, n, key, value))
        else:
            invalid.append((key, (err or "invalid").removeprefix("is ")))
    if not valid or len(valid) + len(invalid) < 2:
        return None
    valid.sort(key=lambda v: (v[0], v[1]))
    at, _, key, value = valid[0]
    parts = [f"expiry tag '{k}' says {_shown(v)}" for a, _, k, v in valid[1:] if a != at]
    parts += [f"expiry tag '{k}' is not valid ({err})" for k, err in invalid]
    if not parts:
        return ExpiryChoice(key, value, at, None)
    which = "earliest valid one" if invalid else "earliest"
    return ExpiryChoice(key, value, at, f"says {_shown(value)}, but {' and '.join(parts)}: the expiry "
                                        f"tags disagree, and the {which} governs")


@lru_cache(maxsize=8)
def _keyset(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


def _shown(value: Any) -> str:
    """A valid expiry value as written (a date or timestamp: nothing else parses)."""
    return value.strip() if isinstance(value, str) else str(value)


def parse_expiry_value(value: Any) -> tuple[datetime | None, str | None]:
    """(instant, error) of an expiry tag's value, as ``nhi check`` reads it (a blank one is invalid)."""
    if isinstance(value, str) and not value.strip():
        return None, "is blank"
    try:
        return expiry_instant(value), None
    except InvalidExpiry as exc:
        return None, str(exc)


def governing_expiry(tags: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any, str | None]:
    """The governing expiry tag's key and value, and how several disagree (None when they agree), as
    :func:`choose_expiry` decides; the first present when it does not decide (one tag, or none valid)."""
    choice = choose_expiry(tags, keys, parse_expiry_value)
    if choice is not None:
        return choice.key, choice.value, choice.error
    key = next((k for k in keys if k in tags), None)
    return key, (None if key is None else tags[key]), None
