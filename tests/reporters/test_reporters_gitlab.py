"""GitLab Code Quality report."""

from __future__ import annotations

import json
import os

from report_samples import _small

from nhi_toolkit.reporters import RenderOptions, render


def test_gitlab_code_quality_report() -> None:
    issues = json.loads(render("gitlab", _small(), RenderOptions(root=os.getcwd())))
    assert len(issues) == 5
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"].startswith("infra/") and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == 5
    assert any(i["description"].startswith("[suppressed until 2027-01-31") for i in issues)
