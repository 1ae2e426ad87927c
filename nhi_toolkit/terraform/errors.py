"""The error every Terraform command raises when it cannot run or fails."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["TerraformError"]


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
