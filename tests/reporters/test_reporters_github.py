"""GitHub workflow-command annotations: escaped, ten per level, the rest summarised."""

from __future__ import annotations

import os
import re

from report_samples import HOSTILE, _finding, _ident, _many, _report

from nhi_toolkit.model import Severity
from nhi_toolkit.reporters import RenderOptions, render
from nhi_toolkit.reporters import github as gh


def _unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_are_escaped() -> None:
    hostile_file = "in,fra/ma:in%.tf"
    report = _report([_ident("aws_iam_user.bot", file=hostile_file)],
                     [_finding("aws_iam_user.bot", "NHI005", "expiring-soon", Severity.WARNING, message=HOSTILE,
                               file=hostile_file, line=9),
                      _finding("aws_iam_user.bot", file=hostile_file, line=9)])
    text = render("github", report, RenderOptions(root=os.getcwd()))
    lines = text.splitlines()
    assert len(lines) == 3  # one line per annotation: CR/LF never split a command
    assert lines[0].startswith("::error ") and lines[1].startswith("::warning ")  # errors first
    m = re.fullmatch(r"::warning file=([^,:]*),line=9,col=1,title=([^,:]*)::(.*)", lines[1])
    assert m, lines[1]
    assert _unescape(m.group(1)) == hostile_file
    assert _unescape(m.group(2)) == "NHI005 expiring-soon"
    message = _unescape(m.group(3))
    assert message.startswith("50% off\r\n::error::pwned, a:b") and "\x1b" not in message and "\x07" not in message
    assert "\\x1b" in message
    assert not any(line.startswith("::error::pwned") for line in lines)


def test_github_shows_ten_per_level_and_summarises_the_rest() -> None:
    text = render("github", _many(13), RenderOptions(root=os.getcwd()))
    lines = text.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == gh.PER_LEVEL
    assert sum(line.startswith("nhi: error: ") for line in lines) == 3
    assert "3 findings not annotated" in lines[-1] and lines[-1].startswith("nhi check failed")


def test_github_escape_functions() -> None:
    assert gh.escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert gh.escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
