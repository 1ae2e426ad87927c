"""Computed tags in plans: ``tags_all`` unknown until apply is judged through the provider's default_tags.

Plans are hand-written in the shape ``terraform show -json`` gives (``configuration.provider_config``,
``provider_config_key`` on configuration resources); two real plans from the shared corpus are read in
place. Rotation attributes unknown until apply are no evidence of rotation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, NOW_TEXT, change, run_nhi, write_json
from conftest import plan_doc as _plan_doc

from nhi_toolkit.config import Config
from nhi_toolkit.engine import check_documents
from nhi_toolkit.loaders import load_inputs

OWNER = "alice@example.com"
EXPIRES = "2026-06-20"
UNKNOWN_TAGS = {"tags_all": True}


def plan_doc(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A plan; an item with a ``root_module`` is its configuration, the others resource changes."""
    changes = [i for i in items if "root_module" not in i]
    configs = [i for i in items if "root_module" in i]
    if configs:
        extra["configuration"] = configs[0]
    return _plan_doc(*changes, **extra)


def provider(name: str = "aws", *, alias: str = "", module: str = "", default_tags: Any = None,
             **exprs: Any) -> dict[str, Any]:
    """One ``provider_config`` entry; ``default_tags`` is the ``tags`` expression (constant or refs)."""
    entry: dict[str, Any] = {"name": name, "full_name": f"registry.terraform.io/hashicorp/{name}"}
    if alias:
        entry["alias"] = alias
    if module:
        entry["module_address"] = module
    expressions = {k: {"constant_value": v} for k, v in exprs.items()}
    if default_tags is not None:
        expressions["default_tags"] = [{"tags": default_tags}]
    if expressions:
        entry["expressions"] = expressions
    return entry


def config_resource(address: str, key: str) -> dict[str, Any]:
    rtype, name = address.rsplit(".", 2)[-2:]
    return {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name,
            "provider_config_key": key, "expressions": {}}


def configuration(providers: dict[str, Any], root: list[dict[str, Any]],
                  modules: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """A configuration with root resources and one level of module calls."""
    root_module: dict[str, Any] = {"resources": root}
    if modules:
        root_module["module_calls"] = {
            name: {"source": f"./{name}", "module": {"resources": resources}}
            for name, resources in modules.items()
        }
    return {"provider_config": providers, "root_module": root_module}


def role(address: str, tags: dict[str, Any] | None, *, unknown: Any = UNKNOWN_TAGS) -> dict[str, Any]:
    """A role whose tags_all is unknown until apply (what the AWS provider plans on create)."""
    after: dict[str, Any] = {"name": address.rsplit(".", 1)[-1]}
    if tags is not None:
        after["tags"] = tags
    return change(address, after, after_unknown=unknown)


def check(tmp_path: Path, doc: dict[str, Any], *extra: str) -> tuple[int, dict[str, Any]]:
    path = write_json(tmp_path / "plan.json", doc)
    run = run_nhi(["check", path, "--now", NOW_TEXT, "--format", "json", *extra])
    assert run.stderr == ""
    return run.code, run.json()


def by_address(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["address"]: i for i in doc["identities"]}


def rules_of(doc: dict[str, Any], address: str) -> set[str]:
    return {f["rule"] for f in doc["findings"] if f["address"] == address}


def test_no_default_tags_judges_tags_alone(tmp_path: Path) -> None:
    doc = plan_doc(
        role("aws_iam_role.bare", None),
        role("aws_iam_role.half", {"owner": OWNER}),
        configuration({"aws": provider(region="eu-west-1")},
                      [config_resource("aws_iam_role.bare", "aws"), config_resource("aws_iam_role.half", "aws")]),
    )
    code, report = check(tmp_path, doc)
    assert code == 1
    ids = by_address(report)
    assert ids["aws_iam_role.bare"]["status"] == "no-owner"
    assert ids["aws_iam_role.bare"]["unknown"] == []
    assert rules_of(report, "aws_iam_role.bare") == {"missing-owner", "missing-expiry"}
    assert ids["aws_iam_role.half"]["owner"] == OWNER
    assert rules_of(report, "aws_iam_role.half") == {"missing-expiry"}
    assert "unknown-until-apply" not in {f["rule"] for f in report["findings"]}


def test_provider_without_any_block_has_no_default_tags(tmp_path: Path) -> None:
    # Terraform 1.0 and older list no entry for a provider that has no block at all.
    doc = plan_doc(role("aws_iam_role.r", {"owner": OWNER}),
                   configuration({}, [config_resource("aws_iam_role.r", "aws")]))
    code, report = check(tmp_path, doc)
    assert code == 1
    assert rules_of(report, "aws_iam_role.r") == {"missing-expiry"}


def test_constant_default_tags_supply_owner_and_expiry(tmp_path: Path) -> None:
    doc = plan_doc(
        role("aws_iam_role.r", None),
        role("aws_iam_role.own", {"owner": "bob@example.com"}),
        configuration({"aws": provider(default_tags={"constant_value": {"owner": OWNER, "expires_at": EXPIRES}})},
                      [config_resource("aws_iam_role.r", "aws"), config_resource("aws_iam_role.own", "aws")]),
    )
    code, report = check(tmp_path, doc)
    assert code == 0, report["findings"]
    ids = by_address(report)
    assert (ids["aws_iam_role.r"]["owner"], ids["aws_iam_role.r"]["expires_at"]) == (OWNER, EXPIRES)
    assert ids["aws_iam_role.r"]["status"] == "ok"
    # Resource tags win over the provider's default tags, as the AWS provider merges them.
    assert ids["aws_iam_role.own"]["owner"] == "bob@example.com"
    assert ids["aws_iam_role.own"]["expires_at"] == EXPIRES


def test_non_constant_default_tags_keep_missing_keys_unknown(tmp_path: Path) -> None:
    doc = plan_doc(
        role("aws_iam_role.r", None),
        role("aws_iam_role.half", {"owner": OWNER}),
        configuration({"aws": provider(default_tags={"references": ["var.default_tags"]})},
                      [config_resource("aws_iam_role.r", "aws"), config_resource("aws_iam_role.half", "aws")]),
    )
    code, report = check(tmp_path, doc)
    assert code == 0
    ids = by_address(report)
    assert ids["aws_iam_role.r"]["status"] == "unknown"
    assert ids["aws_iam_role.r"]["unknown"] == ["owner", "expires_at"]
    assert ids["aws_iam_role.half"]["owner"] == OWNER
    assert ids["aws_iam_role.half"]["unknown"] == ["expires_at"]
    assert rules_of(report, "aws_iam_role.r") == {"unknown-until-apply"}


def test_aliased_provider_is_the_one_used(tmp_path: Path) -> None:
    doc = plan_doc(
        role("aws_iam_role.east", None),
        role("aws_iam_role.default", None),
        configuration({
            "aws": provider(region="eu-west-1"),
            "aws.east": provider(alias="east", default_tags={"constant_value": {"owner": OWNER,
                                                                               "expires_at": EXPIRES}}),
        }, [config_resource("aws_iam_role.east", "aws.east"), config_resource("aws_iam_role.default", "aws")]),
    )
    code, report = check(tmp_path, doc)
    assert code == 1
    ids = by_address(report)
    assert ids["aws_iam_role.east"]["status"] == "ok"
    assert ids["aws_iam_role.default"]["status"] == "no-owner"
    assert rules_of(report, "aws_iam_role.default") == {"missing-owner", "missing-expiry"}


def test_module_scoped_provider_key(tmp_path: Path) -> None:
    # A module with its own provider block: the key is "module.bots:aws"; the root sets no default tags.
    doc = plan_doc(
        role("module.bots.aws_iam_role.r", None),
        role("aws_iam_role.root", None),
        configuration({
            "aws": provider(region="eu-west-1"),
            "module.bots:aws": provider(module="module.bots",
                                        default_tags={"constant_value": {"owner": OWNER, "expires_at": EXPIRES}}),
        }, [config_resource("aws_iam_role.root", "aws")],
            {"bots": [config_resource("aws_iam_role.r", "module.bots:aws")]}),
    )
    code, report = check(tmp_path, doc)
    assert code == 1
    ids = by_address(report)
    assert ids["module.bots.aws_iam_role.r"]["owner"] == OWNER
    assert ids["module.bots.aws_iam_role.r"]["status"] == "ok"
    assert ids["aws_iam_role.root"]["status"] == "no-owner"


def test_provider_passed_into_module_names_the_callers_configuration(tmp_path: Path) -> None:
    # Terraform 1.1+: providers = { aws = aws.east } gives the module's resources the key "aws.east".
    doc = plan_doc(
        role('module.bots["a"].aws_iam_role.r', None),
        configuration({
            "aws": provider(region="eu-west-1"),
            "aws.east": provider(alias="east", default_tags={"constant_value": {"owner": OWNER,
                                                                               "expires_at": EXPIRES}}),
        }, [], {"bots": [config_resource("aws_iam_role.r", "aws.east")]}),
    )
    code, report = check(tmp_path, doc)
    assert code == 0, report["findings"]
    assert by_address(report)['module.bots["a"].aws_iam_role.r']["owner"] == OWNER


def test_older_plan_module_key_inherits_when_unambiguous(tmp_path: Path) -> None:
    # Terraform 0.12-1.0 write "bots:aws" and list the module's requirement without configuration.
    defaults = {"constant_value": {"owner": OWNER, "expires_at": EXPIRES}}
    doc = plan_doc(
        role("module.bots.aws_iam_role.r", None),
        configuration({"aws": provider(default_tags=defaults),
                       "module.bots:aws": {"name": "aws", "module_address": "module.bots",
                                           "version_constraint": ">= 3.0"}},
                      [], {"bots": [config_resource("aws_iam_role.r", "bots:aws")]}),
    )
    code, report = check(tmp_path, doc)
    assert code == 0, report["findings"]
    assert by_address(report)["module.bots.aws_iam_role.r"]["owner"] == OWNER


def test_older_plan_module_key_with_disagreeing_candidates_stays_unknown(tmp_path: Path) -> None:
    # Which of aws / aws.east the call passed is not recorded: the default tags cannot be known.
    doc = plan_doc(
        role("module.bots.aws_iam_role.r", None),
        configuration({"aws": provider(region="eu-west-1"),
                       "aws.east": provider(alias="east", default_tags={"constant_value": {"owner": OWNER}})},
                      [], {"bots": [config_resource("aws_iam_role.r", "bots:aws")]}),
    )
    code, report = check(tmp_path, doc)
    assert code == 0
    assert by_address(report)["module.bots.aws_iam_role.r"]["unknown"] == ["owner", "expires_at"]


def test_older_plan_module_key_without_default_tags_anywhere_is_missing(tmp_path: Path) -> None:
    doc = plan_doc(
        role("module.bots.aws_iam_role.r", None),
        configuration({"aws": provider(region="eu-west-1"), "aws.east": provider(alias="east")},
                      [], {"bots": [config_resource("aws_iam_role.r", "bots:aws")]}),
    )
    code, report = check(tmp_path, doc)
    assert code == 1
    assert by_address(report)["module.bots.aws_iam_role.r"]["status"] == "no-owner"


def test_plan_without_configuration_keeps_tags_all_unknown(tmp_path: Path) -> None:
    code, report = check(tmp_path, plan_doc(role("aws_iam_role.r", {"owner": OWNER})))
    assert code == 0
    assert by_address(report)["aws_iam_role.r"]["unknown"] == ["expires_at"]


def test_known_tags_all_is_taken_as_planned(tmp_path: Path) -> None:
    doc = plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": None,
                                  "tags_all": {"owner": OWNER, "expires_at": EXPIRES}}, actions=["update"]),
        configuration({"aws": provider(region="eu-west-1")}, [config_resource("aws_iam_role.r", "aws")]),
    )
    code, report = check(tmp_path, doc)
    assert code == 0
    assert by_address(report)["aws_iam_role.r"]["owner"] == OWNER


def test_unknown_tag_value_stays_unknown(tmp_path: Path) -> None:
    doc = plan_doc(
        role("aws_iam_role.r", {"owner": None, "expires_at": EXPIRES},
             unknown={"tags": {"owner": True}, "tags_all": True}),
        configuration({"aws": provider()}, [config_resource("aws_iam_role.r", "aws")]),
    )
    code, report = check(tmp_path, doc)
    assert code == 0
    assert by_address(report)["aws_iam_role.r"]["unknown"] == ["owner"]


# -- the shared corpus, read in place ---------------------------------------------------------------

@pytest.mark.parametrize("name, addresses", [
    ("bridgecrewio__checkov__plan-with-iam-policies-tfplan.json",
     {"aws_iam_role.example", "aws_iam_role_policy.fail_1", "aws_iam_user.fail_3", "aws_iam_user_policy.fail_3",
      "aws_iam_group.fail_2", "aws_iam_group_policy.fail_2"}),
    ("terraform-compliance__cli__functional-it-must-not-be-in-pass-plan.json",
     {"aws_iam_role.iam_for_lambda1", "aws_iam_role.iam_for_lambda2", "aws_iam_role.iam_for_lambda3"}),
])
def test_corpus_plans_without_default_tags_fail(corpus: Path, name: str, addresses: set[str]) -> None:
    # Their provider "aws" sets only profile/region: tags_all can only equal tags, which are absent.
    run = run_nhi(["check", corpus / "plan" / name, "--now", NOW_TEXT, "--format", "json"])
    assert run.code == 1 and run.stderr == ""
    report = run.json()
    ids = by_address(report)
    assert set(ids) == addresses
    for address in addresses:
        assert ids[address]["status"] == "no-owner"
        assert ids[address]["unknown"] == []
        assert rules_of(report, address) == {"missing-owner", "missing-expiry"}


def test_corpus_secret_with_unknown_rotation_has_no_rotation(corpus: Path) -> None:
    path = corpus / "plan" / "bridgecrewio__checkov__secretsmanager-secret-encrypted-tfplan.json"
    report = run_nhi(["check", path, "--now", NOW_TEXT, "--format", "json"]).json()
    messages = [f["message"] for f in report["findings"] if f["rule"] == "missing-revocation-path"]
    assert messages == [("aws_secretsmanager_secret.not_specified stores a credential with no rotation "
                         "configured (aws_secretsmanager_secret_rotation)")]


# -- rotation unknown until apply is not rotation ---------------------------------------------------

TAGS = {"owner": OWNER, "expires_at": EXPIRES}
ROTATION_UNKNOWN = {"rotation_rules": True, "rotation_lambda_arn": True, "rotation_enabled": True,
                    "tags_all": True}


def secret(address: str = "aws_secretsmanager_secret.s", tags: dict[str, Any] | None = None,
           **extra: Any) -> dict[str, Any]:
    return change(address, {"name": "s", "tags": tags or TAGS}, after_unknown=ROTATION_UNKNOWN, **extra)


def rotation(actions: tuple[str, ...] = ("create",)) -> dict[str, Any]:
    after = {"rotation_rules": [{"automatically_after_days": 30}]}
    if "delete" in actions:
        return change("aws_secretsmanager_secret_rotation.r", None, actions=actions, before=after)
    return change("aws_secretsmanager_secret_rotation.r", after, actions=actions,
                  after_unknown={"secret_id": True})


def rotation_config(*extra: dict[str, Any]) -> dict[str, Any]:
    rot = config_resource("aws_secretsmanager_secret_rotation.r", "aws")
    rot["expressions"] = {"secret_id": {"references": ["aws_secretsmanager_secret.s.id",
                                                        "aws_secretsmanager_secret.s"]}}
    return configuration({"aws": provider()}, [config_resource("aws_secretsmanager_secret.s", "aws"), rot, *extra])


def revocation_findings(tmp_path: Path, doc: dict[str, Any]) -> list[str]:
    path = write_json(tmp_path / "plan.json", doc)
    report = check_documents(load_inputs([str(path)]), Config(), NOW)
    return [f.message for f in report.findings if f.rule == "missing-revocation-path"]


def test_unknown_rotation_attributes_are_no_rotation(tmp_path: Path) -> None:
    msgs = revocation_findings(tmp_path, plan_doc(secret(), configuration(
        {"aws": provider()}, [config_resource("aws_secretsmanager_secret.s", "aws")])))
    assert msgs == [("aws_secretsmanager_secret.s stores a credential with no rotation configured "
                     "(aws_secretsmanager_secret_rotation)")]


def test_rotation_resource_is_rotation(tmp_path: Path) -> None:
    assert revocation_findings(tmp_path, plan_doc(secret(), rotation(), configuration=rotation_config())) == []


def test_rotation_the_plan_deletes_is_no_rotation(tmp_path: Path) -> None:
    msgs = revocation_findings(tmp_path, plan_doc(secret(), rotation(("delete",)),
                                                  configuration=rotation_config()))
    assert len(msgs) == 1 and "no rotation configured" in msgs[0]


def test_known_rotation_attributes_count(tmp_path: Path) -> None:
    doc = plan_doc(change("aws_secretsmanager_secret.s", {
        "name": "s", "tags": TAGS, "tags_all": TAGS, "rotation_enabled": True,
        "rotation_lambda_arn": "arn:aws:lambda:eu-west-1:123456789012:function:rotate",
        "rotation_rules": [{"automatically_after_days": 30}]}, actions=["no-op"]))
    assert revocation_findings(tmp_path, doc) == []


def test_declared_rotation_path_with_unknown_rotation_is_an_error(tmp_path: Path) -> None:
    msgs = revocation_findings(tmp_path, plan_doc(
        secret(tags={**TAGS, "revocation_path": "rotation"}),
        configuration({"aws": provider()}, [config_resource("aws_secretsmanager_secret.s", "aws")])))
    assert "aws_secretsmanager_secret.s declares revocation path 'rotation' but no rotation is configured" in msgs


def test_key_with_unknown_user_is_not_linked_to_an_arbitrary_instance(tmp_path: Path) -> None:
    # Two referenced users, the key's own user unknown until apply: no guessing which one it is.
    users = [change(f'aws_iam_user.u["{k}"]', {"name": k, "tags": {"owner": f"{k}@example.com",
                                                                   "expires_at": EXPIRES}, "tags_all": {}})
             for k in ("a", "b")]
    key = change("aws_iam_access_key.k", {"status": "Active"}, after_unknown={"user": True})
    key_cfg = config_resource("aws_iam_access_key.k", "aws")
    key_cfg["expressions"] = {"user": {"references": ['aws_iam_user.u["b"].name', "aws_iam_user.u"]}}
    user_cfg = config_resource("aws_iam_user.u", "aws")
    path = write_json(tmp_path / "plan.json", plan_doc(
        *users, key, configuration=configuration({"aws": provider()}, [user_cfg, key_cfg])))
    report = check_documents(load_inputs([str(path)]), Config(), NOW)
    ident = next(i for i in report.identities if i.address == "aws_iam_access_key.k")
    assert ident.parent is None and ident.owner is None
    assert report.status_of(ident) == "no-owner"


def test_json_is_unchanged_in_shape(tmp_path: Path) -> None:
    doc = plan_doc(role("aws_iam_role.r", None),
                   configuration({"aws": provider()}, [config_resource("aws_iam_role.r", "aws")]))
    _, report = check(tmp_path, doc)
    # The contract: every field of version 1 stays (fields may be added, none renamed).
    assert {"action", "address", "category", "expires_at", "expires_instant", "inherited_from", "owner",
            "parent", "source", "sources", "status", "type", "unknown"} <= set(report["identities"][0])
