"""Errors a user can act on. Each names the file (and line, column where known) and never quotes the
input's text: a parser's token or a value can be a hard-coded secret.

File names and text from inputs reach a terminal through these messages and the reports; every such
string goes through :func:`printable` first, so a crafted name cannot move the cursor, rewrite a line
or reorder text (terminal escapes, carriage returns, bidi overrides).
"""

from __future__ import annotations

__all__ = ["ConfigError", "InputError", "NhiError", "RetireRefused", "printable"]


def printable(text: str) -> str:
    """``text`` with every non-printable character written as a Python escape (``\\x1b``, ``\\u202e``).

    Non-printable means control characters (C0, C1, DEL), format characters (bidi overrides and
    isolates, zero-width characters), line and paragraph separators, every space but U+0020,
    surrogates left by undecodable file names, private-use and unassigned code points. Everything
    else, including non-ASCII letters, is kept as it is. Use it on every path, address, tag value or
    other input-derived text shown on a terminal or in a text report.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class NhiError(Exception):
    """Base of every error the CLI turns into a clean message and an exit code.

    ``file`` and ``message`` are kept as given; ``str()`` shows both through :func:`printable`.
    """

    exit_code = 2

    def __init__(self, file: str, message: str, line: int | None = None, column: int | None = None):
        self.file = file
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = printable(str(self.file))
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {printable(str(self.message))}"


class InputError(NhiError):
    """An input that cannot be read as a Terraform plan, state, CDKTF output or HCL."""


class ConfigError(NhiError):
    """A configuration file or setting that is not valid."""


class RetireRefused(NhiError):
    """A retirement that was refused before anything was destroyed (exit 3)."""

    exit_code = 3
