"""The hash-chained, append-only audit log of retirement runs, their steps, and grants and revokes.

Format
======
JSON Lines: one entry per line, each line ending in ``\\n``. A line is the *canonical* serialisation
of its entry, ``json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
allow_nan=False)``, so it is plain ASCII and the same entry always gives the same bytes::

    {"at":"2026-05-01T09:00:00Z","data":{"address":"aws_iam_user.bot"},"event":"planned",
     "hash":"<64 hex>","prev":"<64 hex>","run_id":"r-1","seq":3}

(one line in the file). The fields, and no others:

``seq``     1-based position of the entry in the log.
``at``      RFC 3339 instant in UTC with a ``Z`` suffix. The caller supplies it (the run's ``--now``),
            so that a pinned run writes the same bytes; it defaults to the wall clock.
``event``   what happened; :class:`Event` lists the names written by nhi-toolkit.
``run_id``  groups the entries of one run: letters, digits and ``._:-``, at most 128 characters.
``data``    a JSON object: addresses, owners, reasons, plan hashes; never a secret (see below).
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

A chain alone cannot reveal entries cut from its end, nor a chain rewritten from some entry on by
someone who recomputes the hashes. For that, record the head printed by ``nhi audit verify``
outside the log (a pipeline artefact) and pass it back later as ``expect_head``: the log is accepted
only if that hash is still one of its entries. Written as ``SEQ:HASH`` (the entry count and the
head), a mismatch is diagnosed precisely as *truncated* (the log now has fewer entries) or
*diverged* (that entry now has another hash); a bare hash can only say "not found".

Reasons returned by :func:`verify` describe the fault by position and field name only: they never
quote what a line contains.

An empty file is a valid log with no entries and head :data:`ZERO_HASH`; a missing or unreadable
file is an input error (:class:`AuditLogAccessError`).

Concurrency
===========
:meth:`AuditLog.append` takes an exclusive ``flock`` on the log file, reads the last entry, and
appends the new line with one ``write`` followed by ``fsync`` (and an ``fsync`` of the directory
when the file was empty, so that a new log survives a crash). Runs on one host, in any number of
processes or threads, therefore extend one unbroken chain. :func:`verify` holds a shared lock while
reading, so it never sees half of a line being appended. ``flock`` is advisory and meant for local
file systems: do not share one log between hosts over a network file system.

Append refuses to extend a log whose last line is incomplete or is not a valid entry
(:class:`AuditLogCorrupt`): an audit trail that was damaged is evidence to look at, not to bury.

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
import fcntl
import hashlib
import itertools
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.expiry import InvalidExpiry, format_instant, parse_now

__all__ = [
    "SECRET_KEY_PAIRS",
    "SECRET_STEMS",
    "SECRET_WORDS",
    "ZERO_HASH",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditLogAccessError",
    "AuditLogCorrupt",
    "ChainBroken",
    "Event",
    "ExpectedHead",
    "SecretInAuditData",
    "VerifyResult",
    "check_no_secrets",
    "iter_entries",
    "new_run_id",
    "parse_expected_head",
    "verify",
]

ZERO_HASH = "0" * 64
"""The ``prev`` of the first entry, and the head of an empty log."""

FIELDS = frozenset({"seq", "at", "event", "run_id", "data", "prev", "hash"})


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


_EVENT_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?Z")
_EXPECTED_HEAD = re.compile(r"(?:(\d{1,18}):)?([0-9a-fA-F]{64})")


# --- errors ---------------------------------------------------------------------------------------


class AuditError(Exception):
    """Base class of the audit log's errors."""


class SecretInAuditData(AuditError, ValueError):
    """``data`` given to :meth:`AuditLog.append` holds a secret-named key or a private key.

    The message names the key path (``data.credentials[0].password``), never a value.
    """


class AuditLogAccessError(AuditError):
    """The log file cannot be opened, read or written; the message names the file."""


class AuditLogCorrupt(AuditError):
    """:meth:`AuditLog.append` found that the log's last line is not a valid entry."""


class ChainBroken(AuditError):
    """Raised by :func:`iter_entries` at the first line that breaks the chain.

    ``line`` is the 1-based line number (also the entry's expected ``seq``); ``entries`` and
    ``head`` describe the intact prefix before it.
    """

    def __init__(self, line: int, reason: str, entries: int, head: str) -> None:
        super().__init__(f"broken at entry {line} (line {line}): {reason}")
        self.line = line
        self.reason = reason
        self.entries = entries
        self.head = head


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
    the chain is intact. ``status`` is ``ok``, ``broken`` (the chain itself is damaged), or, for an
    intact chain that lacks the expected head, ``truncated``, ``diverged`` or ``head-not-found``.
    ``expected_head_at`` is the ``seq`` of the entry carrying the expected head (0 for the empty
    head), None when no head was expected or it was not found.
    """

    ok: bool
    entries: int
    head: str
    first_broken: int | None = None
    reason: str | None = None
    status: str = "ok"
    expected_head_at: int | None = None

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
    if _digest(obj) != obj["hash"]:
        raise _BadLine("hash does not match the entry's content (the entry was modified)")
    if _canonical(obj) != text:
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


def _is_canonical_at(text: str) -> bool:
    if not _AT.fullmatch(text):
        return False
    try:
        return format_instant(parse_now(text)) == text
    except InvalidExpiry:
        return False


def _format_at(at: datetime | str | None) -> str:
    if at is None:
        return format_instant(datetime.now(UTC))
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        return format_instant(at)
    if isinstance(at, str):
        try:
            return format_instant(parse_now(at))
        except InvalidExpiry as exc:
            raise ValueError(f"at is not an RFC 3339 timestamp or date: {exc}") from None
    raise TypeError("at must be a datetime, an RFC 3339 string or None")


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


def check_no_secrets(data: Any, path: str = "data") -> None:
    """Raise :class:`SecretInAuditData` if ``data`` holds a secret-named key or a PEM private key.

    Walks objects and lists at any depth; ``path`` prefixes the key path named in the message.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            if not isinstance(key, str):
                raise SecretInAuditData(f"{path} has a key that is not a string")
            where = f"{path}.{key}" if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f"{path}[{key!r}]"
            if _names_secret(key):
                raise SecretInAuditData(f"{where} names a secret; audit data must never hold secrets")
            check_no_secrets(value, where)
    elif isinstance(data, list | tuple):
        for i, item in enumerate(data):
            check_no_secrets(item, f"{path}[{i}]")
    elif isinstance(data, str) and _PEM_PRIVATE.search(data):
        raise SecretInAuditData(f"{path} holds a private key; audit data must never hold secrets")


# --- writing --------------------------------------------------------------------------------------


def new_run_id() -> str:
    """A fresh random run id (32 hex digits)."""
    return uuid.uuid4().hex


class AuditLog:
    """An append-only, hash-chained JSON Lines log at ``path`` (created with its directory on first
    append). Safe to share between processes on one host; see the module notes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def append(
        self,
        event: Event | str,
        *,
        run_id: str,
        data: Mapping[str, Any] | None = None,
        at: datetime | str | None = None,
    ) -> AuditEntry:
        """Append one entry and return it once it is on disk.

        ``event`` must be one of :class:`Event`; ``at`` is an aware datetime or an RFC 3339 string
        (normalised to UTC), default now. Raises :class:`SecretInAuditData` for secret-bearing
        ``data``, ``ValueError``/``TypeError`` for other invalid arguments (nothing is written then),
        :class:`AuditLogCorrupt` when the log's last line is damaged, and
        :class:`AuditLogAccessError` when the file cannot be opened or written.
        """
        try:
            name = Event(event).value
        except ValueError:
            raise ValueError(f"unknown audit event {event!r}; known: {', '.join(Event)}") from None
        if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
            raise ValueError("run_id must be 1-128 letters, digits or ._:- starting with a letter or digit")
        payload = {} if data is None else data
        if not isinstance(payload, Mapping):
            raise TypeError("data must be a mapping")
        check_no_secrets(payload)
        try:
            # A round trip fixes the stored form (tuples become lists) before it is hashed.
            payload = json.loads(_canonical(payload))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data is not JSON-serialisable: {type(exc).__name__}") from None
        stamp = _format_at(at)

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = self._open_locked()
        except OSError as exc:
            raise AuditLogAccessError(f"cannot open audit log {self.path}: {exc.strerror}") from None
        try:
            seq, prev = self._last(fd)
            body: dict[str, Any] = {
                "seq": seq + 1,
                "at": stamp,
                "event": name,
                "run_id": run_id,
                "data": payload,
                "prev": prev,
            }
            body["hash"] = _digest(body)
            line = (_canonical(body) + "\n").encode("ascii")
            _write_all(fd, line)
            os.fsync(fd)
            if seq == 0:
                _fsync_dir(self.path.parent)
        except OSError as exc:
            raise AuditLogAccessError(f"cannot append to audit log {self.path}: {exc.strerror}") from None
        finally:
            os.close(fd)  # also releases the lock
        return AuditEntry(
            seq=body["seq"],
            at=stamp,
            event=name,
            run_id=run_id,
            data=json.loads(_canonical(payload)),
            prev=prev,
            hash=body["hash"],
        )

    def _open_locked(self) -> int:
        """Open the log for appending and hold its exclusive lock.

        A writer that waited for the lock re-checks that the path still names the file it locked, so
        that an entry is never appended to a log that was moved or deleted meanwhile.
        """
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        for _ in range(100):
            fd = os.open(self.path, flags, 0o640)
            try:
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
        raise OSError(0, "the file kept being replaced while waiting for its lock")

    def _last(self, fd: int) -> tuple[int, str]:
        """The ``seq`` and ``hash`` of the last entry, read from the end of the file."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, ZERO_HASH
        block = 4096
        while True:
            start = max(0, size - block)
            chunk = os.pread(fd, size - start, start)
            if not chunk.endswith(b"\n"):
                raise AuditLogCorrupt(
                    f"audit log {self.path} ends with an incomplete line; run 'nhi audit verify' on it"
                )
            cut = chunk.rfind(b"\n", 0, len(chunk) - 1)
            if cut >= 0 or start == 0:
                break
            block *= 8
        try:
            last = _parse_line(chunk[cut + 1 : -1])
        except _BadLine as exc:
            raise AuditLogCorrupt(
                f"audit log {self.path} has a damaged last entry ({exc}); run 'nhi audit verify' on it"
            ) from None
        return last.seq, last.hash


def _write_all(fd: int, data: bytes) -> None:
    # One write in practice; the loop only matters for a short write (disk nearly full), and the
    # lock keeps any continuation contiguous.
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- reading and verifying ------------------------------------------------------------------------


def iter_entries(path: str | os.PathLike[str]) -> Iterator[AuditEntry]:
    """Yield the entries of the log at ``path`` in order, each checked against the chain.

    Raises :class:`ChainBroken` at the first line that breaks it (entries already yielded are
    intact) and :class:`AuditLogAccessError` when the file cannot be read. A shared lock is held
    while reading, so a concurrent append is never seen half-written.
    """
    where = Path(path)
    try:
        handle = open(where, "rb")  # noqa: SIM115 - closed by the with below; open errors mapped
    except OSError as exc:
        raise AuditLogAccessError(f"cannot read audit log {where}: {exc.strerror}") from None
    with handle:
        prev, count = ZERO_HASH, 0
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            for lineno, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    raise ChainBroken(lineno, "the last line is incomplete (no newline)", count, prev)
                try:
                    entry = _parse_line(raw[:-1])
                except _BadLine as exc:
                    raise ChainBroken(lineno, str(exc), count, prev) from None
                if entry.prev != prev:
                    reason = (
                        "prev is not 64 zeros as the first entry's must be"
                        if lineno == 1
                        else "prev does not match the previous entry's hash "
                        "(an entry was removed, inserted or moved)"
                    )
                    raise ChainBroken(lineno, reason, count, prev)
                if entry.seq != lineno:
                    raise ChainBroken(lineno, f"seq is not {lineno}", count, prev)
                prev, count = entry.hash, lineno
                yield entry
        except OSError as exc:
            raise AuditLogAccessError(f"cannot read audit log {where}: {exc.strerror}") from None


def parse_expected_head(text: str) -> ExpectedHead:
    """Parse ``HASH`` or ``SEQ:HASH`` (64 hex digits; SEQ the entry count when it was recorded)."""
    m = _EXPECTED_HEAD.fullmatch(text.strip())
    if not m:
        raise ValueError("expected a 64-digit hex SHA-256, optionally prefixed by the entry count: SEQ:HASH")
    seq, digest = m.groups()
    return ExpectedHead(hash=digest.lower(), seq=int(seq) if seq is not None else None)


def verify(path: str | os.PathLike[str], expect_head: str | ExpectedHead | None = None) -> VerifyResult:
    """Verify the chain of the log at ``path``, and that it still holds ``expect_head`` if given.

    ``expect_head`` is a head recorded earlier (``HASH`` or ``SEQ:HASH``, see
    :func:`parse_expected_head`); entries appended after it are fine. Raises
    :class:`AuditLogAccessError` for a missing or unreadable file and ``ValueError`` for a malformed
    ``expect_head``; every finding about the content is in the returned :class:`VerifyResult`.
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
