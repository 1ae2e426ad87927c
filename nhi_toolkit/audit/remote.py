"""The log kept in object storage (``--audit-log s3://bucket/prefix/``), and :func:`open_log`,
which picks the file log or the remote one from a target.

A remote log holds the same entries as the file log, one object each, and takes the place of the
lock with conditional writes: a new entry's object is created only if absent, and a writer that
finds it taken re-reads the head and chains after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from nhi_toolkit.audit.appending import AuditLog
from nhi_toolkit.audit.building import AuditItem, Prepared, SkipKey, chain_after, prepare, stamp, unseen
from nhi_toolkit.audit.chain import ZERO_HASH, AuditEntry, Event, parse_line, scan
from nhi_toolkit.audit.errors import AuditLogCorrupt, AuditWriteError, BadLine, ChainBroken, show_path

__all__ = ["MAX_CONFLICTS", "ChainStore", "RemoteAuditLog", "is_remote", "open_log", "remote_log"]


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
        for position, entry in enumerate(scan(lines, self.path), start=1):
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
        pending = prepare(items, run_id, now, show_path(self.path))
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
            (entry, line), = chain_after(pending[:1], head[0], head[1], run_id, stamp(self.clock))
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

    def _unrecorded(self, pending: Prepared, skip: SkipKey) -> tuple[tuple[int, str], Prepared]:
        """The head of the verified chain, and the items whose skip key no entry (nor an earlier
        item) has."""
        head, seen = (0, ZERO_HASH), set[Hashable]()
        for entry in self.entries():
            key = skip(entry.event, entry.data)
            if key is not None:
                seen.add(key)
            head = (entry.seq, entry.hash)
        return head, unseen(pending, skip, seen)

    def _last(self) -> tuple[int, str]:
        """The last entry's ``seq`` and ``hash``, checking only that it is a valid entry in place."""
        names = self.store.names()
        if not names:
            return 0, ZERO_HASH
        seq = names[-1]
        raw = self.store.read(seq)
        try:
            if not raw.endswith(b"\n"):
                raise BadLine("the entry lacks its final newline")
            last = parse_line(raw[:-1])
        except BadLine as exc:
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


def remote_log(target: str | os.PathLike[str]) -> RemoteAuditLog:
    """The remote log at ``s3://bucket/prefix/`` (the AWS package does the I/O)."""
    from nhi_toolkit.aws.audit_store import S3ChainStore

    return RemoteAuditLog(S3ChainStore(str(target)))


def open_log(target: str | os.PathLike[str], *,
             clock: Callable[[], datetime] | None = None) -> AuditLog | RemoteAuditLog:
    """The log at ``target``: :class:`RemoteAuditLog` for ``s3://bucket/prefix/`` (the AWS package
    does the I/O), else the file log :class:`AuditLog`."""
    if is_remote(target):
        log = remote_log(target)
        log.clock = clock
        return log
    return AuditLog(target, clock=clock)
