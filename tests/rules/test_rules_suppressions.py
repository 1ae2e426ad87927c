"""Rules about the waivers themselves: a suppression that lapses is reported (suppression-expired)."""

from __future__ import annotations

from datetime import datetime

from rule_runs import OWNER, rules_of, run, tagged

from nhi_toolkit.config import config_from_mapping


def test_suppression_needs_reason_and_lapses_at_its_end_date() -> None:
    res = tagged({"owner": OWNER})
    config = config_from_mapping({"suppress": [{"rule": "missing-expiry", "address": "aws_iam_*",
                                                "reason": "legacy role, ticket OPS-1", "until": "2026-06-01"}]})
    report = run(res, config=config)
    assert report.active == () and report.findings[0].suppressed == "legacy role, ticket OPS-1"
    assert not report.failed()
    later = run(res, config=config, now=datetime.fromisoformat("2026-06-02T00:00:00+00:00"))
    assert rules_of(later) == ["missing-expiry", "suppression-expired"]
