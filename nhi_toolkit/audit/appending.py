"""The file log: appending entries under an exclusive lock, and what happens when a write fails.

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

Append refuses to extend a log whose last line is incomplete or is not a valid entry
(:class:`AuditLogCorrupt`): an audit trail that was damaged is evidence to look at, not to bury.

Faults while writing
====================
Each append writes its line(s) with ``write`` and ``fsync`` under the lock. When the write fails
or falls short (a full disk), or ``fsync`` fails, the file is truncated back to its length before
the append and synced again, so the log is exactly as it was, and :class:`AuditWriteError` names
the file. Only if that truncation fails too (or the process is killed mid-write) can an incomplete
last line remain: :func:`verify` reports it with its line and byte offset, appends refuse to extend
it (:class:`AuditLogCorrupt`, naming ``nhi audit repair``), and :func:`plan_repair` /
:func:`apply_repair` (``nhi audit repair LOG``) cut it.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.audit.building import AuditItem, SkipKey, chain_after, prepare, stamp, unseen
from nhi_toolkit.audit.chain import ZERO_HASH, AuditEntry, Event, parse_line, scan
from nhi_toolkit.audit.errors import (
    AuditLogAccessError,
    AuditLogCorrupt,
    AuditWriteError,
    BadLine,
    show_path,
    why,
)
from nhi_toolkit.audit.fileio import fsync_dir, line_start, not_regular, require_regular, truncate, write_all

__all__ = ["AuditLog"]


class AuditLog:
    """An append-only, hash-chained JSON Lines log at ``path`` (created with its directory on first
    append). Safe to share between processes on one host; see the module notes.

    ``clock`` returns the aware instant stamped in ``at`` (default: :data:`nhi_toolkit.audit.CLOCK`,
    the wall clock).
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
        prepared = prepare(items, run_id, now, show_path(self.path))
        if not prepared and (skip is None or not os.path.lexists(self.path)):
            return []

        fd = self._open_locked(create=bool(prepared))
        try:
            if skip is not None:
                seq, prev, seen = self._scan_keys(fd, skip)
                prepared = unseen(prepared, skip, seen)
            else:
                seq, prev = self._last(fd)
            if not prepared:
                return []
            chained = chain_after(prepared, seq, prev, run_id, stamp(self.clock))
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
                return list(scan(handle, self.path))
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot read the audit log ({why(exc)})") from None
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
            raise AuditLogAccessError(self.path, f"cannot open the audit log ({why(exc)})") from None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise AuditLogAccessError(self.path, f"cannot write the audit log: {not_regular(st.st_mode)}")
        flags = os.O_RDWR | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_CREAT if create else 0)
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(100):
                fd = os.open(self.path, flags, 0o640)
                try:
                    require_regular(fd, self.path, "write")
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
            raise AuditLogAccessError(self.path, f"cannot open the audit log for appending ({why(exc)})") from None
        raise AuditLogAccessError(self.path, "cannot open the audit log: the file kept being replaced while "
                                             "waiting for its lock")

    def _write(self, fd: int, blob: bytes, *, new_file: bool) -> None:
        """Write and sync ``blob`` at the end; on any failure cut the file back to its old length."""
        size = os.fstat(fd).st_size
        try:
            write_all(fd, blob)
            os.fsync(fd)
            if new_file:
                fsync_dir(self.path.parent)
        except BaseException as exc:
            restored = truncate(fd, size)
            if not isinstance(exc, OSError):
                raise
            if restored:
                message = f"cannot append to the audit log ({why(exc)}); nothing was recorded, the log is as it was"
            else:
                message = (f"cannot append to the audit log ({why(exc)}), nor cut the incomplete entry back; "
                           f"run 'nhi audit repair {show_path(self.path)}'")
            raise AuditWriteError(self.path, message, restored) from None

    def _scan_keys(self, fd: int, skip: SkipKey) -> tuple[int, str, set[Hashable]]:
        """Read and verify the whole (locked) log: last seq, head, and the skip keys of its entries."""
        seq, prev, seen = 0, ZERO_HASH, set[Hashable]()
        try:
            with os.fdopen(os.dup(fd), "rb") as handle:
                handle.seek(0)
                for entry in scan(handle, self.path):
                    key = skip(entry.event, entry.data)
                    if key is not None:
                        seen.add(key)
                    seq, prev = entry.seq, entry.hash
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot read the audit log ({why(exc)})") from None
        return seq, prev, seen

    def _last(self, fd: int) -> tuple[int, str]:
        """The ``seq`` and ``hash`` of the last entry, read from the end of the file."""
        try:
            size = os.fstat(fd).st_size
            if size == 0:
                return 0, ZERO_HASH
            complete = os.pread(fd, 1, size - 1) == b"\n"
            start = line_start(fd, size - 1 if complete else size)
            raw = os.pread(fd, size - 1 - start, start) if complete else b""
        except OSError as exc:
            raise AuditLogAccessError(self.path, f"cannot read the audit log ({why(exc)})") from None
        shown = show_path(self.path)
        if not complete:
            raise AuditLogCorrupt(
                self.path,
                f"the audit log ends with an incomplete line at byte offset {start} (an interrupted "
                f"append); run 'nhi audit verify {shown}', then 'nhi audit repair {shown}' to cut it",
            )
        try:
            last = parse_line(raw)
        except BadLine as exc:
            raise AuditLogCorrupt(
                self.path,
                f"the audit log has a damaged last entry at byte offset {start} ({exc}); "
                f"run 'nhi audit verify {shown}' on it",
            ) from None
        return last.seq, last.hash
