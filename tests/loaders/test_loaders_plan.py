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


def _existing(address: str, actions: list[str], after: Any) -> dict[str, Any]:
    name = address.split(".")[-1]
    return {**_USER, "address": address, "name": name,
            "change": {"actions": actions, "before": {"name": name, "tags": None},
                       "after": after, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}


OWNED = {"owner": "ana@example.com", "expires_at": "2027-03-01"}


def test_a_deferred_change_of_an_existing_identity_leaves_it_as_it_is(tmp_path: Path) -> None:
    # Deferred, the delete (or the update adding an owner) is not made by this apply: the unowned
    # user stays until a later plan. Judged as deleted or owned, it passed.
    for actions, after in ((["delete"], None), (["update"], {"name": "old", "tags": OWNED})):
        code, out = check(tmp_path, {"complete": False, "resource_changes": [], "deferred_changes": [
            {"reason": "provider_config_unknown", "resource_change": _existing("aws_iam_user.old", actions, after)}]})
        assert code == 1, (actions, out)
        doc = json.loads(out)
        assert [(i["address"], i["owner"]) for i in doc["identities"]] == [("aws_iam_user.old", None)]


def test_a_targeted_plan_keeps_what_it_does_not_touch(tmp_path: Path) -> None:
    # terraform plan -target=...: 'complete': false, and resource_changes hold the targets alone;
    # the state's other objects stay as they are, in prior_state only (shape of Terraform 1.11).
    target = {**_USER, "address": "aws_iam_user.new", "name": "new",
              "change": {**_USER["change"], "after": {"name": "new", "tags": OWNED}}}
    prior = {"format_version": "1.0", "terraform_version": "1.11.0", "values": {"root_module": {
        "resources": [{"address": "aws_iam_user.old", "mode": "managed", "type": "aws_iam_user", "name": "old",
                       "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                       "values": {"name": "old", "tags": None}, "sensitive_values": {}}],
        "child_modules": [{"address": "module.m", "resources": [
            {"address": "module.m.aws_iam_user.kept", "mode": "managed", "type": "aws_iam_user", "name": "kept",
             "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
             "values": {"name": "kept", "tags": OWNED}, "sensitive_values": {}}]}]}}}
    code, out = check(tmp_path, {"complete": False, "applyable": True, "errored": False,
                                 "resource_changes": [target], "prior_state": prior})
    assert code == 1, out
    doc = json.loads(out)
    assert sorted((i["address"], i["owner"]) for i in doc["identities"]) == [
        ("aws_iam_user.new", "ana@example.com"), ("aws_iam_user.old", None),
        ("module.m.aws_iam_user.kept", "ana@example.com")]


def test_planned_values_still_count_beside_deferred_changes(tmp_path: Path) -> None:
    # Without resource_changes a plan is read from planned_values; a deferred change beside them
    # took their place, and the planned unowned user passed.
    owned = {**_USER, "address": "aws_iam_user.ok", "name": "ok",
             "change": {**_USER["change"], "after": {"name": "ok", "tags": OWNED}}}
    planned = {"root_module": {"resources": [{
        "address": "aws_iam_user.pv", "mode": "managed", "type": "aws_iam_user", "name": "pv",
        "provider_name": "registry.terraform.io/hashicorp/aws", "values": {"name": "pv", "tags": None},
        "sensitive_values": {}}]}}
    code, out = check(tmp_path, {"complete": False, "planned_values": planned,
                                 "deferred_changes": [{"reason": "deferred_prereq", "resource_change": owned}]})
    assert code == 1, out
    assert sorted(i["address"] for i in json.loads(out)["identities"]) == ["aws_iam_user.ok", "aws_iam_user.pv"]


def test_plan_records_are_made_by_position_in_the_fields_order() -> None:
    # load_plan makes each Resource by position: a field added or moved must be added there too.
    from dataclasses import fields

    from nhi_toolkit.model import Resource

    assert [f.name for f in fields(Resource)] == [
        "address", "type", "name", "source", "kind", "module", "index", "mode", "provider", "values",
        "references", "action", "prevent_destroy", "metadata"]


def test_config_address_without_the_expression_is_the_same() -> None:
    from nhi_toolkit.addresses import config_address
    from nhi_toolkit.loaders.plan import _keyless

    for address in ('aws_iam_user.u', 'aws_iam_user.u[0]', 'aws_iam_user.u["a"]', 'aws_iam_user.u["a]"]',
                    'aws_iam_user.u["a\\"b"]', 'aws_iam_user.u[""]', 'aws_iam_user.u["]', 'aws_iam_user.u[]',
                    'aws_iam_user.u[x]', 'aws_iam_user.u[\u0663]', 'aws_iam_user.u[\u00b2]',
                    'module.m["k"].aws_iam_user.u[1]', 'module.m[0].aws_iam_user.u', 'a.b["x"]c]'):
        assert _keyless(address) == config_address(address), address
