"""The leavers list: a CSV with an owner column (and optional left_on), or one owner per line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nhi_toolkit.errors import InputError
from nhi_toolkit.leavers import load_leavers


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "leavers.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_with_owner_and_left_on(tmp_path: Path) -> None:
    path = _write(tmp_path, "Owner,left_on,team\nAlice@Example.com,2026-05-01,ai\nbob,,ops\n,2026-01-01,x\n")
    assert load_leavers(path) == {"alice@example.com": date(2026, 5, 1), "bob": None}


def test_csv_without_left_on_column(tmp_path: Path) -> None:
    assert load_leavers(_write(tmp_path, "name,owner\nCarol,carol@example.com\n")) == {"carol@example.com": None}


def test_plain_list_with_comments_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "# people who left\n\nAlice@Example.com\n  bob  \n")
    assert load_leavers(path) == {"alice@example.com": None, "bob": None}


@pytest.mark.parametrize(("text", "message", "line"), [
    ("", "file is empty", None),
    ("# only a comment\n\n", "no leavers listed", None),
    ("name,team\nalice,ai\n", "a CSV leavers file needs an 'owner' column", 1),
    ("owner,left_on\nalice,2026-02-30\n", "left_on is not a YYYY-MM-DD date", 2),
    ("# HR export\n\nowner,left_on\n# leavers since May\nalice,2026-05-01\nbob,2026-02-30\n",
     "left_on is not a YYYY-MM-DD date", 6),
    ("# HR export\nname,team\nalice,ai\n", "a CSV leavers file needs an 'owner' column", 2),
])
def test_bad_lists_are_input_errors(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_leavers(path)
    assert info.value.message == message and info.value.line == line
    assert str(info.value).startswith(path)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_leavers(str(tmp_path / "absent.csv"))
