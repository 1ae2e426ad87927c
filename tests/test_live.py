"""Live findings join a checked report through the engine's own severity overrides, disabled rules and
suppressions (nhi_toolkit.live.with_live); no cloud needed."""

from __future__ import annotations

from dataclasses import replace

from nhi_toolkit.config import config_from_mapping
from nhi_toolkit.engine import check_documents
from nhi_toolkit.live import with_live
from nhi_toolkit.loaders.state import load_raw_state
from nhi_toolkit.model import Location, Severity
from nhi_toolkit.records import identity_key
from nhi_toolkit.reporters import render
from nhi_toolkit.rules import rule_by_key
from tests.conftest import NOW, state_doc, state_resource


def _report(config):  # type: ignore[no-untyped-def]
    doc = load_raw_state(state_doc(
        state_resource("aws_iam_user", "u", {"name": "bot", "tags": {"owner": "a@example.com",
                                                                      "expires_at": "2026-12-31"}}),
        state_resource("aws_iam_access_key", "k", {"id": "AKIAEXAMPLE", "user": "bot"})),
        "s.tfstate", lambda t: True)
    return check_documents([doc], config, NOW)


def _findings():  # type: ignore[no-untyped-def]
    dormant, unmanaged = rule_by_key("dormant"), rule_by_key("unmanaged")
    assert dormant is not None and unmanaged is not None
    return [dormant.finding(None, "aws_iam_access_key.k: never used", address="aws_iam_access_key.k",
                            source=Location("s.tfstate")),
            unmanaged.finding(None, "role x", address="arn:aws:iam::1:role/lab-x", source=Location("aws:1"),
                              severity=Severity.ERROR)]


def test_with_live_applies_overrides_suppressions_and_live_objects() -> None:
    config = config_from_mapping({
        "severity": {"dormant": "error"},
        "suppress": [{"rule": "unmanaged", "address": "arn:aws:iam::*:role/lab-*",
                      "reason": "sandbox roles, SEC-1 review", "until": "2999-01-01"}]})
    report = _report(config)
    key = next(i for i in report.identities if i.address == "aws_iam_access_key.k")
    live = {identity_key(key): {"access_key_id": "AKIAEXAMPLE", "status": "Active"}}
    out = with_live(report, _findings(), live, config)
    by_rule = {f.rule: f for f in out.findings}
    assert by_rule["dormant"].severity is Severity.ERROR
    assert by_rule["unmanaged"].suppressed == "sandbox roles, SEC-1 review"
    assert out.failed()
    text = render("json", out)
    assert '"live": {"access_key_id": "AKIAEXAMPLE", "status": "Active"}' in text
    assert text == render("json", with_live(report, list(reversed(_findings())), live, config))
    assert '"live"' not in render("json", report)  # plain nhi check output is unchanged


def test_with_live_drops_disabled_rules() -> None:
    config = config_from_mapping({"disable": ["NHI033", "unmanaged"]})
    report = _report(config)
    out = with_live(report, _findings(), {}, config)
    assert {f.rule for f in out.findings} == {f.rule for f in report.findings}
    assert replace(out, live={}).findings == report.findings


def test_with_live_status_counts_live_findings() -> None:
    """A live finding counts in the identity's status word (never "ok" next to a drift finding)."""
    config = config_from_mapping({"severity": {"dormant": "error"}})
    report = _report(config)
    key = next(i for i in report.identities if i.address == "aws_iam_access_key.k")
    assert report.status_of(key) != "error"
    out = with_live(report, _findings(), {}, config)
    assert out.status_of(key) == "error"
    assert any(f.rule == "dormant" for f in out.findings_of(key))
