"""Every rule, table-driven: one identity (or a small document) in, the expected rule ids out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.engine import Report, check_documents, check_paths
from nhi_toolkit.loaders.common import Document
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource, Severity
from nhi_toolkit.rules import ALL_RULES, RULE_ERROR_ID, Rule, rule_by_key

OWNER = "alice@example.com"
GOOD = "2026-06-20"  # well inside every maximum lifetime, outside the 14-day window


def resource(address: str = "aws_iam_role.r", values: Mapping[str, Any] | None = None, *,
             action: str | None = "create", **kw: Any) -> Resource:
    rtype, name = address.split(".")[-2:]
    return Resource(address=address, type=rtype, name=name.split("[")[0], source=Location("t.json"),
                    kind=InputKind.PLAN, values=dict(values or {}), action=action, **kw)


def tagged(tags: Any, address: str = "aws_iam_role.r", **kw: Any) -> Resource:
    return resource(address, {"name": "r", "tags": tags}, **kw)


def run(*resources: Resource, config: Config | None = None, now: datetime = NOW,
        leavers: Mapping[str, date | None] | None = None, drift: Sequence[Resource] = ()) -> Report:
    doc = Document("t.json", InputKind.PLAN, tuple(resources), drift=tuple(drift))
    return check_documents([doc], config or Config(), now, leavers)


def rules_of(report: Report, address: str | None = None) -> list[str]:
    return sorted(f.rule for f in report.active if address is None or f.address == address)


# -- ownership and expiry ---------------------------------------------------------------------

LIFECYCLE_CASES = [
    # (tags, expected rule names) on an aws_iam_role (max lifetime 365 days), now 2026-06-01T00:00Z
    ({"owner": OWNER, "expires_at": GOOD}, []),
    ({"Owner": OWNER, "Expires": GOOD}, []),
    ({"nhi:owner": OWNER, "nhi:expires_at": GOOD}, []),
    ({"expires_at": GOOD}, ["missing-owner"]),
    ({"owner": "", "expires_at": GOOD}, ["missing-owner"]),
    ({"owner": "   ", "expires_at": GOOD}, ["missing-owner"]),
    ({"owner": OWNER}, ["missing-expiry"]),
    ({}, ["missing-expiry", "missing-owner"]),
    (None, ["missing-expiry", "missing-owner"]),
    ({"owner": OWNER, "expires_at": "2026-02-30"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-13-01"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "soon"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "never"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": ""}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "   "}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-06-20T10:00:00"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "２０２６-０６-２０"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-05-31"}, ["expired"]),           # ended at 06-01T00:00Z = now
    ({"owner": OWNER, "expires_at": "2026-06-01"}, ["expiring-soon"]),     # valid through today
    ({"owner": OWNER, "expires_at": "2026-06-01T00:00:00Z"}, ["expired"]),  # at now is expired
    ({"owner": OWNER, "expires_at": "2026-06-01T00:00:01Z"}, ["expiring-soon"]),
    ({"owner": OWNER, "expires_at": "2026-06-01T01:00:00+02:00"}, ["expired"]),  # 23:00Z the day before
    ({"owner": OWNER, "expires_at": "2025-01-01"}, ["expired"]),
    ({"owner": OWNER, "expires_at": "2026-06-14"}, ["expiring-soon"]),     # exactly 14 days left
    ({"owner": OWNER, "expires_at": "2026-06-15"}, []),                    # 15 days left
    ({"owner": OWNER, "expires_at": "2027-05-31"}, []),                    # exactly 365 days
    ({"owner": OWNER, "expires_at": "2027-06-01"}, ["expiry-too-far"]),    # 366 days
    ({"owner": OWNER, "expires_at": "2099-01-01"}, ["expiry-too-far"]),
    ({"owner": UNKNOWN, "expires_at": GOOD}, ["unknown-until-apply"]),
    ({"owner": OWNER, "expires_at": UNKNOWN}, ["unknown-until-apply"]),
    (UNKNOWN, ["unknown-until-apply"]),
    ({"owner": "", "expires_at": "2025-01-01"}, ["expired", "missing-owner"]),
]


@pytest.mark.parametrize(("tags", "expected"), LIFECYCLE_CASES)
def test_lifecycle_rules(tags: Any, expected: list[str]) -> None:
    assert rules_of(run(tagged(tags))) == expected


@pytest.mark.parametrize(
    ("rtype", "expiry", "expected"),
    [
        # Static access keys may live 90 days, measured from now (2026-06-01T00:00Z).
        ("aws_iam_user", "2026-08-29", []),                   # 90 days
        ("aws_iam_user", "2026-08-30", []),                   # a user may live 365
        ("aws_iam_role", "2027-05-31", []),
        ("aws_iam_role", "2027-06-01", ["expiry-too-far"]),
    ],
)
def test_expiry_too_far_per_type(rtype: str, expiry: str, expected: list[str]) -> None:
    res = tagged({"owner": OWNER, "expires_at": expiry}, f"{rtype}.x")
    assert rules_of(run(res)) == expected


@pytest.mark.parametrize(("expiry", "too_far"), [("2026-08-29", False), ("2026-08-30", True)])
def test_access_key_maximum_is_90_days_through_its_user(expiry: str, too_far: bool) -> None:
    user = resource("aws_iam_user.u", {"name": "svc", "tags": {"owner": OWNER, "expires_at": expiry}})
    key = resource("aws_iam_access_key.k", {"user": "svc"}, references=("aws_iam_user.u",))
    report = run(user, key)
    assert rules_of(report, "aws_iam_user.u") == []
    assert rules_of(report, "aws_iam_access_key.k") == (["expiry-too-far"] if too_far else [])


def test_expiring_soon_window_is_configurable() -> None:
    res = tagged({"owner": OWNER, "expires_at": "2026-06-25"})
    assert rules_of(run(res)) == []
    assert rules_of(run(res, config=Config(expiring_soon_days=30))) == ["expiring-soon"]
    assert rules_of(run(res, config=Config(expiring_soon_days=0))) == []


@pytest.mark.parametrize(
    ("limits", "expected"),
    [({"aws_iam_role": 10}, ["expiry-too-far"]), ({"principal": 10}, ["expiry-too-far"]),
     ({"aws_iam_role": 30, "principal": 10}, []), ({"credential": 1}, [])],
)
def test_max_lifetime_is_configurable_by_type_or_category(limits: dict[str, int], expected: list[str]) -> None:
    res = tagged({"owner": OWNER, "expires_at": "2026-06-20"})
    assert rules_of(run(res, config=Config(max_lifetime_days=limits))) == expected


def test_huge_windows_do_not_overflow() -> None:
    res = tagged({"owner": OWNER, "expires_at": "2099-01-01"})
    report = run(res, config=Config(expiring_soon_days=10**10, max_lifetime_days={"aws_iam_role": 10**10}))
    assert rules_of(report) == ["expiring-soon"]
    assert report.status_of(report.identities[0]) == "expiring-soon"


def test_tag_keys_are_configurable_with_aliases() -> None:
    config = config_from_mapping({"owner_keys": ["team", "squad"], "expiry_keys": ["sunset"]})
    assert rules_of(run(tagged({"squad": "data", "sunset": GOOD}), config=config)) == []
    assert rules_of(run(tagged({"owner": OWNER, "expires_at": GOOD}), config=config)) == [
        "missing-expiry", "missing-owner"]
    # The first alias present wins.
    report = run(tagged({"team": "a", "squad": "b", "sunset": GOOD}), config=config)
    assert report.identities[0].owner == "a"


def test_expiring_soon_and_expired_are_not_both_reported() -> None:
    report = run(tagged({"owner": OWNER, "expires_at": "2026-05-01"}))
    assert rules_of(report) == ["expired"]
    assert report.active[0].severity is Severity.ERROR


def test_unknown_until_apply_is_info_and_never_missing() -> None:
    report = run(tagged(UNKNOWN))
    assert [(f.rule, f.severity) for f in report.active] == [("unknown-until-apply", Severity.INFO)]
    assert not report.failed()


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


# -- missing-revocation-path ------------------------------------------------------------------

GOOD_TAGS = {"owner": OWNER, "expires_at": GOOD}


def test_prevent_destroy_blocks_revocation() -> None:
    report = run(replace(tagged(GOOD_TAGS), prevent_destroy=True))
    assert rules_of(report) == ["missing-revocation-path"]


def test_forget_action_is_a_missing_revocation_path() -> None:
    report = run(tagged(GOOD_TAGS, action="forget"))
    assert rules_of(report) == ["missing-revocation-path"]
    assert "forget action" in report.active[0].message


def test_secret_without_rotation_is_flagged() -> None:
    secret = resource("aws_secretsmanager_secret.s", {"name": "s", "tags": GOOD_TAGS})
    assert rules_of(run(secret)) == ["missing-revocation-path"]
    rotation = resource("aws_secretsmanager_secret_rotation.rot", {"secret_id": UNKNOWN},
                        references=("aws_secretsmanager_secret.s",))
    assert rules_of(run(secret, rotation)) == []


def test_hcl_prevent_destroy_and_removed_block(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_role" "keep" {\n'
        '  name = "keep"\n'
        '  tags = { owner = "a@example.com", expires_at = "2026-06-20" }\n'
        '  lifecycle {\n    prevent_destroy = true\n  }\n'
        '}\n\n'
        'removed {\n  from = aws_iam_user.old\n  lifecycle {\n    destroy = false\n  }\n}\n\n'
        'removed {\n  from = aws_iam_user.gone\n  lifecycle {\n    destroy = true\n  }\n}\n',
        encoding="utf-8",
    )
    report = check_paths([str(tmp_path)], Config(), NOW)
    found = {(f.address, f.rule, f.source.line) for f in report.active}
    assert found == {("aws_iam_role.keep", "missing-revocation-path", 1),
                     ("aws_iam_user.old", "missing-revocation-path", 9)}


def test_cdktf_prevent_destroy(tmp_path: Path) -> None:
    path = write_json(tmp_path / "cdk.tf.json", {"resource": {"aws_iam_role": {"r": {
        "name": "r", "tags": GOOD_TAGS, "lifecycle": {"prevent_destroy": True}}}}})
    report = check_paths([str(path)], Config(), NOW)
    assert rules_of(report) == ["missing-revocation-path"]


def test_plan_forget_action(tmp_path: Path) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.u", None, actions=["forget"], before={"name": "u", "tags": {}})))
    report = check_paths([str(path)], Config(), NOW)
    assert rules_of(report) == ["missing-revocation-path"]


# -- drift ------------------------------------------------------------------------------------

def _drift_plan(before_tags: Any, after_tags: Any, actions: Sequence[str] = ("update",)) -> dict[str, Any]:
    drift = change("aws_iam_user.u", None if after_tags is None else {"name": "u", "tags": after_tags},
                   actions=actions, before={"name": "u", "tags": before_tags})
    live = change("aws_iam_user.u", {"name": "u", "tags": GOOD_TAGS}, actions=["update"],
                  before={"name": "u", "tags": after_tags})
    return plan_doc(live, resource_drift=[drift])


@pytest.mark.parametrize(
    ("before", "after", "actions", "messages"),
    [
        (GOOD_TAGS, {"expires_at": GOOD}, ["update"], ["owner tag removed outside Terraform"]),
        (GOOD_TAGS, {"owner": "mallory", "expires_at": GOOD}, ["update"], ["owner tag changed"]),
        (GOOD_TAGS, {"owner": OWNER, "expires_at": "2099-01-01"}, ["update"], ["expiry tag changed"]),
        (GOOD_TAGS, None, ["delete"], ["deleted outside Terraform"]),
        (GOOD_TAGS, {**GOOD_TAGS, "team": "x"}, ["update"], []),
    ],
)
def test_drift_from_resource_drift(tmp_path: Path, before: Any, after: Any, actions: list[str],
                                   messages: list[str]) -> None:
    path = write_json(tmp_path / "plan.json", _drift_plan(before, after, actions))
    report = check_paths([str(path)], Config(), NOW)
    drift = [f for f in report.active if f.rule == "drift"]
    assert len(drift) == len(messages)
    for f, text in zip(drift, messages, strict=True):
        assert text in f.message and f.address == "aws_iam_user.u"


def test_drift_between_configuration_and_state(tmp_path: Path) -> None:
    hcl = tmp_path / "cfg"
    hcl.mkdir()
    (hcl / "main.tf").write_text(
        'resource "aws_iam_user" "declared" {\n  name = "d"\n'
        '  tags = { owner = "a@example.com", expires_at = "2026-06-20" }\n}\n', encoding="utf-8")
    tags = {"owner": OWNER, "expires_at": GOOD}
    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "orphan", {"name": "o", "tags": tags, "tags_all": tags})))
    report = check_paths([str(hcl), str(state)], Config(), NOW)
    drift = sorted((f.address, f.severity) for f in report.active if f.rule == "drift")
    assert drift == [("aws_iam_user.declared", Severity.INFO), ("aws_iam_user.orphan", Severity.ERROR)]


# -- owner-offboarded -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("owner", "leavers", "flagged"),
    [
        ("alice@example.com", {"alice@example.com": None}, True),
        ("Alice@Example.com", {"alice@example.com": None}, True),
        ("alice@example.com", {"alice": None}, True),
        ("alice", {"alice@example.com": None}, True),
        ("alice@example.com", {"alice@example.com": date(2026, 5, 31)}, True),
        ("alice@example.com", {"alice@example.com": date(2026, 6, 1)}, True),   # left today
        ("alice@example.com", {"alice@example.com": date(2026, 6, 2)}, False),  # leaves tomorrow
        ("alice@example.com", {"bob@example.com": None}, False),
        ("alicia@example.com", {"alice": None}, False),
    ],
)
def test_owner_offboarded(owner: str, leavers: dict[str, date | None], flagged: bool) -> None:
    report = run(tagged({"owner": owner, "expires_at": GOOD}), leavers=leavers)
    assert rules_of(report) == (["owner-offboarded"] if flagged else [])


def test_owner_offboarded_is_not_waivable() -> None:
    config = config_from_mapping({"suppress": [{"rule": "*", "reason": "migration in progress",
                                                "until": "2027-01-01"}]})
    report = run(tagged({"owner": OWNER}), config=config, leavers={OWNER: None})
    assert rules_of(report) == ["owner-offboarded"]
    assert [f.rule for f in report.findings if f.suppressed] == ["missing-expiry"]


# -- shared-identity --------------------------------------------------------------------------

def test_shared_identity_through_references() -> None:
    user = resource("aws_iam_user.shared", {"name": "s", "tags": GOOD_TAGS})
    a = resource("aws_iam_access_key.a", {"user": "s"}, references=("aws_iam_user.shared",))
    b = resource("aws_iam_access_key.b", {"user": "s"}, references=("aws_iam_user.shared",))
    ssm_a = resource("aws_ssm_parameter.a", {"type": "SecureString", "tags": {**GOOD_TAGS,
                     "integration": "billing-bot"}}, references=("aws_iam_user.shared",))
    ssm_b = resource("aws_ssm_parameter.b", {"type": "SecureString", "tags": {**GOOD_TAGS,
                     "integration": "support-bot"}}, references=("aws_iam_user.shared",))
    report = run(user, a, b, ssm_a, ssm_b)
    shared = [f for f in report.active if f.rule == "shared-identity"]
    assert [f.address for f in shared] == ["aws_iam_user.shared"]
    assert "billing-bot, support-bot" in shared[0].message


def test_shared_identity_from_its_own_integration_tag() -> None:
    report = run(tagged({**GOOD_TAGS, "integration": "a, b"}))
    assert rules_of(report) == ["shared-identity"]
    assert rules_of(run(tagged({**GOOD_TAGS, "integration": "a"}))) == []


# -- suppressions -----------------------------------------------------------------------------

def test_suppression_needs_reason_and_lapses_at_its_end_date() -> None:
    res = tagged({"owner": OWNER})
    config = config_from_mapping({"suppress": [{"rule": "missing-expiry", "address": "aws_iam_*",
                                                "reason": "legacy role, ticket OPS-1", "until": "2026-06-01"}]})
    report = run(res, config=config)
    assert report.active == () and report.findings[0].suppressed == "legacy role, ticket OPS-1"
    assert not report.failed()
    later = run(res, config=config, now=datetime.fromisoformat("2026-06-02T00:00:00+00:00"))
    assert rules_of(later) == ["missing-expiry", "suppression-expired"]
