"""Repairing the trace of an interrupted append (``nhi audit repair LOG``).

Repair only ever removes an incomplete last line (no newline); a last entry that is complete and
chained but lost its newline gets the newline back instead. Any other break is left alone as
evidence. :func:`plan_repair` finds what would be done, changing nothing; :func:`apply_repair` does
it under the log's exclusive lock, only if the log is still exactly as planned.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from nhi_toolkit.audit.chain import ZERO_HASH, scan
from nhi_toolkit.audit.errors import AuditLogAccessError, AuditLogCorrupt, ChainBroken, why
from nhi_toolkit.audit.fileio import open_read, require_regular, write_all_at
from nhi_toolkit.audit.verification import VerifyResult, verify

__all__ = ["Repair", "apply_repair", "plan_repair"]


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
        for entry in scan(handle, where):
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
    handle = open_read(where)
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            return _plan(handle, where)
        except OSError as exc:
            raise AuditLogAccessError(where, f"cannot read the audit log ({why(exc)})") from None


def apply_repair(path: str | os.PathLike[str], planned: Repair) -> VerifyResult:
    """Carry out ``planned`` (from :func:`plan_repair`) under the log's exclusive lock and return the
    verification of the result. Writes nothing for ``none``. Raises :class:`AuditLogCorrupt`, changing
    nothing, when the log is no longer exactly as planned, :class:`AuditLogAccessError` when it
    cannot be written, and ``ValueError`` for a cut or completion that names no offset (no
    :func:`plan_repair` gives one)."""
    where = Path(path)
    if planned.action == "none":
        return verify(where)
    if planned.offset is None:
        raise ValueError(f"a '{planned.action}' repair names the byte offset it was planned at")
    try:
        fd = os.open(where, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise AuditLogAccessError(where, f"cannot open the audit log to repair it ({why(exc)})") from None
    with os.fdopen(fd, "r+b") as handle:
        try:
            require_regular(fd, where, "repair")
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = _plan(handle, where)
            if current != planned:
                raise AuditLogCorrupt(where, "the audit log changed since the repair was planned; nothing was "
                                             "changed: run the repair again")
            if planned.action == "cut":
                os.ftruncate(fd, planned.offset)
            else:
                write_all_at(fd, b"\n", planned.size)
            os.fsync(fd)
        except OSError as exc:
            raise AuditLogAccessError(where, f"cannot repair the audit log ({why(exc)})") from None
    return verify(where)
