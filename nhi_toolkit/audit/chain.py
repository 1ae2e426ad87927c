"""The chain format: entries, their canonical lines and hashes, instants, and the check of a chain.

Format
======
JSON Lines: one entry per line, each line ending in ``\\n``. A line is the *canonical* serialisation
of its entry, ``json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
allow_nan=False)``, so it is plain ASCII and the same entry always gives the same bytes::

    {"at":"2026-05-01T09:00:03.120211Z","data":{"address":"aws_iam_user.bot","now":"2026-05-01T00:00:00Z"},
     "event":"planned","hash":"<64 hex>","prev":"<64 hex>","run_id":"r-1","seq":3}

(one line in the file). The fields, and no others:

``seq``     1-based position of the entry in the log.
``at``      when the entry was written: the wall clock in UTC, RFC 3339 with a ``Z`` suffix and
            always a four-digit year (``0999-06-01T00:00:00Z``, never ``999-...``); microseconds
            only when not zero. It is never the pinned ``--now``: a rerun appends entries with a
            later ``at``. Tests inject the clock (``AuditLog(path, clock=...)`` or
            :data:`nhi_toolkit.audit.CLOCK`).
``event``   what happened; :class:`Event` lists the names written by nhi-toolkit.
``run_id``  groups the entries of one run: letters, digits and ``._:-``, at most 128 characters.
``data``    a JSON object: addresses, owners, reasons, plan hashes; never a secret (see
            :mod:`nhi_toolkit.audit.secret_guard`). ``data.now`` is the evaluation time of the run
            (its ``--now`` / ``NHI_NOW``, or the clock when none was pinned), in the same form as ``at``.
``prev``    the ``hash`` of the previous entry; :data:`ZERO_HASH` (64 zeros) for the first.
``hash``    hex SHA-256 of the canonical serialisation of the entry without its ``hash`` field.

The *head* of a log is the ``hash`` of its last entry, and :data:`ZERO_HASH` for an empty log.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.audit.errors import BadLine, ChainBroken
from nhi_toolkit.expiry import InvalidExpiry, parse_now

__all__ = [
    "FIELDS",
    "ZERO_HASH",
    "AuditEntry",
    "Event",
    "canonical",
    "digest",
    "format_at",
    "format_instant_arg",
    "new_run_id",
    "parse_line",
    "scan",
    "valid_run_id",
]

ZERO_HASH = "0" * 64
"""The ``prev`` of the first entry, and the head of an empty log."""

FIELDS = frozenset({"seq", "at", "event", "run_id", "data", "prev", "hash"})
"""The fields of an entry, and no others."""


class Event(enum.StrEnum):
    """The events nhi-toolkit writes. New names may be added; :func:`verify` accepts any well-formed
    name, so logs written by a newer version still verify."""

    RUN_STARTED = "run-started"
    """A retirement run began; data: what it will consider (manifest or plan hash, mode)."""
    PLANNED = "planned"
    """A retirement step was planned (address, reason)."""
    VERIFIED = "verified"
    """A step's destroy plan passed the safety checks."""
    REFUSED = "refused"
    """A step was refused by a safety check or a policy (reason)."""
    APPLIED = "applied"
    """A step's destroy was applied."""
    CONFIRMED = "confirmed"
    """After apply, the identity was confirmed gone."""
    FAILED = "failed"
    """A step failed (error description, never a value)."""
    RETRIED = "retried"
    """A failed step is being tried again (attempt number)."""
    RUN_FINISHED = "run-finished"
    """A retirement run ended (outcome, counts)."""
    GRANT = "grant"
    """A checked plan creates an identity or widens its access."""
    REVOKE = "revoke"
    """A checked plan deletes an identity or narrows its access."""
    APPLYING = "applying"
    """A step's destroy is about to be applied (written before the destroy, so none goes unlogged)."""
    CONFIRMED_LIVE = "confirmed-live"
    """After apply, the cloud was asked whether the identity is gone (address, result, confirmed)."""


_EVENT_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?Z", re.ASCII)


@dataclass(frozen=True)
class AuditEntry:
    """One log entry as written. ``data`` is a fresh copy decoded from the written line."""

    seq: int
    at: str
    event: str
    run_id: str
    data: Mapping[str, Any] = field(compare=False)
    """Excluded from comparison because ``hash`` already covers it (and dicts are unhashable)."""
    prev: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        """The entry as the JSON object written to the log."""
        return {
            "seq": self.seq,
            "at": self.at,
            "event": self.event,
            "run_id": self.run_id,
            "data": json.loads(canonical(self.data)),
            "prev": self.prev,
            "hash": self.hash,
        }


def canonical(obj: Any) -> str:
    """The canonical serialisation of a JSON value: sorted keys, no spaces, ASCII, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def digest(body: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical entry without its ``hash`` field."""
    without = {k: v for k, v in body.items() if k != "hash"}
    return hashlib.sha256(canonical(without).encode("ascii")).hexdigest()


def valid_run_id(run_id: object) -> bool:
    """True for a run id an entry may carry: 1-128 letters, digits or ``._:-``, starting with a
    letter or digit."""
    return isinstance(run_id, str) and _RUN_ID.fullmatch(run_id) is not None


def parse_line(raw: bytes) -> AuditEntry:
    """Check one line (without its newline) on its own: shape, hash and canonical form."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise BadLine("not ASCII text, so not a line the log writes") from None
    if not text.strip():
        raise BadLine("blank line")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise BadLine("not valid JSON") from None
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    missing = sorted(FIELDS - obj.keys())
    if missing:
        raise BadLine(f"missing field(s): {', '.join(missing)}")
    extra = len(obj.keys() - FIELDS)
    if extra:
        raise BadLine(f"{extra} unexpected field(s)")
    seq = obj["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BadLine("seq is not a positive integer")
    if not isinstance(obj["at"], str) or not _is_canonical_at(obj["at"]):
        raise BadLine("at is not an RFC 3339 UTC timestamp")
    if not isinstance(obj["event"], str) or not _EVENT_NAME.fullmatch(obj["event"]):
        raise BadLine("event is not a valid event name")
    if not valid_run_id(obj["run_id"]):
        raise BadLine("run_id is not a valid run id")
    if not isinstance(obj["data"], dict):
        raise BadLine("data is not a JSON object")
    for name in ("prev", "hash"):
        if not isinstance(obj[name], str) or not _HEX64.fullmatch(obj[name]):
            raise BadLine(f"{name} is not a lower-case hex SHA-256")
    is_canonical = canonical(obj) == text
    if is_canonical:
        # The line is the canonical form, so the entry without ``hash`` is the line without the
        # top-level ``,"hash":"..."``: the last occurrence, as only prev, run_id and seq (which
        # cannot hold that text) follow it. One serialisation saved per line read.
        piece = f',"hash":"{obj["hash"]}"'
        cut = text.rfind(piece)
        found = hashlib.sha256((text[:cut] + text[cut + len(piece):]).encode("ascii")).hexdigest()
    else:
        found = digest(obj)
    if found != obj["hash"]:
        raise BadLine("hash does not match the entry's content (the entry was modified)")
    if not is_canonical:
        raise BadLine("not in canonical form (the line was re-serialised or edited)")
    return AuditEntry(
        seq=seq,
        at=obj["at"],
        event=obj["event"],
        run_id=obj["run_id"],
        data=obj["data"],
        prev=obj["prev"],
        hash=obj["hash"],
    )


def scan(lines: Iterable[bytes], where: str | Path) -> Iterator[AuditEntry]:
    """Check ``lines`` (a log from its start, each line with its newline) against the chain and yield
    its entries; :class:`ChainBroken` at the first line that breaks it (see :func:`iter_entries`)."""
    prev, count, offset = ZERO_HASH, 0, 0
    for lineno, raw in enumerate(lines, start=1):
        if not raw.endswith(b"\n"):
            try:
                entry: AuditEntry | None = parse_line(raw)
            except BadLine:
                entry = None
            if entry is not None and entry.prev == prev and entry.seq == lineno:
                raise ChainBroken(
                    where, lineno, "the last entry is complete but lacks its newline (an interrupted "
                    "append); 'nhi audit repair' adds it", count, prev, offset, "complete", len(raw))
            raise ChainBroken(
                where, lineno, f"the last line is incomplete (no newline): {len(raw)} bytes left by an "
                "interrupted append; 'nhi audit repair' cuts them", count, prev, offset, "cut", len(raw))
        try:
            entry = parse_line(raw[:-1])
        except BadLine as exc:
            raise ChainBroken(where, lineno, str(exc), count, prev, offset) from None
        if entry.prev != prev:
            reason = (
                "prev is not 64 zeros as the first entry's must be"
                if lineno == 1
                else "prev does not match the previous entry's hash "
                "(an entry was removed, inserted or moved)"
            )
            raise ChainBroken(where, lineno, reason, count, prev, offset)
        if entry.seq != lineno:
            raise ChainBroken(where, lineno, f"seq is not {lineno}", count, prev, offset)
        prev, count = entry.hash, lineno
        offset += len(raw)
        yield entry


# --- instants and run ids -------------------------------------------------------------------------


def format_at(instant: datetime) -> str:
    """An aware instant as written in ``at`` and ``data.now``: RFC 3339 in UTC, ``Z`` suffix, always
    a four-digit year (zero-padded), microseconds only when not zero.

    Raises ``ValueError`` for a naive datetime or one outside years 1 to 9999 once in UTC.
    """
    if not isinstance(instant, datetime):
        raise TypeError("an instant must be a datetime")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("an instant must be timezone-aware")
    try:
        u = instant.astimezone(UTC)
    except OverflowError:
        raise ValueError("the instant is outside years 1 to 9999 in UTC") from None
    frac = f".{u.microsecond:06d}" if u.microsecond else ""
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}{frac}Z"


def _is_canonical_at(text: str) -> bool:
    if not _AT.fullmatch(text):
        return False
    try:
        return format_at(parse_now(text)) == text
    except (InvalidExpiry, ValueError):
        return False


def format_instant_arg(value: datetime | str, what: str) -> str:
    """A caller's instant (aware datetime or RFC 3339 string) in the form of :func:`format_at`."""
    if isinstance(value, datetime):
        try:
            return format_at(value)
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from None
    if isinstance(value, str):
        try:
            return format_at(parse_now(value))
        except (InvalidExpiry, ValueError) as exc:
            raise ValueError(f"{what} is not an RFC 3339 timestamp or date: {exc}") from None
    raise TypeError(f"{what} must be a datetime or an RFC 3339 string")


def new_run_id() -> str:
    """A fresh random run id (32 hex digits)."""
    return uuid.uuid4().hex
