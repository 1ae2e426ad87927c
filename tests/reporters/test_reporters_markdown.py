"""The Markdown pull-request comment. Golden files live in tests/fixtures/reporters/; rewrite them after a
reviewed change with ``NHI_UPDATE_GOLDEN=1 pytest tests/reporters/test_reporters_markdown.py``.
"""

from __future__ import annotations

import os
import re

from conftest import FIXTURES
from report_samples import _many, _report, _small

from nhi_toolkit.reporters import RenderOptions, render
from nhi_toolkit.reporters import markdown as md

GOLDEN = FIXTURES / "reporters"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NHI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path} differs (NHI_UPDATE_GOLDEN=1 rewrites it)"


def test_markdown_small_golden() -> None:
    text = render("markdown", _small(), RenderOptions(root=os.getcwd()))
    _golden("small.md", text)
    assert text.splitlines()[0] == md.MARKER
    assert text.splitlines()[1].startswith("❌ **nhi check failed**: 2 errors, 1 warning, 1 info, 1 suppressed")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "@alice" not in text and "\x1b" not in text and "\r" not in text
    assert "\\*\\*bold\\*\\*" in text and "a\\|b" not in text and "\\| \\*\\*bold" in text


def test_markdown_collapses_past_50_rows() -> None:
    text = render("markdown", _many(60), RenderOptions(root=os.getcwd()))
    _golden("collapsed.md", text)
    assert text.count("<details>") == 2 and text.count("</details>") == 2
    assert "<summary>10 more identities</summary>" in text and "<summary>10 more findings</summary>" in text


def test_markdown_never_exceeds_the_comment_limit() -> None:
    report = _many(2000, per_ident=2)
    text = render("markdown", report, RenderOptions(root=os.getcwd()))
    _golden("truncated.md", text)
    assert len(text) <= md.MAX_CHARS
    assert text.count("<details>") == text.count("</details>")
    m = re.search(r"\*\*Truncated:\*\* ([\d,]+) identity rows and ([\d,]+) finding rows not shown", text)
    assert m, text[-500:]
    shown_idents = sum(1 for line in text.splitlines() if line.startswith(("| aws_iam_user",
                                                                                     "| aws\\_iam\\_user")))
    shown_findings = text.count("](https://")
    assert shown_idents + int(m.group(1).replace(",", "")) == 2000
    assert shown_findings + int(m.group(2).replace(",", "")) == 4000
    assert "SARIF or JSON report artifact" in text


def test_markdown_with_no_identities_passes() -> None:
    text = render("markdown", _report([], []))
    assert "✅ **nhi check passed**" in text and "No non-human identities found." in text
