"""JUnit XML: parses, counts, and keeps findings without an identity."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_samples import _finding, _report, _small

from nhi_toolkit.model import Finding, Location, Severity
from nhi_toolkit.reporters import RenderOptions, render


def test_junit_parses_and_counts() -> None:
    report = _small()
    rule_ids = ("NHI000", "NHI001", "NHI004", "NHI005", "NHI007")
    text = render("junit", report, RenderOptions(rule_ids=rule_ids))
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["NHI000 rule-error", "NHI001 missing-owner", "NHI004 expired",
                                               "NHI005 expiring-soon", "NHI007 unknown-until-apply"]
    cases = root.iter("testcase")
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 + 4 * 4  # one "every rule completed" case, then identities x rules
    assert all(c.get("name") and c.get("classname") and c.get("time") == "0" for c in cases)
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(failures) == 4 and len(skipped) == 1
    assert "vendor rotates by hand" in (skipped[0].find("skipped").get("message") or "")  # type: ignore[union-attr]
    assert root.get("tests") == str(len(cases)) and root.get("failures") == "4" and root.get("skipped") == "1"
    for s in suites:
        own = s.findall("testcase")
        assert s.get("tests") == str(len(own))
        assert s.get("failures") == str(sum(c.find("failure") is not None for c in own))
    assert "\x1b" not in text and "\x07" not in text


def test_junit_keeps_findings_without_an_identity() -> None:
    orphan = _finding("aws_iam_user.orphan", "NHI011", "drift", file="terraform.tfstate", line=None)
    crash = Finding(address="", rule_id="NHI000", rule="rule-error", severity=Severity.ERROR,
                    message="rule drift failed on x: KeyError", source=Location("plan.json"))
    root = ET.fromstring(render("junit", _report([], [orphan, crash]), RenderOptions(rule_ids=("NHI000", "NHI011"))))
    names = {(c.get("classname"), c.get("name")) for c in root.iter("testcase")}
    assert names == {("nhi.NHI011.drift", "aws_iam_user.orphan"), ("nhi.NHI000.rule-error", "plan.json")}
    assert root.get("failures") == "2"
