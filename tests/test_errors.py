"""Errors a user can act on: file, line and column in front, exit codes, and no raw control characters."""

from __future__ import annotations

import pytest

from nhi_toolkit.errors import ConfigError, InputError, NhiError, RetireRefused, printable


@pytest.mark.parametrize(("text", "shown"), [
    ("plain.tf", "plain.tf"),
    ("naïve/ключ.tf", "naïve/ключ.tf"),
    ("evil\x1b[2J.tf", "evil\\x1b[2J.tf"),
    ("a\rb", "a\\rb"),
    ("bidi\u202egnp.tf", "bidi\\u202egnp.tf"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("nbsp\u00a0here", "nbsp\\xa0here"),
    ("lone\udcffsurrogate", "lone\\udcffsurrogate"),
])
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize(("error", "text"), [
    (InputError("plan.json", "not JSON"), "plan.json: not JSON"),
    (InputError("main.tf", "bad block", 3), "main.tf:3: bad block"),
    (ConfigError("nhi.toml", "unknown setting", 4, 7), "nhi.toml:4:7: unknown setting"),
    (NhiError("x\x1b.tf", "a \x07 bell"), "x\\x1b.tf: a \\x07 bell"),
])
def test_message_names_file_line_and_column(error: NhiError, text: str) -> None:
    assert str(error) == text


def test_exit_codes() -> None:
    assert InputError("f", "m").exit_code == ConfigError("f", "m").exit_code == 2
    assert RetireRefused("f", "m").exit_code == 3
    err = InputError("f", "m", 1, 2)
    assert (err.file, err.message, err.line, err.column) == ("f", "m", 1, 2)
