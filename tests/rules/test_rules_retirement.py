"""Can each identity be retired: revocation paths, drift, departed owners, shared identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, change, plan_doc, state_doc, state_resource, write_json
from rule_runs import GOOD, OWNER, resource, rules_of, run, tagged

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.engine import check_paths
from nhi_toolkit.model import UNKNOWN, Severity

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
        # with two expiry tags, the one that governs (the earliest) is what drift compares
        ({**GOOD_TAGS, "expiry": "2099-01-01"}, {**GOOD_TAGS, "expiry": "2020-01-01"}, ["update"],
         ["expiry tag changed outside Terraform (" + GOOD + " -> 2020-01-01)"]),
        ({**GOOD_TAGS, "expiry": "2099-01-01"}, {**GOOD_TAGS, "expiry": "2098-01-01"}, ["update"], []),
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
