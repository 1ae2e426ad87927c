"""Plan JSON fields that change what a plan says: an errored plan, changes Terraform deferred."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import NOW_TEXT

from nhi_toolkit.cli import main

_USER = {"address": "aws_iam_user.bot", "mode": "managed", "type": "aws_iam_user", "name": "bot",
         "provider_name": "registry.terraform.io/hashicorp/aws",
         "change": {"actions": ["create"], "before": None, "after": {"name": "bot", "tags": None},
                    "after_unknown": {}, "before_sensitive": False, "after_sensitive": {}}}


def check(tmp_path: Path, doc: dict[str, Any]) -> tuple[int, str]:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.10.0", **doc}), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(plan), "--now", NOW_TEXT, "--format", "json"])
    return result.exit_code, result.output


def test_an_errored_plan_is_refused(tmp_path: Path) -> None:
    code, out = check(tmp_path, {"errored": True, "resource_changes": [], "planned_values": {"root_module": {}}})
    assert code == 2
    assert "plan.json" in out and "'errored': true" in out and "Traceback" not in out


def test_a_deferred_change_is_judged_as_a_change(tmp_path: Path) -> None:
    code, out = check(tmp_path, {"complete": False, "resource_changes": [],
                                 "deferred_changes": [{"reason": "provider_config_unknown", "resource_change": _USER}]})
    assert code == 1, out
    doc = json.loads(out)
    assert [i["address"] for i in doc["identities"]] == ["aws_iam_user.bot"]
    assert {f["rule"] for f in doc["findings"]} >= {"missing-owner"}


def test_deferred_changes_of_the_wrong_shape(tmp_path: Path) -> None:
    code, out = check(tmp_path, {"resource_changes": [], "deferred_changes": {"x": 1}})
    assert code == 2 and "'deferred_changes' is not a list" in out
    code, out = check(tmp_path, {"resource_changes": [_USER], "deferred_changes": [1, {"resource_change": "x"}]})
    assert code == 1, out


def test_a_deposed_object_is_judged_on_its_own_tags(tmp_path: Path) -> None:
    owned = {"owner": "alice", "expires_at": "2027-01-01"}
    deposed = {**_USER, "deposed": "00000001",
               "change": {**_USER["change"], "actions": ["delete"], "before": {"name": "bot-old", "tags": owned},
                          "after": None, "after_sensitive": False}}
    current = {**_USER, "change": {**_USER["change"], "actions": ["no-op"], "before": {"name": "bot", "tags": {}},
                                   "after": {"name": "bot", "tags": {}}}}
    for order in ([current, deposed], [deposed, current]):
        code, out = check(tmp_path, {"resource_changes": order})
        assert code == 1, out
        doc = json.loads(out)
        assert sorted((i["status"], i["owner"]) for i in doc["identities"]) == [("deleting", "alice"),
                                                                                ("no-owner", None)]
