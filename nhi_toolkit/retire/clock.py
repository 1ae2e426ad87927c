"""The wall clock a retirement checks ``--now`` against.

``--now`` (or ``NHI_NOW``, or a reviewed manifest's ``now``) pins the instant expiry is judged at, so
that runs are reproducible. Set later than the clock (a typo, or a hostile argument in a scheduled
pipeline), it would retire identities before they actually expire: applying with such a ``now`` is
refused unless ``--allow-future-now`` says it is meant (a rehearsal). A review-only run (no
``--apply``) only warns: it destroys nothing.

The clock is :data:`nhi_toolkit.retire.CLOCK`, looked up at each call, so tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from nhi_toolkit.expiry import format_instant

__all__ = ["FUTURE_NOW_TOLERANCE", "future_now"]

FUTURE_NOW_TOLERANCE = timedelta(minutes=5)
"""How far ``now`` may run ahead of the wall clock (clock skew between a pipeline's steps)."""


def future_now(now: datetime, clock: Callable[[], datetime] | None = None) -> str | None:
    """None when ``now`` is at most :data:`FUTURE_NOW_TOLERANCE` past the wall clock; else a
    sentence saying by how much it is ahead."""
    if clock is None:
        from nhi_toolkit import retire

        clock = retire.CLOCK
    wall = clock().replace(microsecond=0)
    ahead = now - wall
    if ahead <= FUTURE_NOW_TOLERANCE:
        return None
    return (f"{format_instant(now)} is later than the clock ({format_instant(wall)}) by {_span(ahead)}: "
            "expiry judged then would retire identities before they expire")


def _span(delta: timedelta) -> str:
    secs = int(delta.total_seconds())
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d"] if days else []
    if hours or (days and minutes):
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or f"{secs} s"
