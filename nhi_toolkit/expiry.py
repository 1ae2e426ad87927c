"""The one definition of expiry shared by the checker, the CDKTF layer, the HCL modules and retirement.

An expiry is either a calendar date ``YYYY-MM-DD`` or an RFC 3339 timestamp with an offset.

* A date is valid through that whole day in UTC: ``2026-12-01`` expires at ``2026-12-02T00:00:00Z``.
* A timestamp expires at exactly that instant.
* An identity is expired when *now* is at or past its expiry instant.

``--now`` accepts the same two forms; a date there means 00:00 UTC of that day.
The HCL modules mirror this with ``timeadd("${date}T00:00:00Z", "24h")`` and ``timecmp``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

__all__ = [
    "InvalidExpiry",
    "expiry_instant",
    "format_instant",
    "is_date_only",
    "is_expired",
    "parse_now",
]

# re.ASCII: without it \d also matches other scripts' digits (fullwidth, Arabic-Indic ...).
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


#: An instant before 0001-01-01 or after 9999-12-31 in UTC (e.g. the end of day 9999-12-31).
_OUT_OF_RANGE = "outside the supported date range (years 1 to 9999 in UTC)"


class InvalidExpiry(ValueError):
    """An expiry or ``--now`` value that is not a real date or RFC 3339 timestamp.

    The message describes the problem without quoting the value.
    """


def _make_date(y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise InvalidExpiry("not a real calendar date") from None


def _parse(text: object, *, date_means_end_of_day: bool) -> datetime:
    if not isinstance(text, str):
        raise InvalidExpiry("not a string")
    value = text.strip()
    if not value:
        raise InvalidExpiry("blank")
    m = _DATE.fullmatch(value)
    if m:
        day = _make_date(*m.groups())
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if not date_means_end_of_day:
            return start
        try:
            return start + timedelta(days=1)
        except OverflowError:
            raise InvalidExpiry(_OUT_OF_RANGE) from None
    m = _STAMP.fullmatch(value)
    if not m:
        raise InvalidExpiry("not a YYYY-MM-DD date or an RFC 3339 timestamp with an offset")
    y, mo, d, hh, mm, ss, frac, off = m.groups()
    day = _make_date(y, mo, d)
    h, mi, s = int(hh), int(mm), int(ss)
    if h > 23 or mi > 59 or s > 60:
        raise InvalidExpiry("not a real time of day")
    if s == 60:  # a leap second is the first instant of the next minute
        s = 59
        extra = timedelta(seconds=1)
    else:
        extra = timedelta(0)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    if off in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if off[0] == "+" else -1
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            raise InvalidExpiry("not a real UTC offset")
        tz = timezone(sign * timedelta(hours=oh, minutes=om))
    try:
        instant = datetime(day.year, day.month, day.day, h, mi, s, micro, tzinfo=tz) + extra
        return instant.astimezone(UTC)
    except OverflowError:
        raise InvalidExpiry(_OUT_OF_RANGE) from None


def expiry_instant(text: object) -> datetime:
    """Return the UTC instant at which an identity with this expiry value stops being valid."""
    return _parse(text, date_means_end_of_day=True)


def is_date_only(text: object) -> bool:
    """True when an expiry value is a calendar date (valid through that day), not a timestamp."""
    return isinstance(text, str) and _DATE.fullmatch(text.strip()) is not None


def parse_now(text: str) -> datetime:
    """Parse a ``--now`` value: a date means 00:00 UTC of that day."""
    return _parse(text, date_means_end_of_day=False)


def is_expired(expires_at: datetime, now: datetime) -> bool:
    """An identity is expired when now is at or past its expiry instant."""
    return now >= expires_at


@lru_cache(maxsize=1024)  # equal instants (in any zone) are written alike; inputs repeat few of them
def format_instant(instant: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix and a four-digit year; sub-second digits only when present."""
    instant = instant.astimezone(UTC)
    # strftime's %Y does not pad years before 1000 on every platform; RFC 3339 needs four digits.
    head = f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}T{instant:%H:%M:%S}"
    return f"{head}.{instant.microsecond:06d}Z" if instant.microsecond else f"{head}Z"
