"""Plan JSON shapes Terraform writes that nobody here wrote a fixture for."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main

NOW = "2026-12-01"
_UNOWNED_USER = {"address": "aws_iam_user.bot", "mode": "managed", "type": "aws_iam_user", "name": "bot",
                 "provider_name": "registry.terraform.io/hashicorp/aws",
                 "values": {"name": "bot", "tags": None}, "sensitive_values": {}}


def _run(tmp_path: Path, doc: dict[str, Any]) -> tuple[int, str]:
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(p), "--now", NOW, "--format", "json"])
    return result.exit_code, result.output


def test_errored_plan_is_not_a_clean_pass(tmp_path: Path) -> None:
    # Terraform 1.5+ writes "errored": true when planning failed: resource_changes is incomplete, so an
    # empty change list says nothing about the unowned user the prior state holds.
    doc = {"format_version": "1.2", "terraform_version": "1.9.0", "errored": True, "applyable": False,
           "complete": False, "planned_values": {"root_module": {}},
           "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [_UNOWNED_USER]}}},
           "configuration": {"root_module": {}}}
    code, out = _run(tmp_path, doc)
    assert code != 0, out


def test_deferred_change_is_judged(tmp_path: Path) -> None:
    change = {"address": "aws_iam_user.bot", "mode": "managed", "type": "aws_iam_user", "name": "bot",
              "provider_name": "registry.terraform.io/hashicorp/aws",
              "change": {"actions": ["create"], "before": None, "after": {"name": "bot", "tags": None},
                         "after_unknown": {}, "before_sensitive": False, "after_sensitive": {}}}
    doc = {"format_version": "1.2", "terraform_version": "1.9.0", "complete": False, "applyable": True,
           "errored": False, "planned_values": {"root_module": {}}, "resource_changes": [],
           "deferred_changes": [{"reason": "resource_config_unknown", "resource_change": change}],
           "configuration": {"root_module": {}}}
    code, out = _run(tmp_path, doc)
    assert code == 1, out
    assert "aws_iam_user.bot" in out


_OWNED = {"owner": "alice", "expires_at": "2027-01-01"}


def test_deposed_object_does_not_lend_its_owner_to_the_current_one_in_state(tmp_path: Path) -> None:
    # A create_before_destroy replacement that failed leaves the old object deposed under the same address.
    state = {"version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": "x", "outputs": {},
             "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "bot",
                            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                            "instances": [{"schema_version": 0, "attributes": {"name": "bot", "tags": {}}},
                                          {"schema_version": 0, "deposed": "00000001",
                                           "attributes": {"name": "bot-old", "tags": _OWNED}}]}]}
    p = tmp_path / "terraform.tfstate"
    p.write_text(json.dumps(state), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(p), "--now", NOW, "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "missing-owner" in {f["rule"] for f in json.loads(result.output)["findings"]}


def test_deposed_delete_does_not_pass_the_live_object_in_a_plan(tmp_path: Path) -> None:
    def rc(after: Any, before: Any, actions: list[str], deposed: str | None = None) -> dict[str, Any]:
        r = {"address": "aws_iam_user.bot", "mode": "managed", "type": "aws_iam_user", "name": "bot",
             "provider_name": "registry.terraform.io/hashicorp/aws",
             "change": {"actions": actions, "before": before, "after": after, "after_unknown": {},
                        "before_sensitive": {}, "after_sensitive": {} if after is not None else False}}
        if deposed:
            r["deposed"] = deposed
        return r

    doc = {"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {}},
           "resource_changes": [rc({"name": "bot", "tags": {}}, {"name": "bot", "tags": {}}, ["no-op"]),
                                rc(None, {"name": "bot-old", "tags": _OWNED}, ["delete"], "00000001")],
           "configuration": {"root_module": {}}}
    code, out = _run(tmp_path, doc)
    assert code == 1, out
    assert "missing-owner" in {f["rule"] for f in json.loads(out)["findings"]}


_FIXTURES = Path(__file__).parent / "fixtures" / "redteam"


@pytest.mark.parametrize("name", ["deposed.tfstate", "deposed-plan.json"])
def test_real_deposed_object_does_not_pass_the_current_one(tmp_path: Path, name: str) -> None:
    cfg = tmp_path / "nhi.toml"
    cfg.write_text('[tool.nhi.identity_types.terraform_data]\ncategory = "principal"\ntags_path = "input"\n',
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(_FIXTURES / name), "--config", str(cfg), "--now", NOW,
                                       "--format", "json"])
    assert result.exit_code == 1, result.output
