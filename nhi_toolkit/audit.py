"""The hash-chained, append-only audit log of retirement runs, their steps, and grants and revokes.

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
            later ``at``. Tests inject the clock (``AuditLog(path, clock=...)`` or :data:`CLOCK`).
``event``   what happened; :class:`Event` lists the names written by nhi-toolkit.
``run_id``  groups the entries of one run: letters, digits and ``._:-``, at most 128 characters.
``data``    a JSON object: addresses, owners, reasons, plan hashes; never a secret (see below).
            ``data.now`` is the evaluation time of the run (its ``--now`` / ``NHI_NOW``, or the
            clock when none was pinned), in the same form as ``at``.
``prev``    the ``hash`` of the previous entry; :data:`ZERO_HASH` (64 zeros) for the first.
``hash``    hex SHA-256 of the canonical serialisation of the entry without its ``hash`` field.

The *head* of a log is the ``hash`` of its last entry, and :data:`ZERO_HASH` for an empty log.

Integrity
=========
:func:`verify` reads the log from the start and stops at the first line that is not a well-formed,
canonical entry whose hash matches its content, whose ``prev`` is the previous entry's hash and whose
``seq`` is its line number. That catches an edited entry, an entry removed, inserted, duplicated or
moved, an edited ``prev`` or ``seq``, a line that is not JSON, and a last line cut short (every
append ends with a newline, so a last line without one is an interrupted or truncated write).
The break is named by line number and byte offset.

A chain alone cannot reveal entries cut from its end, nor a chain rewritten from some entry on by
someone who recomputes the hashes. For that, record the head printed by ``nhi audit verify``
outside the log (a pipeline artefact) and pass it back later as ``expect_head``: the log is accepted
only if that hash is still one of its entries. Written as ``SEQ:HASH`` (the entry count and the
head), a mismatch is diagnosed precisely as *truncated* (the log now has fewer entries) or
*diverged* (that entry now has another hash); a bare hash can only say "not found".

Reasons returned by :func:`verify` describe the fault by position and field name only: they never
quote what a line contains.

An empty file is a valid log with no entries and head :data:`ZERO_HASH`. A missing or unreadable
file, and anything that is not a regular file (a directory, a FIFO, a device such as ``/dev/null``),
is an input error (:class:`AuditLogAccessError`); a FIFO is opened without blocking, so it never hangs.

Faults while writing
====================
Each append writes its line(s) with ``write`` and ``fsync`` under the lock. When the write fails
or falls short (a full disk), or ``fsync`` fails, the file is truncated back to its length before
the append and synced again, so the log is exactly as it was, and :class:`AuditWriteError` names
the file. Only if that truncation fails too (or the process is killed mid-write) can an incomplete
last line remain: :func:`verify` reports it with its line and byte offset, appends refuse to extend
it (:class:`AuditLogCorrupt`, naming ``nhi audit repair``), and :func:`plan_repair` /
:func:`apply_repair` (``nhi audit repair LOG``) cut it. Repair only ever removes an incomplete last
line (no newline); a last entry that is complete and chained but lost its newline gets the newline
back instead. Any other break is left alone as evidence.

Concurrency
===========
:meth:`AuditLog.append` takes an exclusive ``flock`` on the log file, reads the last entry, and
appends the new line with one ``write`` followed by ``fsync`` (and an ``fsync`` of the directory
when the file was empty, so that a new log survives a crash). Runs on one host, in any number of
processes or threads, therefore extend one unbroken chain. :meth:`AuditLog.extend` appends several
entries as one write under one lock, and can skip entries already recorded (checked under the same
lock, against the whole verified chain). :func:`verify` holds a shared lock while reading, so it
never sees half of a line being appended. ``flock`` is advisory and meant for local file systems:
do not share one log between hosts over a network file system.

A log kept in S3 (``s3://bucket/prefix/``, :class:`RemoteAuditLog`) holds the same entries, one
object each, and takes the place of the lock with conditional writes: a new entry's object is created
only if absent, and a writer that finds it taken re-reads the head and chains after it.

Append refuses to extend a log whose last line is incomplete or is not a valid entry
(:class:`AuditLogCorrupt`): an audit trail that was damaged is evidence to look at, not to bury.

Errors
======
Every :class:`AuditError` is an :class:`~nhi_toolkit.errors.NhiError`: its ``file`` is the log's
path (control characters escaped), so the CLI prints one line naming the file and exits 2 (bad
input). :class:`AuditNotRecorded` (exit 4) is what a retirement raises when a step cannot be
recorded: the run stops before the step, so nothing is destroyed that the log does not record.

Secret guard
============
Nothing secret is ever written. :meth:`AuditLog.append` raises :class:`SecretInAuditData` when
``data``, at any depth (objects inside objects or lists), holds

* a key that names a secret. The key is split into lower-case words (at ``_``, ``-``, ``.``,
  spaces and camelCase humps) and refused when a word is one of :data:`SECRET_WORDS` (``secret``,
  ``password``, ``token``, ``value``, ``credentials``, ...), when two adjacent words form one of
  :data:`SECRET_KEY_PAIRS` (``private_key``, ``api_key``, ``signing_key``, ...), or when the words
  run together contain one of :data:`SECRET_STEMS` (``clientsecret``, ``accesstoken``,
  ``privatekey``, ...). So ``secret_string``, ``private_key_pem``, ``ses_smtp_password_v4``,
  ``password_wo`` and ``secretString`` are all refused;
* a string that carries a PEM private key block.

The rule is deliberately broad: name a field by what it identifies (``address``, ``arn``, ``id``,
``owner``, ``reason``, ``plan_sha256``), never by the secret it belongs to (``secret_arn`` is
refused). The error names the offending key path, never a value.
"""

from __future__ import annotations

import enum
import errno
import fcntl
import hashlib
import itertools
import json
import os
import re
import stat
import unicodedata
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from nhi_toolkit.errors import NhiError
from nhi_toolkit.expiry import InvalidExpiry, parse_now

__all__ = [
    "CLOCK",
    "SECRET_KEY_PAIRS",
    "SECRET_STEMS",
    "SECRET_WORDS",
    "ZERO_HASH",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditLogAccessError",
    "AuditLogCorrupt",
    "AuditNotRecorded",
    "AuditWriteError",
    "ChainBroken",
    "ChainStore",
    "Event",
    "ExpectedHead",
    "RemoteAuditLog",
    "Repair",
    "SecretInAuditData",
    "VerifyResult",
    "apply_repair",
    "check_no_secrets",
    "format_at",
    "is_remote",
    "iter_entries",
    "new_run_id",
    "open_log",
    "parse_expected_head",
    "plan_repair",
    "show_path",
    "verify",
]

ZERO_HASH = "0" * 64
"""The ``prev`` of the first entry, and the head of an empty log."""

FIELDS = frozenset({"seq", "at", "event", "run_id", "data", "prev", "hash"})


def _wall_clock() -> datetime:
    return datetime.now(UTC)


CLOCK: Callable[[], datetime] = _wall_clock
"""The clock that stamps ``at`` when an :class:`AuditLog` has none of its own; tests replace it."""


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
_EXPECTED_HEAD = re.compile(r"(?:(\d{1,18}):)?([0-9a-fA-F]{64})")


# --- paths in messages ----------------------------------------------------------------------------


def show_path(path: str | os.PathLike[str] | bytes) -> str:
    """A path as shown in a message: control and other invisible format characters (and bytes that
    are not valid in the file system encoding) escaped as ``\\xNN``/``\\uNNNN``, so a crafted file
    name cannot rewrite the terminal. Printable text, spaces and backslashes are shown as they are."""
    text = os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path)
    if isinstance(text, bytes):  # pragma: no cover - a PathLike returning bytes
        text = os.fsdecode(text)
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch != " " and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                       else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# --- errors ---------------------------------------------------------------------------------------


class AuditError(NhiError):
    """Base class of the audit log's errors: ``file`` names the log, exit code 2 (bad input)."""

    def __init__(self, file: str | os.PathLike[str], message: str, line: int | None = None) -> None:
        super().__init__(show_path(file), message, line)


class SecretInAuditData(AuditError, ValueError):
    """``data`` given to :meth:`AuditLog.append` holds a secret-named key or a private key.

    The message names the key path (``data.credentials[0].password``), never a value.
    """


class AuditLogAccessError(AuditError):
    """The log file cannot be opened, read or written, or is not a regular file."""


class AuditWriteError(AuditLogAccessError):
    """Writing an entry failed (a full disk, an I/O error). ``restored`` is True when the log was
    truncated back to its previous length (nothing of the entry is left), False when an incomplete
    last line may remain for ``nhi audit repair``."""

    def __init__(self, file: str | os.PathLike[str], message: str, restored: bool) -> None:
        super().__init__(file, message)
        self.restored = restored


class AuditLogCorrupt(AuditError):
    """:meth:`AuditLog.append` found that the log's last line is not a valid entry."""


class AuditNotRecorded(AuditError):
    """A retirement step could not be recorded, so the run stopped before taking it (exit 4).

    Raised by ``nhi retire`` (see ``retire._Audit``) in place of any :class:`AuditError` met while
    appending; ``cause`` is that error. Everything the run did up to this point is in the log.
    """

    exit_code = 4

    def __init__(self, file: str | os.PathLike[str], event: str, cause: AuditError) -> None:
        super().__init__(
            file,
            f"cannot record the '{event}' step in the audit log ({cause.message}); the run stopped "
            "there: nothing past the last recorded step was done",
        )
        self.event = event
        self.cause = cause


class ChainBroken(AuditError):
    """Raised by :func:`iter_entries` at the first line that breaks the chain.

    ``line`` is the 1-based line number (also the entry's expected ``seq``) and ``offset`` the byte
    offset where that line starts; ``entries`` and ``head`` describe the intact prefix before it.
    ``repair`` is ``"cut"`` when the break is an incomplete last line (the trace of an interrupted
    append) that :func:`apply_repair` removes, ``"complete"`` when it is a whole, chained last entry
    that only lacks its newline, and None for any other break (which repair never touches).
    """

    def __init__(
        self,
        file: str | os.PathLike[str],
        line: int,
        reason: str,
        entries: int,
        head: str,
        offset: int = 0,
        repair: str | None = None,
        length: int = 0,
    ) -> None:
        super().__init__(file, f"broken at entry {line} (line {line}, byte offset {offset}): {reason}", line)
        self.reason = reason
        self.entries = entries
        self.head = head
        self.offset = offset
        self.repair = repair
        self.length = length
        """Bytes from ``offset`` to the end of the file when ``repair`` is set."""


class _BadLine(Exception):
    """A line that is not a well-formed entry; the message is a reason safe to show."""


# --- records --------------------------------------------------------------------------------------


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
            "data": json.loads(_canonical(self.data)),
            "prev": self.prev,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class ExpectedHead:
    """A head recorded earlier: its hash and, when known, the entry count (its ``seq``)."""

    hash: str
    seq: int | None = None


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`.

    ``entries`` and ``head`` describe the intact chain (the whole log when ``ok``, else the prefix
    before the first break). ``first_broken`` is the line number of the first broken entry, None when
    the chain is intact, and ``first_broken_offset`` the byte offset where that line starts.
    ``status`` is ``ok``, ``broken`` (the chain itself is damaged), or, for an intact chain that
    lacks the expected head, ``truncated``, ``diverged`` or ``head-not-found``. ``expected_head_at``
    is the ``seq`` of the entry carrying the expected head (0 for the empty head), None when no head
    was expected or it was not found. ``repair`` is ``cut`` or ``complete`` when the break is an
    interrupted append that ``nhi audit repair`` mends (``repair_bytes`` from the offset to the end),
    else None.
    """

    ok: bool
    entries: int
    head: str
    first_broken: int | None = None
    reason: str | None = None
    status: str = "ok"
    expected_head_at: int | None = None
    first_broken_offset: int | None = None
    repair: str | None = None
    repair_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head,
            "first_broken": self.first_broken,
            "reason": self.reason,
            "status": self.status,
            "expected_head_at": self.expected_head_at,
            "first_broken_offset": self.first_broken_offset,
            "repair": self.repair,
            "repair_bytes": self.repair_bytes,
        }


# --- serialisation --------------------------------------------------------------------------------


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _digest(body: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical entry without its ``hash`` field."""
    without = {k: v for k, v in body.items() if k != "hash"}
    return hashlib.sha256(_canonical(without).encode("ascii")).hexdigest()


def _parse_line(raw: bytes) -> AuditEntry:
    """Check one line (without its newline) on its own: shape, hash and canonical form."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise _BadLine("not ASCII text, so not a line the log writes") from None
    if not text.strip():
        raise _BadLine("blank line")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise _BadLine("not valid JSON") from None
    if not isinstance(obj, dict):
        raise _BadLine("not a JSON object")
    missing = sorted(FIELDS - obj.keys())
    if missing:
        raise _BadLine(f"missing field(s): {', '.join(missing)}")
    extra = len(obj.keys() - FIELDS)
    if extra:
        raise _BadLine(f"{extra} unexpected field(s)")
    seq = obj["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise _BadLine("seq is not a positive integer")
    if not isinstance(obj["at"], str) or not _is_canonical_at(obj["at"]):
        raise _BadLine("at is not an RFC 3339 UTC timestamp")
    if not isinstance(obj["event"], str) or not _EVENT_NAME.fullmatch(obj["event"]):
        raise _BadLine("event is not a valid event name")
    if not isinstance(obj["run_id"], str) or not _RUN_ID.fullmatch(obj["run_id"]):
        raise _BadLine("run_id is not a valid run id")
    if not isinstance(obj["data"], dict):
        raise _BadLine("data is not a JSON object")
    for name in ("prev", "hash"):
        if not isinstance(obj[name], str) or not _HEX64.fullmatch(obj[name]):
            raise _BadLine(f"{name} is not a lower-case hex SHA-256")
    canonical = _canonical(obj) == text
    if canonical:
        # The line is the canonical form, so the entry without ``hash`` is the line without the
        # top-level ``,"hash":"..."``: the last occurrence, as only prev, run_id and seq (which
        # cannot hold that text) follow it. One serialisation saved per line read.
        piece = f',"hash":"{obj["hash"]}"'
        cut = text.rfind(piece)
        digest = hashlib.sha256((text[:cut] + text[cut + len(piece):]).encode("ascii")).hexdigest()
    else:
        digest = _digest(obj)
    if digest != obj["hash"]:
        raise _BadLine("hash does not match the entry's content (the entry was modified)")
    if not canonical:
        raise _BadLine("not in canonical form (the line was re-serialised or edited)")
    return AuditEntry(
        seq=seq,
        at=obj["at"],
        event=obj["event"],
        run_id=obj["run_id"],
        data=obj["data"],
        prev=obj["prev"],
        hash=obj["hash"],
    )


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


def _format_instant_arg(value: datetime | str, what: str) -> str:
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


# --- secret guard ---------------------------------------------------------------------------------

SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "pwd",
        "token",
        "tokens",
        "value",
        "values",
        "credential",
        "credentials",
        "creds",
        "plaintext",
        "ciphertext",
        "pem",
        "pkcs12",
        "pfx",
        "keytab",
        "cookie",
        "authorization",
        "bearer",
    }
)
"""A key with any of these words names a secret (``value`` too: it is where secrets live)."""

SECRET_KEY_PAIRS = frozenset(
    {
        ("private", "key"),
        ("api", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("hmac", "key"),
        ("session", "key"),
        ("shared", "key"),
        ("account", "key"),
        ("key", "material"),
        ("connection", "string"),
    }
)
"""Adjacent words that together name a secret."""

SECRET_STEMS = (
    "secret",
    "password",
    "passwd",
    "passphrase",
    "token",
    "credential",
    "privatekey",
    "apikey",
    "plaintext",
)
"""Substrings refused in a key's words run together (``clientSecret``, ``accesstoken``)."""

_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_HUMPS = (re.compile(r"([A-Z]+)([A-Z][a-z])"), re.compile(r"([a-z0-9])([A-Z])"))


def _key_words(key: str) -> list[str]:
    for hump in _HUMPS:
        key = hump.sub(r"\1_\2", key)
    return [w for w in re.split(r"[^a-z0-9]+", key.lower()) if w]


def _names_secret(key: str) -> bool:
    words = _key_words(key)
    if any(w in SECRET_WORDS for w in words):
        return True
    if any(pair in SECRET_KEY_PAIRS for pair in itertools.pairwise(words)):
        return True
    joined = "".join(words)
    return any(stem in joined for stem in SECRET_STEMS)


def check_no_secrets(data: Any, path: str = "data", file: str = "audit data") -> None:
    """Raise :class:`SecretInAuditData` if ``data`` holds a secret-named key or a PEM private key.

    Walks objects and lists at any depth; ``path`` prefixes the key path named in the message,
    ``file`` (the log it was meant for) starts it.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            if not isinstance(key, str):
                raise SecretInAuditData(file, f"{path} has a key that is not a string")
            where = f"{path}.{key}" if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f"{path}[{key!r}]"
            if _names_secret(key):
                raise SecretInAuditData(file, f"{where} names a secret; audit data must never hold secrets")
            check_no_secrets(value, where, file)
    elif isinstance(data, list | tuple):
        for i, item in enumerate(data):
            check_no_secrets(item, f"{path}[{i}]", file)
    elif isinstance(data, str) and _PEM_PRIVATE.search(data):
        raise SecretInAuditData(file, f"{path} holds a private key; audit data must never hold secrets")


# --- writing --------------------------------------------------------------------------------------


def _unseen(items: list[tuple[str, dict[str, Any]]], skip: SkipKey,
            seen: set[Any]) -> list[tuple[str, dict[str, Any]]]:
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


def new_run_id() -> str:
    """A fresh random run id (32 hex digits)."""
    return uuid.uuid4().hex


AuditItem = tuple["Event | str", "Mapping[str, Any] | None"]
"""One entry to append with :meth:`AuditLog.extend`: its event and its data."""

SkipKey = Callable[[str, Mapping[str, Any]], Hashable | None]
"""For :meth:`AuditLog.extend`: an entry's de-duplication key from its event and data, or None."""


def _prepare(items: Iterable[AuditItem], run_id: str, now: datetime | str | None,
             shown: str) -> list[tuple[str, dict[str, Any]]]:
    """Validate a run id and items before anything is written: event names, the secret guard, JSON
    form, ``data.now``. Shared by every backend, so each refuses the same things."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ValueError("run_id must be 1-128 letters, digits or ._:- starting with a letter or digit")
    stamped_now = _format_instant_arg(now, "now") if now is not None else None
    prepared: list[tuple[str, dict[str, Any]]] = []
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
            payload = json.loads(_canonical(payload))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data is not JSON-serialisable: {type(exc).__name__}") from None
        if stamped_now is not None:
            payload.setdefault("now", stamped_now)
        prepared.append((name, payload))
    return prepared


def _chain(prepared: Iterable[tuple[str, dict[str, Any]]], seq: int, prev: str, run_id: str,
           stamp: str) -> list[tuple[AuditEntry, bytes]]:
    """The entries (and their canonical lines, newline included) that extend a chain whose last
    entry is ``seq`` with hash ``prev``."""
    out: list[tuple[AuditEntry, bytes]] = []
    for name, payload in prepared:
        seq += 1
        body: dict[str, Any] = {"seq": seq, "at": stamp, "event": name, "run_id": run_id,
                                "data": payload, "prev": prev}
        body["hash"] = _digest(body)
        out.append((AuditEntry(seq=seq, at=stamp, event=name, run_id=run_id,
                               data=json.loads(_canonical(payload)), prev=prev, hash=body["hash"]),
                    (_canonical(body) + "\n").encode("ascii")))
        prev = body["hash"]
    return out


def _stamp(clock: Callable[[], datetime] | None) -> str:
    try:
        return format_at((clock or CLOCK)())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the audit clock gave no valid instant: {exc}") from None


class AuditLog:
    """An append-only, hash-chained JSON Lines log at ``path`` (created with its directory on first
    append). Safe to share between processes on one host; see the module notes.

    ``clock`` returns the aware instant stamped in ``at`` (default: :data:`CLOCK`, the wall clock).
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        self.clock = clock

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def append(
        self,
        event: Event | str,
        *,
        run_id: str,
        data: Mapping[str, Any] | None = None,
        now: datetime | str | None = None,
        at: datetime | str | None = None,
    ) -> AuditEntry:
        """Append one entry and return it once it is on disk.

        ``event`` must be one of :class:`Event`. ``at`` is stamped from the clock when the entry is
        written. ``now`` is the run's evaluation time (an aware datetime or an RFC 3339 string,
        normalised to UTC), recorded as ``data["now"]`` unless ``data`` already has one; ``at=``
        is accepted as its former name and means the same (the evaluation time, not the stamp).

        Raises :class:`SecretInAuditData` for secret-bearing ``data``, ``ValueError``/``TypeError``
        for other invalid arguments (nothing is written then), :class:`AuditLogCorrupt` when the
        log's last line is damaged, :class:`AuditLogAccessError` when the file cannot be opened or is
        not a regular file, and :class:`AuditWriteError` when writing failed (the log is left as it
        was, see the module notes). Every error names the file.
        """
        if now is not None and at is not None:
            raise TypeError("give the evaluation time as now= (or its former name at=), not both")
        written = self.extend([(event, data)], run_id=run_id, now=now if now is not None else at)
        return written[0]

    def extend(
        self,
        items: Iterable[AuditItem],
        *,
        run_id: str,
        now: datetime | str | None = None,
        skip: SkipKey | None = None,
    ) -> list[AuditEntry]:
        """Append several entries as one write (all or none are recorded) and return those written.

        ``now`` as for :meth:`append`. With ``skip``, the whole log is read and verified under the
        lock first (a broken chain raises :class:`ChainBroken`), and an item is left out when
        ``skip(event, data)`` gives a key that an entry already in the log (or an earlier item)
        gave; None never matches. Nothing is created when nothing is to be written.
        """
        prepared = _prepare(items, run_id, now, show_path(self.path))
        if not prepared and (skip is None or not os.path.lexists(self.path)):
            return []

        fd = self._open_locked(create=bool(prepared))
        try:
            if skip is not None:
                seq, prev, seen = self._scan_keys(fd, skip)
                prepared = _unseen(prepared, skip, seen)
            else:
                seq, prev = self._last(fd)
            if not prepared:
                return []
            chained = _chain(prepared, seq, prev, run_id, _stamp(self.clock))
            written = [entry for entry, _line in chained]
            self._write(fd, b"".join(line for _entry, line in chained), new_file=written[0].seq == 1)
        finally:
            os.close(fd)  # also releases the lock
        return written

    def check(self) -> list[AuditEntry]:
        """Open the log as an append would (creating it when missing) and return its entries, every
        one verified: an error naming the file (exit 2) for a log that cannot be written, is not a
        regular file or has a broken chain. Runs that record steps call this before their first."""
        fd = self._open_locked(create=True)
        try:
            with os.fdopen(os.dup(fd), "rb") as handle:
                handle.seek(0)
                return list(_scan(handle, self.path))
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot read the audit log ({_why(exc)})") from None
        finally:
            os.close(fd)

    def _open_locked(self, *, create: bool = True) -> int:
        """Open the log for appending and hold its exclusive lock.

        Anything but a regular file is refused before it is opened (a FIFO would block, a device
        would swallow the entries). A writer that waited for the lock re-checks that the path still
        names the file it locked, so that an entry is never appended to a log that was moved or
        deleted meanwhile.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot open the audit log ({_why(exc)})") from None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise AuditLogAccessError(self.path, f"cannot write the audit log: {_not_regular(st.st_mode)}")
        flags = os.O_RDWR | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_CREAT if create else 0)
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(100):
                fd = os.open(self.path, flags, 0o640)
                try:
                    _require_regular(fd, self.path, "write")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    opened, current = os.fstat(fd), os.stat(self.path)
                except FileNotFoundError:
                    os.close(fd)
                    continue
                except BaseException:
                    os.close(fd)
                    raise
                if (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino):
                    return fd
                os.close(fd)
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot open the audit log for appending ({_why(exc)})") from None
        raise AuditLogAccessError(self.path, "cannot open the audit log: the file kept being replaced while "
                                             "waiting for its lock")

    def _write(self, fd: int, blob: bytes, *, new_file: bool) -> None:
        """Write and sync ``blob`` at the end; on any failure cut the file back to its old length."""
        size = os.fstat(fd).st_size
        try:
            _write_all(fd, blob)
            os.fsync(fd)
            if new_file:
                _fsync_dir(self.path.parent)
        except BaseException as exc:
            restored = _truncate(fd, size)
            if not isinstance(exc, OSError):
                raise
            if restored:
                message = f"cannot append to the audit log ({_why(exc)}); nothing was recorded, the log is as it was"
            else:
                message = (f"cannot append to the audit log ({_why(exc)}), nor cut the incomplete entry back; "
                           f"run 'nhi audit repair {show_path(self.path)}'")
            raise AuditWriteError(self.path, message, restored) from None

    def _scan_keys(self, fd: int, skip: SkipKey) -> tuple[int, str, set[Hashable]]:
        """Read and verify the whole (locked) log: last seq, head, and the skip keys of its entries."""
        seq, prev, seen = 0, ZERO_HASH, set()
        try:
            with os.fdopen(os.dup(fd), "rb") as handle:
                handle.seek(0)
                for entry in _scan(handle, self.path):
                    key = skip(entry.event, entry.data)
                    if key is not None:
                        seen.add(key)
                    seq, prev = entry.seq, entry.hash
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot read the audit log ({_why(exc)})") from None
        return seq, prev, seen

    def _last(self, fd: int) -> tuple[int, str]:
        """The ``seq`` and ``hash`` of the last entry, read from the end of the file."""
        try:
            size = os.fstat(fd).st_size
            if size == 0:
                return 0, ZERO_HASH
            complete = os.pread(fd, 1, size - 1) == b"\n"
            start = _line_start(fd, size - 1 if complete else size)
            raw = os.pread(fd, size - 1 - start, start) if complete else b""
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot read the audit log ({_why(exc)})") from None
        shown = show_path(self.path)
        if not complete:
            raise AuditLogCorrupt(
                self.path,
                f"the audit log ends with an incomplete line at byte offset {start} (an interrupted "
                f"append); run 'nhi audit verify {shown}', then 'nhi audit repair {shown}' to cut it",
            )
        try:
            last = _parse_line(raw)
        except _BadLine as exc:
            raise AuditLogCorrupt(
                self.path,
                f"the audit log has a damaged last entry at byte offset {start} ({exc}); "
                f"run 'nhi audit verify {shown}' on it",
            ) from None
        return last.seq, last.hash


def _line_start(fd: int, limit: int) -> int:
    """The offset just after the last newline before ``limit`` (0 if there is none)."""
    pos = limit
    while pos > 0:
        n = min(1 << 16, pos)
        chunk = os.pread(fd, n, pos - n)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            return pos - n + cut + 1
        pos -= n
    return 0


def _write_all(fd: int, data: bytes) -> None:
    # One write in practice; the loop only matters for a short write (disk nearly full), and the
    # lock keeps any continuation contiguous.
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _truncate(fd: int, size: int) -> bool:
    """Cut the file back to ``size`` and sync it; False when that failed too."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        return False
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _not_regular(mode: int) -> str:
    kind = (
        "a directory" if stat.S_ISDIR(mode)
        else "a FIFO" if stat.S_ISFIFO(mode)
        else "a character device" if stat.S_ISCHR(mode)
        else "a block device" if stat.S_ISBLK(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "not a file"
    )
    return f"it is {kind}, not a regular file"


def _require_regular(fd: int, where: Path, doing: str) -> None:
    """Refuse an open descriptor that is not a regular file; clear O_NONBLOCK on one that is."""
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        raise AuditLogAccessError(where, f"cannot {doing} the audit log: {_not_regular(mode)}")
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


# --- reading and verifying ------------------------------------------------------------------------


def _open_read(where: Path) -> BinaryIO:
    """Open a log for reading: a regular file only, and without blocking on a FIFO."""
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise AuditLogAccessError(where, f"cannot read the audit log ({_why(exc)})") from None
    try:
        _require_regular(fd, where, "read")
    except OSError as exc:
        os.close(fd)
        raise AuditLogAccessError(where, f"cannot read the audit log ({_why(exc)})") from None
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _scan(handle: BinaryIO, where: Path) -> Iterator[AuditEntry]:
    """Check the lines of ``handle`` (at its start) against the chain; see :func:`iter_entries`."""
    prev, count, offset = ZERO_HASH, 0, 0
    for lineno, raw in enumerate(handle, start=1):
        if not raw.endswith(b"\n"):
            try:
                entry: AuditEntry | None = _parse_line(raw)
            except _BadLine:
                entry = None
            if entry is not None and entry.prev == prev and entry.seq == lineno:
                raise ChainBroken(
                    where, lineno, "the last entry is complete but lacks its newline (an interrupted "
                    "append); 'nhi audit repair' adds it", count, prev, offset, "complete", len(raw))
            raise ChainBroken(
                where, lineno, f"the last line is incomplete (no newline): {len(raw)} bytes left by an "
                "interrupted append; 'nhi audit repair' cuts them", count, prev, offset, "cut", len(raw))
        try:
            entry = _parse_line(raw[:-1])
        except _BadLine as exc:
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


def iter_entries(path: str | os.PathLike[str]) -> Iterator[AuditEntry]:
    """Yield the entries of the log at ``path`` (a file, or ``s3://bucket/prefix/``) in order, each
    checked against the chain.

    Raises :class:`ChainBroken` at the first line that breaks it (entries already yielded are
    intact) and :class:`AuditLogAccessError` when the file cannot be read or is not a regular file.
    A shared lock is held while reading, so a concurrent append is never seen half-written.
    """
    if is_remote(path):
        yield from _remote(path).entries()
        return
    where = Path(path)
    handle = _open_read(where)
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            yield from _scan(handle, where)
        except OSError as exc:
            raise AuditLogAccessError(where, f"cannot read the audit log ({_why(exc)})") from None


def parse_expected_head(text: str) -> ExpectedHead:
    """Parse ``HASH`` or ``SEQ:HASH`` (64 hex digits; SEQ the entry count when it was recorded)."""
    m = _EXPECTED_HEAD.fullmatch(text.strip())
    if not m:
        raise ValueError("expected a 64-digit hex SHA-256, optionally prefixed by the entry count: SEQ:HASH")
    seq, digest = m.groups()
    return ExpectedHead(hash=digest.lower(), seq=int(seq) if seq is not None else None)


def verify(path: str | os.PathLike[str], expect_head: str | ExpectedHead | None = None) -> VerifyResult:
    """Verify the chain of the log at ``path`` (a file, or an ``s3://`` log: see
    :class:`RemoteAuditLog`), and that it still holds ``expect_head`` if given.

    ``expect_head`` is a head recorded earlier (``HASH`` or ``SEQ:HASH``, see
    :func:`parse_expected_head`); entries appended after it are fine. Raises
    :class:`AuditLogAccessError` for a missing or unreadable file or one that is not a regular file,
    and ``ValueError`` for a malformed ``expect_head``; every finding about the content is in the
    returned :class:`VerifyResult`.
    """
    want = parse_expected_head(expect_head) if isinstance(expect_head, str) else expect_head
    found: int | None = None
    if want is not None and want.hash == ZERO_HASH and want.seq in (None, 0):
        found = 0
    entries, head = 0, ZERO_HASH
    try:
        for entry in iter_entries(path):
            entries, head = entry.seq, entry.hash
            if (
                want is not None
                and found is None
                and entry.hash == want.hash
                and want.seq in (None, entry.seq)
            ):
                found = entry.seq
    except ChainBroken as broken:
        return VerifyResult(
            ok=False,
            entries=broken.entries,
            head=broken.head,
            first_broken=broken.line,
            reason=broken.reason,
            status="broken",
            expected_head_at=found,
            first_broken_offset=broken.offset,
            repair=broken.repair,
            repair_bytes=broken.length if broken.repair else None,
        )
    if want is None or found is not None:
        return VerifyResult(ok=True, entries=entries, head=head, expected_head_at=found)
    if want.seq is None:
        if entries == 0:
            status, reason = "truncated", "the expected head is not in the log: the log is empty (truncated)"
        else:
            status = "head-not-found"
            reason = (
                f"the expected head is not among the {entries} entries: the log was truncated or "
                "rewritten (give SEQ:HASH to tell which)"
            )
    elif want.seq > entries:
        status = "truncated"
        reason = f"truncated: the log has {entries} entries, the expected head is entry {want.seq}"
    else:
        status = "diverged"
        reason = f"diverged: entry {want.seq} does not carry the expected head hash"
    return VerifyResult(ok=False, entries=entries, head=head, reason=reason, status=status)


# --- repair ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    """What :func:`apply_repair` would do to a log, as found by :func:`plan_repair`.

    ``action`` is ``none`` (the chain is intact: nothing to do), ``cut`` (remove the incomplete last
    line: ``length`` bytes from byte ``offset``, line ``line``) or ``complete`` (append the newline a
    complete, chained last entry lacks). ``entries`` and ``head`` describe the intact chain before
    the fragment; ``fragment`` holds the bytes concerned and ``size`` the file's length when planned.
    """

    action: str
    entries: int
    head: str
    line: int | None = None
    offset: int | None = None
    length: int = 0
    fragment: bytes = field(default=b"", repr=False)
    size: int = 0


def _plan(handle: BinaryIO, where: Path) -> Repair:
    handle.seek(0)
    size = os.fstat(handle.fileno()).st_size
    entries, head = 0, ZERO_HASH
    try:
        for entry in _scan(handle, where):
            entries, head = entry.seq, entry.hash
    except ChainBroken as broken:
        if broken.repair is None:
            raise
        handle.seek(broken.offset)
        fragment = handle.read()
        return Repair(broken.repair, broken.entries, broken.head, broken.line, broken.offset,
                      len(fragment), fragment, size)
    return Repair("none", entries, head, size=size)


def plan_repair(path: str | os.PathLike[str]) -> Repair:
    """Find what ``nhi audit repair`` would mend in the log at ``path``, changing nothing.

    Raises :class:`ChainBroken` when the log is broken in a way repair never touches (anything but
    an incomplete last line), and :class:`AuditLogAccessError` when it cannot be read.
    """
    where = Path(path)
    handle = _open_read(where)
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            return _plan(handle, where)
        except OSError as exc:
            raise AuditLogAccessError(where, f"cannot read the audit log ({_why(exc)})") from None


def apply_repair(path: str | os.PathLike[str], planned: Repair) -> VerifyResult:
    """Carry out ``planned`` (from :func:`plan_repair`) under the log's exclusive lock and return the
    verification of the result. Writes nothing for ``none``. Raises :class:`AuditLogCorrupt`, changing
    nothing, when the log is no longer exactly as planned, and :class:`AuditLogAccessError` when it
    cannot be written."""
    where = Path(path)
    if planned.action == "none":
        return verify(where)
    try:
        fd = os.open(where, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise AuditLogAccessError(where, f"cannot open the audit log to repair it ({_why(exc)})") from None
    with os.fdopen(fd, "r+b") as handle:
        try:
            _require_regular(fd, where, "repair")
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = _plan(handle, where)
            if current != planned:
                raise AuditLogCorrupt(where, "the audit log changed since the repair was planned; nothing was "
                                             "changed: run the repair again")
            assert planned.offset is not None
            if planned.action == "cut":
                os.ftruncate(fd, planned.offset)
            else:
                _write_all_at(fd, b"\n", planned.size)
            os.fsync(fd)
        except OSError as exc:
            raise AuditLogAccessError(where, f"cannot repair the audit log ({_why(exc)})") from None
    return verify(where)


def _write_all_at(fd: int, data: bytes, offset: int) -> None:
    if os.pwrite(fd, data, offset) != len(data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --- remote logs: one object per entry --------------------------------------------------------------


class ChainStore(Protocol):
    """Where a remote log keeps its entries: one object per entry, named by its ``seq``.

    The store knows nothing of the chain; :class:`RemoteAuditLog` builds and checks it with the same
    code as the file log. ``aws.audit_store.S3ChainStore`` is the S3 implementation.
    """

    url: str
    """Shown in messages (``s3://bucket/prefix/``)."""

    def names(self) -> list[int]:
        """The ``seq`` numbers of the objects present, ascending."""

    def read(self, seq: int) -> bytes:
        """The bytes of the object holding entry ``seq``."""

    def create(self, seq: int, blob: bytes, at: str) -> bool:
        """Write entry ``seq`` only if no object holds it yet (a conditional write); False when one
        does (another writer won). ``at`` is the entry's stamp, for retention."""


MAX_CONFLICTS = 20
"""How often a remote append re-reads the head after losing a race before giving up."""


class RemoteAuditLog:
    """The hash-chained log kept in a :class:`ChainStore` (``--audit-log s3://bucket/prefix/``).

    Entries and their chain are exactly those of the file log: the object holding entry ``seq`` has
    the entry's canonical line as its content, so :func:`verify` checks it with the same code. An
    append reads the last entry and creates the next object with a conditional write; a writer that
    loses the race (the object exists) re-reads the head and chains after the winner, so two runners
    never fork the chain. :meth:`extend` writes its entries one object at a time: entries of other
    runners may come between them, and a run stopped midway leaves the entries before the stop.
    """

    def __init__(self, store: ChainStore, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.path = store.url
        self.clock = clock

    def __repr__(self) -> str:
        return f"RemoteAuditLog({self.path!r})"

    def entries(self) -> Iterator[AuditEntry]:
        """Every entry in order, each checked against the chain (:class:`ChainBroken` at the first
        break, naming the entry)."""
        names = self.store.names()
        # An object removed leaves its successor in its place, which breaks the chain there as a
        # removed line would in a file; the name is checked too, as conditional writes rely on it.
        lines = (self.store.read(seq) for seq in names)
        for position, entry in enumerate(_scan(lines, self.path), start=1):  # type: ignore[arg-type]
            if names[position - 1] != entry.seq:
                raise ChainBroken(self.path, position, f"the object named {names[position - 1]} holds "
                                                       f"entry {entry.seq}", position - 1, entry.prev)
            yield entry

    def check(self) -> list[AuditEntry]:
        """The verified entries (a broken chain raises :class:`ChainBroken`)."""
        return list(self.entries())

    def append(self, event: Event | str, *, run_id: str, data: Mapping[str, Any] | None = None,
               now: datetime | str | None = None) -> AuditEntry:
        """Append one entry, as :meth:`AuditLog.append`."""
        return self.extend([(event, data)], run_id=run_id, now=now)[0]

    def extend(self, items: Iterable[AuditItem], *, run_id: str, now: datetime | str | None = None,
               skip: SkipKey | None = None) -> list[AuditEntry]:
        """Append entries, as :meth:`AuditLog.extend` (``skip`` checks against the whole verified
        chain), each with its own conditional write."""
        pending = _prepare(items, run_id, now, show_path(self.path))
        written: list[AuditEntry] = []
        conflicts = 0
        head: tuple[int, str] | None = None  # (seq, hash) of the last entry, while known
        while pending:
            if head is None:
                if skip is None:
                    head = self._last()
                else:
                    # The whole verified chain, read again only after losing a race.
                    head, pending = self._unrecorded(pending, skip)
                    if not pending:
                        break
            (entry, line), = _chain(pending[:1], head[0], head[1], run_id, _stamp(self.clock))
            if self.store.create(entry.seq, line, entry.at):
                written.append(entry)
                pending = pending[1:]
                head = (entry.seq, entry.hash)
                conflicts = 0
                continue
            head = None
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                raise AuditWriteError(self.path, f"entry {entry.seq} was taken by another writer "
                                                 f"{conflicts} times in a row; nothing more was recorded "
                                                 f"({len(written)} entries were)", True)
        return written

    def _unrecorded(self, pending: list[tuple[str, dict[str, Any]]], skip: SkipKey
                    ) -> tuple[tuple[int, str], list[tuple[str, dict[str, Any]]]]:
        """The head of the verified chain, and the items whose skip key no entry (nor an earlier
        item) has."""
        head, seen = (0, ZERO_HASH), set()
        for entry in self.entries():
            key = skip(entry.event, entry.data)
            if key is not None:
                seen.add(key)
            head = (entry.seq, entry.hash)
        return head, _unseen(pending, skip, seen)

    def _last(self) -> tuple[int, str]:
        """The last entry's ``seq`` and ``hash``, checking only that it is a valid entry in place."""
        names = self.store.names()
        if not names:
            return 0, ZERO_HASH
        seq = names[-1]
        raw = self.store.read(seq)
        try:
            if not raw.endswith(b"\n"):
                raise _BadLine("the entry lacks its final newline")
            last = _parse_line(raw[:-1])
        except _BadLine as exc:
            raise AuditLogCorrupt(self.path, f"the audit log has a damaged last entry ({seq}: {exc}); "
                                             f"run 'nhi audit verify {show_path(self.path)}' on it") from None
        if last.seq != seq or len(names) != seq:
            raise AuditLogCorrupt(self.path, f"the audit log's last object ({seq}) does not hold entry "
                                             f"{len(names)} in place; run 'nhi audit verify "
                                             f"{show_path(self.path)}' on it")
        return last.seq, last.hash


def is_remote(target: str | os.PathLike[str]) -> bool:
    """True for a log kept in object storage (``s3://bucket/prefix/``)."""
    return isinstance(target, str) and target.startswith("s3://")


def _remote(target: str | os.PathLike[str]) -> RemoteAuditLog:
    from nhi_toolkit.aws.audit_store import S3ChainStore

    return RemoteAuditLog(S3ChainStore(str(target)))


def open_log(target: str | os.PathLike[str], *,
             clock: Callable[[], datetime] | None = None) -> AuditLog | RemoteAuditLog:
    """The log at ``target``: :class:`RemoteAuditLog` for ``s3://bucket/prefix/`` (the AWS package
    does the I/O), else the file log :class:`AuditLog`."""
    if is_remote(target):
        log = _remote(target)
        log.clock = clock
        return log
    return AuditLog(target, clock=clock)
