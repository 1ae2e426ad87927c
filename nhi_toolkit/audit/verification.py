"""Verifying a log: reading its entries against the chain, and checking that an expected head is
still in it.

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
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nhi_toolkit.audit.chain import ZERO_HASH, AuditEntry, scan
from nhi_toolkit.audit.errors import AuditLogAccessError, ChainBroken, why
from nhi_toolkit.audit.fileio import open_read
from nhi_toolkit.audit.remote import is_remote, remote_log

__all__ = ["ExpectedHead", "VerifyResult", "iter_entries", "parse_expected_head", "verify"]

_EXPECTED_HEAD = re.compile(r"(?:(\d{1,18}):)?([0-9a-fA-F]{64})")


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


def iter_entries(path: str | os.PathLike[str]) -> Iterator[AuditEntry]:
    """Yield the entries of the log at ``path`` (a file, or ``s3://bucket/prefix/``) in order, each
    checked against the chain.

    Raises :class:`ChainBroken` at the first line that breaks it (entries already yielded are
    intact) and :class:`AuditLogAccessError` when the file cannot be read or is not a regular file.
    A shared lock is held while reading, so a concurrent append is never seen half-written.
    """
    if is_remote(path):
        yield from remote_log(path).entries()
        return
    where = Path(path)
    handle = open_read(where)
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            yield from scan(handle, where)
        except OSError as exc:
            raise AuditLogAccessError(where, f"cannot read the audit log ({why(exc)})") from None


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
