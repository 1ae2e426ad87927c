"""The rule registry and how rules run: unique ids and names, severity overrides, a crashing rule,
deleted identities.
"""

from __future__ import annotations

from typing import Any

import pytest
from rule_runs import GOOD, OWNER, rules_of, run, tagged

from nhi_toolkit.config import config_from_mapping
from nhi_toolkit.model import Severity
from nhi_toolkit.rules import ALL_RULES, RULE_ERROR_ID, Rule, rule_by_key


@pytest.mark.parametrize("action", ["delete"])
def test_a_deleted_identity_is_a_revocation_not_a_finding(action: str) -> None:
    report = run(tagged({}, action=action), tagged({"expires_at": "2020-01-01"}, "aws_iam_user.u", action=action))
    assert report.active == ()
    assert {report.status_of(i) for i in report.identities} == {"deleting"}


def test_severity_and_disable_overrides() -> None:
    res = tagged({"owner": OWNER})
    config = config_from_mapping({"severity": {"missing-expiry": "info"}})
    assert [f.severity for f in run(res, config=config).active] == [Severity.INFO]
    config = config_from_mapping({"disable": ["NHI002"]})
    assert rules_of(run(res, config=config)) == []


def test_a_crashing_rule_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = rule_by_key("missing-owner")
    assert rule is not None

    def boom(self: Rule, identity: Any, ctx: Any) -> Any:
        raise RuntimeError("secret-looking text CANARY_RULE_CRASH")

    monkeypatch.setattr(type(rule), "check", boom)
    report = run(tagged({"owner": OWNER, "expires_at": GOOD}))
    crashed = [f for f in report.active if f.rule_id == RULE_ERROR_ID]
    assert len(crashed) == 1 and crashed[0].severity is Severity.ERROR
    assert "CANARY_RULE_CRASH" not in crashed[0].message
    assert report.failed()


def test_a_rule_crashing_midway_drops_its_findings_not_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    # Identities are judged in one pass over every per-identity rule: a rule that raises on the
    # second identity gives one rule-error and none of its findings on the first, while the other
    # rules still judge every identity.
    rule = rule_by_key("missing-owner")
    assert rule is not None and rule.per_identity
    original = type(rule).check
    seen: list[str] = []

    def boom(self: Rule, identity: Any, ctx: Any) -> Any:
        seen.append(identity.address)
        if len(seen) == 2:
            raise RuntimeError("boom")
        return original(self, identity, ctx)

    monkeypatch.setattr(type(rule), "check", boom)
    report = run(tagged({}, "aws_iam_user.a"), tagged({}, "aws_iam_user.b"), tagged({}, "aws_iam_user.c"))
    assert len(seen) == 2
    assert rules_of(report).count("missing-owner") == 0
    assert [f.rule_id for f in report.active].count(RULE_ERROR_ID) == 1
    assert rules_of(report).count("missing-expiry") == 3


def test_only_whole_set_rules_override_check_all() -> None:
    whole = {r.name for r in ALL_RULES if not r.per_identity}
    assert {"missing-revocation-path", "shared-identity", "drift", "module-not-followed"} <= whole
    assert {"missing-owner", "expired", "expiry-mismatch", "owner-offboarded"}.isdisjoint(whole)


def test_rule_registry_is_unique_and_documented() -> None:
    ids = [r.id for r in ALL_RULES]
    names = [r.name for r in ALL_RULES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for rule in ALL_RULES:
        assert rule.summary and rule.description and rule.fix
        assert rule_by_key(rule.id) is rule and rule_by_key(rule.name) is rule
    for name in ("missing-owner", "missing-expiry", "invalid-expiry", "expired", "expiring-soon",
                 "expiry-too-far", "missing-revocation-path", "drift", "owner-offboarded", "shared-identity"):
        assert rule_by_key(name) is not None
