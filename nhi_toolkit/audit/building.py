"""Building the next entries of a chain: the items to append are checked before anything is written
(run id, event names, the secret guard, JSON form, ``data.now``), then stamped with the clock and
hashed after the head. Shared by the file and the remote log, so each refuses the same things."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from nhi_toolkit.audit.chain import (
    AuditEntry,
    Event,
    canonical,
    digest,
    format_at,
    format_instant_arg,
    valid_run_id,
)
from nhi_toolkit.audit.secret_guard import check_no_secrets

__all__ = ["AuditItem", "Prepared", "SkipKey", "chain_after", "prepare", "stamp", "unseen", "wall_clock"]

AuditItem = tuple["Event | str", "Mapping[str, Any] | None"]
"""One entry to append with :meth:`AuditLog.extend`: its event and its data."""

SkipKey = Callable[[str, Mapping[str, Any]], Hashable | None]
"""For :meth:`AuditLog.extend`: an entry's de-duplication key from its event and data, or None."""

Prepared = list[tuple[str, dict[str, Any]]]
"""Checked items: each event's name and its data in the form that is hashed."""


def wall_clock() -> datetime:
    """The wall clock in UTC: the default of :data:`nhi_toolkit.audit.CLOCK`."""
    return datetime.now(UTC)


def stamp(clock: Callable[[], datetime] | None) -> str:
    """The ``at`` of entries written now: ``clock``, else :data:`nhi_toolkit.audit.CLOCK`."""
    # Looked up at each call: the package attribute is where callers and tests replace the clock.
    from nhi_toolkit import audit

    try:
        return format_at((clock or audit.CLOCK)())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the audit clock gave no valid instant: {exc}") from None


def prepare(items: Iterable[AuditItem], run_id: str, now: datetime | str | None, shown: str) -> Prepared:
    """Validate a run id and items before anything is written: event names, the secret guard, JSON
    form, ``data.now``."""
    if not valid_run_id(run_id):
        raise ValueError("run_id must be 1-128 letters, digits or ._:- starting with a letter or digit")
    stamped_now = format_instant_arg(now, "now") if now is not None else None
    prepared: Prepared = []
    for event, data in items:
        try:
            name = Event(event).value
        except ValueError:
            raise ValueError(f"unknown audit event {event!r}; known: {', '.join(Event)}") from None
        payload: Any = {} if data is None else data
        if not isinstance(payload, Mapping):
            raise TypeError("data must be a mapping")
        check_no_secrets(payload, file=shown)
        try:
            # A round trip fixes the stored form (tuples become lists) before it is hashed.
            payload = json.loads(canonical(payload))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data is not JSON-serialisable: {type(exc).__name__}") from None
        if stamped_now is not None:
            payload.setdefault("now", stamped_now)
        prepared.append((name, payload))
    return prepared


def unseen(items: Prepared, skip: SkipKey, seen: set[Hashable]) -> Prepared:
    """The items whose skip key is neither in ``seen`` nor given by an earlier item (None never
    matches); ``seen`` grows with the keys kept."""
    kept = []
    for name, payload in items:
        key = skip(name, payload)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append((name, payload))
    return kept


def chain_after(prepared: Iterable[tuple[str, dict[str, Any]]], seq: int, prev: str, run_id: str,
                at: str) -> list[tuple[AuditEntry, bytes]]:
    """The entries (and their canonical lines, newline included) that extend a chain whose last
    entry is ``seq`` with hash ``prev``, each stamped ``at``."""
    out: list[tuple[AuditEntry, bytes]] = []
    for name, payload in prepared:
        seq += 1
        body: dict[str, Any] = {"seq": seq, "at": at, "event": name, "run_id": run_id,
                                "data": payload, "prev": prev}
        body["hash"] = digest(body)
        out.append((AuditEntry(seq=seq, at=at, event=name, run_id=run_id,
                               data=json.loads(canonical(payload)), prev=prev, hash=body["hash"]),
                    (canonical(body) + "\n").encode("ascii")))
        prev = body["hash"]
    return out
