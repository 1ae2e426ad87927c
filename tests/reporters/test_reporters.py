"""Every format is registered and survives hostile text; the CI entry points (action, pre-commit
hook, GitLab job) agree with the code.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from conftest import REPO
from report_samples import _finding, _ident, _report, _validate

from nhi_toolkit.reporters import REPORTERS, RenderOptions, render
from nhi_toolkit.reporters import markdown as md


def test_every_format_is_registered() -> None:
    assert set(REPORTERS) >= {"text", "json", "sarif", "junit", "markdown", "github", "gitlab"}


@pytest.mark.parametrize("file", ["in\x1b/ma\ud800in.tf", "/abs/\udcff x.tf", "s3://bucket/key x.tfstate"])
def test_every_ci_format_survives_hostile_text(file: str, sarif_schema: dict[str, Any]) -> None:
    # Lone surrogates come from JSON escapes and from file names that are not UTF-8.
    nasty = 'aws_iam_user.x["\ud800 \x1b]0;t\x07 \u202e <b> %0A \r\n::error::x"]'
    report = _report([_ident(nasty, owner="o\ud800\x1b", file=file)],
                     [_finding(nasty, message="m\ud800\x1b \r\n", file=file, suppressed="r\ud800 \x1b reason")])
    for fmt in ("sarif", "junit", "markdown", "github", "gitlab"):
        out = render(fmt, report, RenderOptions(root=os.getcwd()))
        out.encode("utf-8")
        assert "\x1b" not in out and "\x07" not in out, fmt
    _validate(json.loads(render("sarif", report, RenderOptions(root=os.getcwd()))), sarif_schema)
    ET.fromstring(render("junit", report))
    from nhi_toolkit.reporters.owners import render as digest

    for fmt in ("text", "markdown", "json"):
        assert "\x1b" not in digest(report, 14, fmt).encode("utf-8").decode("utf-8")


def test_ecosystem_entry_points_agree_with_the_code() -> None:
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert {"working-directory", "plan-args", "fail-on", "now"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/github-script@") for u in uses)
    script = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))["with"]["script"]
    assert md.MARKER in script
    check = next(s for s in steps if s.get("id") == "check")["run"]
    for fmt in ("sarif", "markdown", "github"):
        assert f"--format {fmt}" in check
    assert '--source-dir "$SOURCE_DIR"' in check  # findings point at the planned root's .tf lines
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "nhi-check" and "nhi_toolkit.commands.precommit" in hook["entry"]
    gitlab = yaml.safe_load((REPO / "examples" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = gitlab["nhi-check"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    assert "--format gitlab --output gl-code-quality.json" in " ".join(job["script"])
