"""The error every Terraform command raises when it cannot run or fails, and the interruption
raised when this process is signalled while Terraform runs."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["TerraformError", "TerraformInterrupted"]


class TerraformError(RuntimeError):
    """A Terraform command that could not be run or that failed.

    ``returncode`` is None when the command never ran (binary missing, timeout). The message carries
    only Terraform's diagnostic summaries and their locations: a diagnostic's detail can quote values
    (a variable's, an attribute's). ``stderr`` and ``stdout`` are the full captured output with passed
    variable values masked; keep them out of anything shared (see :meth:`write_log`).
    """

    def __init__(self, message: str, returncode: int | None = None, stderr: str = "", stdout: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.stderr = stderr
        self.stdout = stdout

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.returncode, self.stderr, self.stdout))

    def write_log(self, path: str | os.PathLike[str]) -> None:
        """Write the full output to ``path``, created private (0600) before any byte is written."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A new 0600 file renamed over the target: a link planted there is replaced, not followed.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            self._write_log_to(fd)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _write_log_to(self, fd: int) -> None:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(f"# {self.message}\n")
            if self.stdout:
                fh.write("## stdout\n" + self.stdout + ("" if self.stdout.endswith("\n") else "\n"))
            if self.stderr:
                fh.write("## stderr\n" + self.stderr + ("" if self.stderr.endswith("\n") else "\n"))


class TerraformInterrupted(KeyboardInterrupt):
    """This process got SIGINT, SIGTERM or SIGHUP while a Terraform command ran as its child.

    Raised once Terraform has been stopped: the signal was forwarded to Terraform's process group,
    which had the grace period to stop cleanly (and release its state lock) before it was killed.
    A :class:`KeyboardInterrupt`, so that whatever handles Ctrl-C handles it too. ``exit_code`` is
    128 + the signal number, what a shell reports for a command the signal ended.
    """

    def __init__(self, signum: int, command: str) -> None:
        import signal

        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.command = command
        super().__init__(f"{self.signal_name} while {command} ran; it was stopped")

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.signum, self.command))
