"""The audit log's errors, and paths as they are shown in messages.

Every :class:`AuditError` is an :class:`~nhi_toolkit.errors.NhiError`: its ``file`` is the log's
path (control characters escaped), so the CLI prints one line naming the file and exits 2 (bad
input). :class:`AuditNotRecorded` (exit 4) is what a retirement raises when a step cannot be
recorded: the run stops before the step, so nothing is destroyed that the log does not record.
"""

from __future__ import annotations

import os
import unicodedata

from nhi_toolkit.errors import NhiError

__all__ = [
    "AuditError",
    "AuditLogAccessError",
    "AuditLogCorrupt",
    "AuditNotRecorded",
    "AuditWriteError",
    "BadLine",
    "ChainBroken",
    "SecretInAuditData",
    "show_path",
    "why",
]


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


def why(exc: OSError) -> str:
    """What went wrong with a file operation, for a message (never a path or content)."""
    return exc.strerror or type(exc).__name__


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

    Raised by ``nhi retire`` in place of any :class:`AuditError` met while appending; ``cause`` is
    that error. Everything the run did up to this point is in the log.
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


class BadLine(Exception):
    """A line that is not a well-formed entry; the message is a reason safe to show."""
