"""Low-level file operations of the file log: opening a regular file only (never blocking on a FIFO),
writing all of a buffer, cutting a file back, syncing, and finding the start of the last line."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from typing import BinaryIO

from nhi_toolkit.audit.errors import AuditLogAccessError, why

__all__ = ["fsync_dir", "line_start", "not_regular", "open_read", "require_regular", "truncate", "write_all",
           "write_all_at"]


def not_regular(mode: int) -> str:
    """Why a file of this mode is refused, for a message."""
    kind = (
        "a directory" if stat.S_ISDIR(mode)
        else "a FIFO" if stat.S_ISFIFO(mode)
        else "a character device" if stat.S_ISCHR(mode)
        else "a block device" if stat.S_ISBLK(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "not a file"
    )
    return f"it is {kind}, not a regular file"


def require_regular(fd: int, where: Path, doing: str) -> None:
    """Refuse an open descriptor that is not a regular file; clear O_NONBLOCK on one that is."""
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        raise AuditLogAccessError(where, f"cannot {doing} the audit log: {not_regular(mode)}")
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


def open_read(where: Path) -> BinaryIO:
    """Open a log for reading: a regular file only, and without blocking on a FIFO."""
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise AuditLogAccessError(where, f"cannot read the audit log ({why(exc)})") from None
    try:
        require_regular(fd, where, "read")
    except OSError as exc:
        os.close(fd)
        raise AuditLogAccessError(where, f"cannot read the audit log ({why(exc)})") from None
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def line_start(fd: int, limit: int) -> int:
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


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` at the end of an O_APPEND descriptor."""
    # One write in practice; the loop only matters for a short write (disk nearly full), and the
    # lock keeps any continuation contiguous.
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def write_all_at(fd: int, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` in one call; a short write is a full disk."""
    if os.pwrite(fd, data, offset) != len(data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def truncate(fd: int, size: int) -> bool:
    """Cut the file back to ``size`` and sync it; False when that failed too."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        return False
    return True


def fsync_dir(directory: Path) -> None:
    """Sync a directory, so that a file just created in it survives a crash."""
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
