"""Errors a user can act on. Each names the file (and line, column where known) and never quotes the
input's text: a parser's token or a value can be a hard-coded secret.
"""

from __future__ import annotations

__all__ = ["ConfigError", "InputError", "NhiError", "RetireRefused"]


class NhiError(Exception):
    """Base of every error the CLI turns into a clean message and an exit code."""

    exit_code = 2

    def __init__(self, file: str, message: str, line: int | None = None, column: int | None = None):
        self.file = file
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class InputError(NhiError):
    """An input that cannot be read as a Terraform plan, state, CDKTF output or HCL."""


class ConfigError(NhiError):
    """A configuration file or setting that is not valid."""


class RetireRefused(NhiError):
    """A retirement that was refused before anything was destroyed (exit 3)."""

    exit_code = 3
