"""Which resources are identities, and whose owner and expiry each one carries (own or inherited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.engine import check_paths
from nhi_toolkit.model import UNKNOWN, Identity

OWNER = "alice@example.com"
EXP = "2026-06-20"
TAGS = {"owner": OWNER, "expires_at": EXP}


def inventory(paths: list[Path], config: Config | None = None) -> dict[str, Identity]:
    report = check_paths([str(p) for p in paths], config or Config(), NOW)
    return {i.address: i for i in report.identities}


# -- inheritance ------------------------------------------------------------------------------

def test_plan_key_inherits_from_user_through_module_references_and_for_each(tmp_path: Path) -> None:
    keys = ["team \"x\" bot", "b"]
    changes = []
    for k, owner in zip(keys, ["x@example.com", "b@example.com"], strict=True):
        q = json.dumps(k)
        changes.append(change(f"module.bots.aws_iam_user.agent[{q}]",
                              {"name": f"agent-{k}", "tags": {"owner": owner, "expires_at": EXP}}))
        changes.append(change(f"module.bots.aws_iam_access_key.k[{q}]", {"pgp_key": None},
                              after_unknown={"user": True, "id": True, "secret": True},
                              after_sensitive={"secret": True}))
    config = {"root_module": {"module_calls": {"bots": {"source": "./bots", "module": {"resources": [
        {"address": "aws_iam_user.agent", "mode": "managed", "type": "aws_iam_user", "name": "agent",
         "expressions": {"name": {"references": ["each.key"]}}},
        {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "expressions": {"user": {"references": ["aws_iam_user.agent[each.key].name",
                                                 "aws_iam_user.agent[each.key]", "aws_iam_user.agent"]}}},
    ]}}}}}
    inv = inventory([write_json(tmp_path / "plan.json", plan_doc(*changes, configuration=config))])
    key = inv['module.bots.aws_iam_access_key.k["team \\"x\\" bot"]']
    assert (key.owner, key.expires, key.inherited) == ("x@example.com", EXP, True)
    assert key.parent == 'module.bots.aws_iam_user.agent["team \\"x\\" bot"]'
    assert inv['module.bots.aws_iam_access_key.k["b"]'].owner == "b@example.com"


def test_plan_count_keys_pair_by_index(tmp_path: Path) -> None:
    changes = [change(f"aws_iam_user.u[{i}]", {"name": f"u{i}", "tags": {"owner": f"o{i}", "expires_at": EXP}})
               for i in range(2)]
    changes += [change(f"aws_iam_access_key.k[{i}]", {}, after_unknown={"user": True}) for i in range(2)]
    config = {"root_module": {"resources": [
        {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "expressions": {"user": {"references": ["aws_iam_user.u[count.index].name", "aws_iam_user.u"]}},
         "count_expression": {"constant_value": 2}}]}}
    inv = inventory([write_json(tmp_path / "plan.json", plan_doc(*changes, configuration=config))])
    assert inv["aws_iam_access_key.k[0]"].owner == "o0"
    assert inv["aws_iam_access_key.k[1]"].owner == "o1"


def test_state_key_inherits_by_attribute_match(tmp_path: Path) -> None:
    state = state_doc(
        state_resource("aws_iam_user", "a", {"name": "svc-a", "tags": {"owner": "a", "expires_at": EXP}}),
        state_resource("aws_iam_user", "b", {"name": "svc-b", "tags": {"owner": "b", "expires_at": EXP}}),
        state_resource("aws_iam_access_key", "k", {"user": "svc-b", "id": "AKIAEXAMPLE", "status": "Active"}),
        state_resource("aws_iam_access_key", "orphan", {"user": "someone-else", "status": "Active"}),
        state_resource("aws_iam_user_policy_attachment", "p", {"user": "svc-a", "policy_arn": "arn:x"}),
    )
    inv = inventory([write_json(tmp_path / "terraform.tfstate", state)])
    assert (inv["aws_iam_access_key.k"].owner, inv["aws_iam_access_key.k"].parent) == ("b", "aws_iam_user.b")
    assert inv["aws_iam_user_policy_attachment.p"].owner == "a"
    orphan = inv["aws_iam_access_key.orphan"]
    assert orphan.owner is None and orphan.parent_missing


def test_state_role_attachment_matches_role_name(tmp_path: Path) -> None:
    state = state_doc(
        state_resource("aws_iam_role", "r", {"name": "bot", "id": "bot", "tags": TAGS}),
        state_resource("aws_iam_role_policy_attachment", "a", {"role": "bot", "policy_arn": "arn:x"}),
        state_resource("aws_iam_role_policy", "inline", {"role": "bot", "policy": "{}"}),
    )
    inv = inventory([write_json(tmp_path / "terraform.tfstate", state)])
    assert inv["aws_iam_role_policy_attachment.a"].owner == OWNER
    assert inv["aws_iam_role_policy.inline"].owner == OWNER


def test_hcl_children_inherit_through_references(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
resource "aws_iam_user" "bot" {
  name = "bot"
  tags = {
    owner      = "alice@example.com"
    expires_at = "2026-06-20"
  }
}

resource "aws_iam_access_key" "bot" {
  user = aws_iam_user.bot.name
}

resource "aws_secretsmanager_secret" "s" {
  name = "bot"
  tags = { owner = "bob@example.com", expires_at = "2026-06-21" }
}

resource "aws_secretsmanager_secret_version" "v" {
  secret_id     = aws_secretsmanager_secret.s.id
  secret_string = aws_iam_access_key.bot.secret
}
""", encoding="utf-8")
    inv = inventory([tmp_path])
    key = inv["aws_iam_access_key.bot"]
    assert (key.owner, key.expires, key.parent) == (OWNER, EXP, "aws_iam_user.bot")
    assert key.source.line == 10
    version = inv["aws_secretsmanager_secret_version.v"]
    assert (version.owner, version.parent) == ("bob@example.com", "aws_secretsmanager_secret.s")


def test_cdktf_children_inherit_through_references(tmp_path: Path) -> None:
    doc = {"resource": {
        "aws_iam_user": {"bot": {"name": "bot", "tags": TAGS}},
        "aws_iam_access_key": {"key": {"user": "${aws_iam_user.bot.name}"}},
    }}
    stack = write_json(tmp_path / "cdktf.out" / "stacks" / "app" / "cdk.tf.json", doc)
    for target in (stack, tmp_path / "cdktf.out"):
        inv = inventory([target])
        assert inv["aws_iam_access_key.key"].owner == OWNER
        assert inv["aws_iam_access_key.key"].inherited


def test_an_untaggable_child_with_no_parent_is_missing_owner(tmp_path: Path) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(change("aws_iam_access_key.k", {"user": "nobody"})))
    report = check_paths([str(path)], Config(), NOW)
    assert {f.rule for f in report.active} >= {"missing-owner", "missing-expiry"}


# -- tags_all and provider default_tags -------------------------------------------------------

def test_plan_tags_all_carries_default_tags(tmp_path: Path) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": {"expires_at": EXP},
                                  "tags_all": {"owner": OWNER, "expires_at": EXP}}),
        change("aws_iam_role.override", {"name": "o", "tags": {"owner": "own", "expires_at": EXP},
                                         "tags_all": {"owner": "own", "expires_at": EXP}}),
        change("aws_iam_role.pending", {"name": "p", "tags": {"owner": OWNER}},
               after_unknown={"tags_all": True}),
    ))
    inv = inventory([path])
    assert inv["aws_iam_role.r"].owner == OWNER
    assert inv["aws_iam_role.override"].owner == "own"
    assert inv["aws_iam_role.pending"].expires is UNKNOWN


def test_hcl_default_tags_merge_into_aws_resources(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
variable "team" {
  default = "platform@example.com"
}
locals {
  common = { expires_at = "2026-06-20" }
}
provider "aws" {
  default_tags {
    tags = merge(local.common, { owner = var.team })
  }
}
resource "aws_iam_role" "r" {
  name = "r"
}
resource "aws_iam_role" "own" {
  name = "own"
  tags = { owner = "me@example.com" }
}
resource "google_service_account" "sa" {
  account_id  = "sa"
  description = "owner=gsa@example.com expires_at=2026-06-21"
}
""", encoding="utf-8")
    inv = inventory([tmp_path])
    assert (inv["aws_iam_role.r"].owner, inv["aws_iam_role.r"].expires) == ("platform@example.com", EXP)
    assert (inv["aws_iam_role.own"].owner, inv["aws_iam_role.own"].expires) == ("me@example.com", EXP)
    assert (inv["google_service_account.sa"].owner, inv["google_service_account.sa"].expires) == (
        "gsa@example.com", "2026-06-21")


def test_cdktf_default_tags(tmp_path: Path) -> None:
    doc = {"provider": {"aws": [{"region": "eu-west-1", "default_tags": [{"tags": TAGS}]}]},
           "resource": {"aws_iam_role": {"r": {"name": "r"}}}}
    inv = inventory([write_json(tmp_path / "cdk.tf.json", doc)])
    assert (inv["aws_iam_role.r"].owner, inv["aws_iam_role.r"].expires) == (OWNER, EXP)


def test_hcl_unresolvable_tags_are_unknown_never_missing(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
variable "owner" {}
resource "aws_iam_role" "a" {
  name = "a"
  tags = { owner = var.owner, expires_at = "2026-06-20" }
}
resource "aws_iam_role" "b" {
  name = "b"
  tags = module.labels.tags
}
resource "aws_iam_role" "c" {
  name = "c"
  tags = { owner = "c@example.com", expires_at = timeadd(timestamp(), "720h") }
}
""", encoding="utf-8")
    report = check_paths([str(tmp_path)], Config(), NOW)
    assert {f.rule for f in report.active} == {"unknown-until-apply"}
    assert not report.failed()


# -- custom identity types --------------------------------------------------------------------

CUSTOM = config_from_mapping({"identity_types": {"terraform_data": {"tags_path": "input.tags"}}})
DATA_TAGS = {"owner": "bot-team", "expires_at": "2026-05-01"}


def _assert_custom(inv: dict[str, Identity]) -> None:
    ident = inv["terraform_data.bot"]
    assert (ident.owner, ident.expires, ident.category) == ("bot-team", "2026-05-01", "custom")


def test_custom_type_in_raw_state_decodes_the_wrapped_input(tmp_path: Path) -> None:
    wrapped = {"value": {"tags": DATA_TAGS},
               "type": ["object", {"tags": ["map", "string"]}]}
    state = state_doc(state_resource("terraform_data", "bot",
                                     {"id": "1", "input": wrapped, "output": wrapped}))
    _assert_custom(inventory([write_json(tmp_path / "terraform.tfstate", state)], CUSTOM))


def test_custom_type_in_show_state(tmp_path: Path) -> None:
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "terraform_data.bot", "mode": "managed", "type": "terraform_data", "name": "bot",
         "provider_name": "terraform.io/builtin/terraform", "values": {"id": "1", "input": {"tags": DATA_TAGS}},
         "sensitive_values": {}}]}}}
    _assert_custom(inventory([write_json(tmp_path / "show.json", doc)], CUSTOM))


def test_custom_type_in_plan(tmp_path: Path) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("terraform_data.bot", {"input": {"tags": DATA_TAGS}}, after_unknown={"id": True, "output": True})))
    _assert_custom(inventory([path], CUSTOM))


def test_custom_type_in_hcl_and_cdktf(tmp_path: Path) -> None:
    (tmp_path / "hcl").mkdir()
    (tmp_path / "hcl" / "main.tf").write_text(
        'resource "terraform_data" "bot" {\n  input = {\n    tags = {\n'
        '      owner = "bot-team"\n      expires_at = "2026-05-01"\n    }\n  }\n}\n', encoding="utf-8")
    _assert_custom(inventory([tmp_path / "hcl"], CUSTOM))
    path = write_json(tmp_path / "cdk.tf.json", {"resource": {"terraform_data": {"bot": {
        "input": {"tags": DATA_TAGS}}}}})
    _assert_custom(inventory([path], CUSTOM))


def test_custom_type_is_judged_by_the_rules(tmp_path: Path) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(change("terraform_data.bot", {"input": {"tags": DATA_TAGS}})))
    report = check_paths([str(path)], CUSTOM, NOW)
    assert [f.rule for f in report.active] == ["expired"]
    assert check_paths([str(path)], Config(), NOW).identities == ()


# -- catalog conditions and tag formats -------------------------------------------------------

def test_only_securestring_parameters_are_identities(tmp_path: Path) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_ssm_parameter.secure", {"type": "SecureString", "name": "s", "tags": TAGS},
               after_sensitive={"value": True}),
        change("aws_ssm_parameter.plain", {"type": "String", "name": "p", "value": "x"}),
    ))
    assert sorted(inventory([path])) == ["aws_ssm_parameter.secure"]


@pytest.mark.parametrize(
    ("tags", "owner"),
    [(["owner=az@example.com", "expires_at=2026-06-20"], "az@example.com"),
     (["owner:az@example.com", "expires_at:2026-06-20"], "az@example.com"),
     (["unrelated"], None)],
)
def test_azuread_list_tags(tmp_path: Path, tags: list[str], owner: str | None) -> None:
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("azuread_application.app", {"display_name": "app", "tags": tags})))
    assert inventory([path])["azuread_application.app"].owner == owner


def test_data_sources_and_reads_are_not_identities(tmp_path: Path) -> None:
    read = change("aws_iam_role.r", {"name": "r"}, actions=["read"])
    data = change("aws_iam_role.d", {"name": "d"})
    data.update(mode="data", address="data.aws_iam_role.d")
    inv = inventory([write_json(tmp_path / "plan.json", plan_doc(read, data))])
    assert inv == {}


def test_untaggable_parentless_copy_inherits_from_what_it_references(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
resource "azuread_service_principal_password" "p" {
  service_principal_id = azuread_service_principal.sp.id
}
resource "azuread_service_principal" "sp" {
  client_id = "00000000-0000-0000-0000-000000000000"
  tags      = ["owner=sp@example.com", "expires_at=2026-06-20"]
}
resource "github_actions_secret" "copy" {
  repository      = "repo"
  secret_name     = "CLIENT_SECRET"
  plaintext_value = azuread_service_principal_password.p.value
}
""", encoding="utf-8")
    inv = inventory([tmp_path])
    assert inv["azuread_service_principal_password.p"].owner == "sp@example.com"
    assert inv["github_actions_secret.copy"].owner == "sp@example.com"


def test_identity_values_never_hold_unknown_marker_objects_in_json(tmp_path: Path) -> None:
    from nhi_toolkit.reporters.json_report import to_dict

    path = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": {}}, after_unknown={"tags": True})))
    report = check_paths([str(path)], Config(), NOW)
    out: Any = to_dict(report)
    ident = out["identities"][0]
    assert ident["owner"] is None and ident["expires_at"] is None
    assert ident["unknown"] == ["owner", "expires_at"]
    json.dumps(out)


# -- the direct parent, never one reached through another ---------------------------------------
# ``old`` (expired, alice) refers to ``live`` (bob, 2030); ``key`` is old's untagged credential. State
# records key's dependencies transitively (live and old); a configuration may name live again
# (depends_on, a second reference). key must inherit from old, never from live.

CHAIN = config_from_mapping({"identity_types": {"terraform_data": {
    "tags_path": "input.tags", "category": "principal", "phase": 2, "parent": ["terraform_data"]}}})
CHAIN_DIR = Path(__file__).resolve().parent / "fixtures" / "retire" / "transitive"
LIVE_TAGS = {"owner": "bob@example.com", "expires_at": "2030-01-01"}
OLD_TAGS = {"owner": "alice@example.com", "expires_at": "2026-01-01"}


def _assert_key_of_old(paths: list[Path], key: str = "terraform_data.key", old: str = "terraform_data.old",
                       config: Config = CHAIN) -> None:
    inv = inventory(paths, config)
    ident = inv[key]
    assert ident.parent == old
    assert (ident.owner, ident.expires, ident.inherited) == ("alice@example.com", "2026-01-01", True)
    report = check_paths([str(p) for p in paths], config, NOW)
    assert "expired" in {f.rule for f in report.active if f.address == key}


@pytest.mark.terraform
def test_real_terraform_key_of_an_identity_that_refers_to_another(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every input kind Terraform writes for the same estate: HCL, raw state, show-json state, plan."""
    from terraform_estates import apply_config

    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text((CHAIN_DIR / "main.tf").read_text(encoding="utf-8"), encoding="utf-8")
    assert apply_config(tf, work) == {"terraform_data.live", "terraform_data.old", "terraform_data.key"}
    raw = tf.state_pull(work)
    deps = {r["name"]: r["instances"][0].get("dependencies") for r in raw["resources"]}
    assert deps["key"] == ["terraform_data.live", "terraform_data.old"]  # transitive, as recorded
    tf.plan(work, out="check.tfplan")
    inputs = [work / "main.tf",
              write_json(tmp_path / "raw.tfstate", raw),
              write_json(tmp_path / "show.json", tf.show_state_json(work)),
              write_json(tmp_path / "plan.json", tf.show_json(work, "check.tfplan"))]
    for path in inputs:
        _assert_key_of_old([path])


def test_show_state_with_transitive_dependencies() -> None:
    from nhi_toolkit.inventory import build_inventory
    from nhi_toolkit.loaders.state import load_show_state

    def res(name: str, inp: dict[str, Any], deps: list[str]) -> dict[str, Any]:
        return {"address": f"terraform_data.{name}", "mode": "managed", "type": "terraform_data", "name": name,
                "provider_name": "terraform.io/builtin/terraform", "values": {"input": inp},
                "sensitive_values": {}, "depends_on": deps}

    doc = {"format_version": "1.0", "values": {"root_module": {"resources": [
        res("live", {"tags": LIVE_TAGS}, []),
        res("old", {"tags": OLD_TAGS}, ["terraform_data.live"]),
        res("key", {"kind": "credential"}, ["terraform_data.live", "terraform_data.old"])]}}}
    inv = {i.address: i for i in build_inventory(load_show_state(doc, "s.json", lambda _t: True), CHAIN)}
    assert inv["terraform_data.key"].parent == "terraform_data.old"
    assert inv["terraform_data.key"].owner == "alice@example.com"


def test_plan_with_a_second_reference_to_the_further_identity(tmp_path: Path) -> None:
    def ref(*targets: str) -> dict[str, Any]:
        return {"references": [r for t in targets for r in (f"{t}.id", t)]}

    config = {"root_module": {"resources": [
        {"address": "terraform_data.live", "mode": "managed", "type": "terraform_data", "name": "live",
         "expressions": {"input": {"constant_value": {"tags": LIVE_TAGS}}}},
        {"address": "terraform_data.old", "mode": "managed", "type": "terraform_data", "name": "old",
         "expressions": {"input": ref("terraform_data.live")}},
        {"address": "terraform_data.key", "mode": "managed", "type": "terraform_data", "name": "key",
         "expressions": {"input": ref("terraform_data.live", "terraform_data.old")}}]}}
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("terraform_data.live", {"input": {"tags": LIVE_TAGS}}),
        change("terraform_data.old", {"input": {"tags": OLD_TAGS}}),
        change("terraform_data.key", {"input": {"kind": "credential"}}),
        configuration=config))
    _assert_key_of_old([path])


def test_hcl_and_cdktf_with_a_redundant_depends_on(tmp_path: Path) -> None:
    _assert_key_of_old([CHAIN_DIR / "main.tf"])
    cdk = write_json(tmp_path / "cdk.tf.json", {"resource": {"terraform_data": {
        "live": {"input": {"tags": LIVE_TAGS}},
        "old": {"input": {"tags": OLD_TAGS, "uses": "${terraform_data.live.id}"}},
        "key": {"input": {"agent": "${terraform_data.old.id}"}, "depends_on": ["terraform_data.live"]}}}})
    _assert_key_of_old([cdk])


def test_aws_key_whose_user_is_unknown_until_apply_takes_the_closer_user(tmp_path: Path) -> None:
    """A plan names no user value yet: the key refers to both users, and old refers to live."""
    def ref(*targets: str) -> dict[str, Any]:
        return {"references": [r for t in targets for r in (f"{t}.name", t)]}

    config = {"root_module": {"resources": [
        {"address": "aws_iam_user.live", "mode": "managed", "type": "aws_iam_user", "name": "live",
         "expressions": {"name": {"constant_value": "live"}}},
        {"address": "aws_iam_user.old", "mode": "managed", "type": "aws_iam_user", "name": "old",
         "expressions": {"name": ref("aws_iam_user.live")}},
        {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "expressions": {"user": ref("aws_iam_user.old"), "pgp_key": ref("aws_iam_user.live")}}]}}
    path = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.live", {"name": "live", "tags": LIVE_TAGS}),
        change("aws_iam_user.old", {"tags": OLD_TAGS}, after_unknown={"name": True}),
        change("aws_iam_access_key.k", {}, after_unknown={"user": True}),
        configuration=config))
    _assert_key_of_old([path], "aws_iam_access_key.k", "aws_iam_user.old", Config())


def test_aws_state_key_named_by_value_beats_transitive_dependencies(tmp_path: Path) -> None:
    state = state_doc(
        state_resource("aws_iam_user", "live", {"name": "live", "tags": LIVE_TAGS}),
        state_resource("aws_iam_user", "old", {"attributes": {"name": "old", "tags": OLD_TAGS},
                                               "dependencies": ["aws_iam_user.live"]}),
        state_resource("aws_iam_access_key", "k", {"attributes": {"user": "old", "id": "AKIA1"},
                                                   "dependencies": ["aws_iam_user.live", "aws_iam_user.old"]}))
    _assert_key_of_old([write_json(tmp_path / "terraform.tfstate", state)],
                       "aws_iam_access_key.k", "aws_iam_user.old", Config())


@pytest.mark.parametrize("same_tags", [False, True])
def test_two_unrelated_candidates_leave_no_parent_unless_they_agree(tmp_path: Path, same_tags: bool) -> None:
    """Nothing decides between two identities neither of which refers to the other: no inherited
    owner or expiry (a finding), unless both carry the same tags (any gives the same verdict)."""
    cdk = write_json(tmp_path / "cdk.tf.json", {"resource": {"terraform_data": {
        "live": {"input": {"tags": OLD_TAGS if same_tags else LIVE_TAGS}},
        "old": {"input": {"tags": OLD_TAGS}},
        "key": {"input": {"a": "${terraform_data.old.id}", "b": "${terraform_data.live.id}"}}}}})
    key = inventory([cdk], CHAIN)["terraform_data.key"]
    if same_tags:
        assert key.parent is not None and key.owner == "alice@example.com"
        return
    assert (key.parent, key.owner, key.expires, key.inherited) == (None, None, None, False)
    report = check_paths([str(cdk)], CHAIN, NOW)
    assert {f.rule for f in report.active if f.address == "terraform_data.key"} >= {"missing-owner"}


def test_the_user_a_key_names_wins_over_another_it_only_depends_on(tmp_path: Path) -> None:
    """The provider binds the key to the user its ``user`` names; a depends_on on another user
    (even one that refers to nothing) does not make that user the parent."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "live" {\n  name = "live"\n  tags = { owner = "bob@example.com", '
        'expires_at = "2030-01-01" }\n}\n'
        'resource "aws_iam_user" "old" {\n  name = "old"\n  tags = { owner = "alice@example.com", '
        'expires_at = "2026-01-01" }\n}\n'
        'resource "aws_iam_access_key" "k" {\n  user       = "old"\n  depends_on = [aws_iam_user.live]\n}\n',
        encoding="utf-8")
    _assert_key_of_old([tmp_path / "main.tf"], "aws_iam_access_key.k", "aws_iam_user.old", Config())


def test_a_membership_of_two_users_with_different_tags_inherits_from_neither(tmp_path: Path) -> None:
    """A group membership granting to a counted user and a plain one: the plain one's instance key
    (none, like the membership's) does not make it the parent over the other; the membership
    inherited the valid owner while it also grants to the expired user (a false pass)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "old" {\n  count = 1\n  name  = "old"\n  tags  = { owner = "alice@example.com", '
        'expires_at = "2026-01-01" }\n}\n'
        'resource "aws_iam_user" "live" {\n  name = "live"\n  tags = { owner = "bob@example.com", '
        'expires_at = "2030-01-01" }\n}\n'
        'resource "aws_iam_group" "g" {\n  name = "g"\n}\n'
        'resource "aws_iam_group_membership" "m" {\n  name  = "m"\n  group = aws_iam_group.g.name\n'
        '  users = [aws_iam_user.old[0].name, aws_iam_user.live.name]\n}\n', encoding="utf-8")
    member = inventory([tmp_path])["aws_iam_group_membership.m"]
    assert (member.parent, member.owner, member.expires) == (None, None, None)
    report = check_paths([str(tmp_path)], Config(), NOW)
    assert {f.rule for f in report.active if f.address == "aws_iam_group_membership.m"} >= {"missing-owner"}


def test_a_membership_naming_two_users_with_different_tags_inherits_from_neither(tmp_path: Path) -> None:
    """``users = ["live", "old"]`` names two managed users by value: the first match is not the
    parent (it was: the membership passed on the live user's tags while granting to the expired one)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "old" {\n  name = "old"\n  tags = { owner = "alice@example.com", '
        'expires_at = "2026-01-01" }\n}\n'
        'resource "aws_iam_user" "live" {\n  name = "live"\n  tags = { owner = "bob@example.com", '
        'expires_at = "2026-12-01" }\n}\n'
        'resource "aws_iam_group" "g" {\n  name = "g"\n}\n'
        'resource "aws_iam_group_membership" "m" {\n  name  = "m"\n  group = aws_iam_group.g.name\n'
        '  users = ["live", "old"]\n}\n', encoding="utf-8")
    member = inventory([tmp_path])["aws_iam_group_membership.m"]
    assert (member.parent, member.owner, member.expires) == (None, None, None)


# -- deposed objects link to their parent as the current object at their address does ------------------

_BOT = {"owner": OWNER, "expires_at": "2027-03-01"}


def _deposed_key_inputs(tmp_path: Path, kind: str, key_user: str | None = "bot", deps: bool = True) -> Path:
    """aws_iam_user.u (owned) and aws_iam_access_key.k with a current and a deposed object, as
    ``kind`` (plan, state, show) writes them; the deposed key's ``user`` is ``key_user`` (None: not
    recorded) and ``deps`` says whether its dependencies are (the current key's always are)."""
    user = {"name": "bot", "tags": _BOT, "tags_all": _BOT}
    current: dict[str, Any] = {"user": "bot", "id": "AKIA1"}
    deposed: dict[str, Any] = {"id": "AKIA0"} if key_user is None else {"user": key_user, "id": "AKIA0"}
    if kind == "plan":
        config = {"root_module": {"resources": [
            {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
             "expressions": {"user": {"references": ["aws_iam_user.u.name", "aws_iam_user.u"]}}}]}}
        gone = {**change("aws_iam_access_key.k", None, actions=("delete",), before=deposed,
                         before_sensitive={}, after_sensitive=False), "deposed": "00000001"}
        doc: dict[str, Any] = plan_doc(change("aws_iam_user.u", user, actions=("no-op",), before=user),
                                       change("aws_iam_access_key.k", current, actions=("no-op",), before=current),
                                       gone, configuration=config)
        return write_json(tmp_path / "plan.json", doc)
    dep = ["aws_iam_user.u"] if deps else []
    if kind == "state":
        doc = state_doc(state_resource("aws_iam_user", "u", user),
                        state_resource("aws_iam_access_key", "k",
                                       {"attributes": current, "dependencies": ["aws_iam_user.u"]},
                                       {"attributes": deposed, "dependencies": dep, "deposed": "00000001"}))
        return write_json(tmp_path / "terraform.tfstate", doc)

    def res(address: str, values: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        rtype, name = address.split(".")
        return {"address": address, "mode": "managed", "type": rtype, "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws", "values": values,
                "sensitive_values": {}, **extra}

    on = {"depends_on": dep} if deps else {}
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": [
        res("aws_iam_user.u", user, {}), res("aws_iam_access_key.k", current, {"depends_on": ["aws_iam_user.u"]}),
        res("aws_iam_access_key.k", deposed, {**on, "deposed_key": "00000001"})]}}}
    return write_json(tmp_path / "show.json", doc)


def _key_rows(path: Path, now: Any = NOW) -> dict[str, tuple[Identity, set[str]]]:
    report = check_paths([str(path)], Config(), now)
    rows = {i.resource.metadata.get("deposed", ""): i for i in report.identities if i.type == "aws_iam_access_key"}
    return {k: (i, {f.rule for f in report.findings_of(i)}) for k, i in rows.items()}


@pytest.mark.parametrize("kind", ["plan", "state", "show"])
def test_a_deposed_key_inherits_from_the_user_its_current_object_inherits_from(tmp_path: Path, kind: str) -> None:
    rows = _key_rows(_deposed_key_inputs(tmp_path, kind))
    for key in ("", "00000001"):
        ident, rules = rows[key]
        assert (ident.owner, ident.expires, ident.inherited, ident.parent) == (
            OWNER, "2027-03-01", True, "aws_iam_user.u"), key
        assert not rules & {"missing-owner", "missing-expiry"}, (key, rules)


@pytest.mark.parametrize("kind", ["state", "show"])
def test_a_deposed_key_without_recorded_dependencies_takes_its_current_object_s(tmp_path: Path, kind: str) -> None:
    ident, _ = _key_rows(_deposed_key_inputs(tmp_path, kind, key_user=None, deps=False))["00000001"]
    assert (ident.owner, ident.parent) == (OWNER, "aws_iam_user.u")


@pytest.mark.parametrize("kind", ["plan", "state", "show"])
def test_a_deposed_key_naming_another_user_does_not_inherit_from_the_current_one_s(tmp_path: Path, kind: str) -> None:
    rows = _key_rows(_deposed_key_inputs(tmp_path, kind, key_user="bot-old"))
    ident, rules = rows["00000001"]
    assert (ident.owner, ident.expires, ident.inherited, ident.parent) == (None, None, False, None)
    if kind != "plan":  # the plan deletes it: a revocation, not a finding
        assert {"missing-owner", "missing-expiry"} <= rules
    assert rows[""][0].owner == OWNER


@pytest.mark.parametrize("kind", ["plan", "state", "show"])
def test_a_deposed_key_is_judged_on_its_parent_s_expiry(tmp_path: Path, kind: str) -> None:
    from datetime import datetime

    rows = _key_rows(_deposed_key_inputs(tmp_path, kind), now=datetime.fromisoformat("2027-04-01T00:00:00+00:00"))
    ident, rules = rows["00000001"]
    assert ident.expires == "2027-03-01"
    if kind != "plan":
        assert "expired" in rules


def test_a_deposed_object_keeps_its_own_tags_over_its_parent_s(tmp_path: Path) -> None:
    # A taggable child (an instance profile of a role): the deposed one is judged on its own tags.
    role = {"name": "r", "arn": "arn:aws:iam::1:role/r", "tags": _BOT}
    doc = state_doc(state_resource("aws_iam_role", "r", role),
                    state_resource("aws_iam_instance_profile", "p",
                                   {"attributes": {"name": "p", "role": "r", "tags": {}},
                                    "dependencies": ["aws_iam_role.r"]},
                                   {"attributes": {"name": "p", "role": "r", "tags": {"owner": "mallory"}},
                                    "dependencies": ["aws_iam_role.r"], "deposed": "00000001"}))
    report = check_paths([str(write_json(tmp_path / "terraform.tfstate", doc))], Config(), NOW)
    rows = {i.resource.metadata.get("deposed", ""): i for i in report.identities
            if i.type == "aws_iam_instance_profile"}
    assert (rows[""].owner, rows[""].inherited) == (OWNER, True)
    dep = rows["00000001"]
    assert (dep.owner, dep.expires, dep.inherited) == ("mallory", None, False)
    assert "missing-expiry" in {f.rule for f in report.findings_of(dep)}


def test_identities_are_made_by_position_in_the_fields_order() -> None:
    # build_inventory makes each Identity by position: a field added or moved must be added there too.
    from dataclasses import fields

    assert [f.name for f in fields(Identity)] == [
        "resource", "category", "owner", "expires", "expires_at", "parent", "inherited", "tags",
        "owner_key", "expiry_key", "expiry_error", "tags_unknown", "parent_missing", "owner_source",
        "expiry_source", "claimed_expires", "claimed_expires_at", "native_attr", "native_expires_at",
        "native_lifetime", "declaration", "platform_managed", "owner_sensitive",
        "expiry_sensitive", "parent_candidates"]


def test_identities_keep_sharing_their_dict_keys(tmp_path: Path) -> None:
    """Every identity of a check keeps a key-sharing instance dict, derived and cached attributes
    included: CPython gives each instance a whole dict of its own (about five times the memory) once
    a class's instances hold more keys than it can share, and a large check keeps one identity per
    resource. A field added to Identity may have to be paid for by a derived attribute stored less."""
    import sys

    tags = {"owner": "o@example.com", "expires_at": "2027-01-01"}
    write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.u", {"name": "u", "tags": tags, "tags_all": tags}),
        change("aws_iam_access_key.k", {"user": "u"}),
        change("aws_iam_access_key.orphan", {"user": "gone"})))
    report = check_paths([str(tmp_path / "plan.json")], Config(), NOW)
    assert len(report.identities) == 3
    for ident in report.identities:
        assert (ident.row_key, ident.address, ident.type, ident.source) != ()  # what a report reads
        assert sys.getsizeof(ident.__dict__) < sys.getsizeof(dict(ident.__dict__)), sorted(ident.__dict__)
