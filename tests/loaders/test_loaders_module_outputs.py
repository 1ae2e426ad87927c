"""A credential whose parent identity is made inside a module and reached through a module output
links to it, from HCL and from a plan's configuration: the same parent it would have if it referred
to the identity in its own module. Never a wrong parent: several candidates with different tags, an
output naming no identity, a whole-module reference or a sensitive output leave it without one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import NOW_TEXT, change, plan_doc, write_json, write_tree

from nhi_toolkit.cli import main
from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders.module_outputs import MAX_DEPTH, OutputTargets, call_outputs, plan_output_targets
from nhi_toolkit.loaders.plan import load_plan
from nhi_toolkit.retire import Criteria, build_manifest

OLD = 'tags = { owner = "ops@example.com", expires_at = "2026-03-01" }'
USER = f'resource "aws_iam_user" "u" {{\n  name = "bot"\n  {OLD}\n}}\n'
OUTPUT = 'output "user_name" {\n  value = aws_iam_user.u.name\n}\n'
KEY = 'resource "aws_iam_access_key" "k" {{\n  user = {}\n}}\n'
CALL = 'module "bot" {{\n  source = "./m"\n{}}}\n'
TAGS_VAR = '{ owner = "ops@example.com", expires_at = var.expires }'
#: Two instances of a team module (expiring 2026-03-01 and 2026-07-01), each with a key of the user
#: its own bot module outputs.
TEAMS = {
    "main.tf": 'module "team" {\n  source = "./team"\n  for_each = { a = "2026-03-01", b = "2026-07-01" }\n'
               '  expires = each.value\n}\n',
    "team/main.tf": 'variable "expires" {}\nmodule "bot" {\n  source = "./bot"\n  expires = var.expires\n}\n'
                    + KEY.format("module.bot.user_name"),
    "team/bot/main.tf": 'variable "expires" {}\nresource "aws_iam_user" "u" {\n  name = "bot"\n'
                        '  tags = ' + TAGS_VAR + '\n}\n' + OUTPUT,
}


def check(path: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "-f", "json", "--no-cache"],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def identity(doc: dict[str, Any], address: str) -> dict[str, Any]:
    return next(i for i in doc["identities"] if i["address"] == address)


def rules_of(doc: dict[str, Any], address: str) -> set[str]:
    return {f["rule"] for f in doc["findings"] if f["address"] == address}


def assert_linked(doc: dict[str, Any], key: str, parent: str) -> None:
    found = identity(doc, key)
    assert found["parent"] == parent
    assert (found["owner"], found["owner_source"]) == ("ops@example.com", "inherited")
    assert found["status"] == "expired"
    assert rules_of(doc, key) == {"expired"}


def assert_unlinked(doc: dict[str, Any], key: str) -> None:
    found = identity(doc, key)
    assert found["parent"] is None and found["owner"] is None
    assert {"missing-owner", "missing-expiry"} <= rules_of(doc, key)


# -- HCL -------------------------------------------------------------------------------------------

def test_hcl_key_links_to_the_user_a_module_output_names(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": CALL.format("") + KEY.format("module.bot.user_name"), "m/main.tf": USER + OUTPUT})
    code, doc = check(tmp_path)
    assert code == 1
    assert_linked(doc, "aws_iam_access_key.k", "module.bot.aws_iam_user.u")


def test_hcl_output_forwarding_a_nested_module_output(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": CALL.format("") + KEY.format("module.bot.user_name"),
        "m/main.tf": 'module "inner" {\n  source = "./inner"\n}\n'
                     'output "user_name" {\n  value = "${module.inner.user_name}"\n}\n',
        "m/inner/main.tf": USER + OUTPUT,
    })
    _, doc = check(tmp_path)
    assert_linked(doc, "aws_iam_access_key.k", "module.bot.module.inner.aws_iam_user.u")


def test_hcl_key_inside_a_module_instance_takes_that_instance_s_user(tmp_path: Path) -> None:
    write_tree(tmp_path, TEAMS)
    _, doc = check(tmp_path)
    assert_linked(doc, 'module.team["a"].aws_iam_access_key.k', 'module.team["a"].module.bot.aws_iam_user.u')
    live = identity(doc, 'module.team["b"].aws_iam_access_key.k')
    assert (live["parent"], live["status"]) == ('module.team["b"].module.bot.aws_iam_user.u', "ok")


def test_hcl_instances_with_different_tags_stay_ambiguous(tmp_path: Path) -> None:
    """``module.bot["a"]`` names one instance, but the reference keeps no key: no guess."""
    write_tree(tmp_path, {
        "main.tf": 'module "bot" {\n  source = "./m"\n  for_each = { a = "2026-03-01", b = "2026-09-01" }\n'
                   '  expires = each.value\n}\n' + KEY.format('module.bot["b"].user_name')
                   + 'resource "aws_iam_access_key" "each" {\n  for_each = toset(["a", "b"])\n'
                     '  user = module.bot[each.key].user_name\n}\n',
        "m/main.tf": 'variable "expires" {}\nresource "aws_iam_user" "u" {\n  name = "bot"\n'
                     '  tags = { owner = "ops@example.com", expires_at = var.expires }\n}\n' + OUTPUT,
    })
    _, doc = check(tmp_path)
    for key in ("aws_iam_access_key.k", 'aws_iam_access_key.each["a"]', 'aws_iam_access_key.each["b"]'):
        assert_unlinked(doc, key)


def test_hcl_instances_with_the_same_tags_give_the_same_verdict(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'module "bot" {\n  source = "./m"\n  count = 2\n}\n' + KEY.format("module.bot[1].user_name"),
        "m/main.tf": USER + OUTPUT,
    })
    _, doc = check(tmp_path)
    assert identity(doc, "aws_iam_access_key.k")["parent"] in (
        "module.bot[0].aws_iam_user.u", "module.bot[1].aws_iam_user.u")
    assert rules_of(doc, "aws_iam_access_key.k") == {"expired"}


def test_hcl_no_link_when_the_output_names_no_identity(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": CALL.format("") + KEY.format("module.bot.user_name")
                   + 'resource "aws_iam_access_key" "hidden" {\n  user = module.bot.hidden\n}\n'
                   + 'resource "aws_iam_access_key" "whole" {\n  user = "outside"\n  depends_on = [module.bot]\n}\n',
        "m/main.tf": USER + 'variable "name" {\n  default = "elsewhere"\n}\n'
                     'output "user_name" {\n  value = var.name\n}\n'
                     'output "hidden" {\n  value = aws_iam_user.u.name\n  sensitive = true\n}\n',
    })
    _, doc = check(tmp_path)
    for key in ("aws_iam_access_key.k", "aws_iam_access_key.hidden", "aws_iam_access_key.whole"):
        assert_unlinked(doc, key)


def test_module_output_references_in_expression_text() -> None:
    assert call_outputs('module.bot["a]\\"b"].user_name.x') == [("bot", "user_name")]
    assert call_outputs("one(module.bot[*].name) == module.b.c[0].d") == [("bot", "name"), ("b", "c")]
    assert call_outputs("module.bot[local.m[\"k\"]].arn") == [("bot", "arn")]
    assert call_outputs("module.bot") == [] and call_outputs("x.module.bot.y") == []
    assert call_outputs("module.bot[0") == []


# -- plan JSON -------------------------------------------------------------------------------------

def _user(module: str, expires: str = "2026-03-01") -> dict[str, Any]:
    tags = {"owner": "ops@example.com", "expires_at": expires}
    return change(f"{module}.aws_iam_user.u", {"name": "bot", "tags": tags, "tags_all": tags})


def _key(address: str = "aws_iam_access_key.k") -> dict[str, Any]:
    return change(address, {"status": "Active"}, after_unknown={"user": True, "id": True})


def _resource(address: str, expressions: dict[str, Any]) -> dict[str, Any]:
    rtype, name = address.split(".")
    return {"address": address, "mode": "managed", "type": rtype, "name": name,
            "provider_config_key": "aws", "expressions": expressions}


def _module(outputs: dict[str, list[str]], resources: tuple[dict[str, Any], ...] = (),
            calls: dict[str, Any] | None = None) -> dict[str, Any]:
    mod: dict[str, Any] = {"outputs": {k: {"expression": {"references": v} if v else {"constant_value": "x"}}
                                       for k, v in outputs.items()},
                           "resources": list(resources)}
    if calls:
        mod["module_calls"] = {name: {"source": f"./{name}", "module": m} for name, m in calls.items()}
    return mod


USER_MODULE = _module({"user_name": ["aws_iam_user.u.name", "aws_iam_user.u"]},
                      (_resource("aws_iam_user.u", {"name": {"constant_value": "bot"}}),))


def _plan(tmp_path: Path, changes: list[dict[str, Any]], refs: list[str], calls: dict[str, Any]) -> Path:
    root = {"resources": [_resource("aws_iam_access_key.k", {"user": {"references": refs}})],
            "module_calls": {name: {"source": f"./{name}", "module": m} for name, m in calls.items()}}
    return write_json(tmp_path / "plan.json", plan_doc(*changes, configuration={"root_module": root}))


def test_plan_key_links_to_the_user_a_module_output_names(tmp_path: Path) -> None:
    path = _plan(tmp_path, [_user("module.bot"), _key()], ["module.bot.user_name", "module.bot"],
                 {"bot": USER_MODULE})
    _, doc = check(path)
    assert_linked(doc, "aws_iam_access_key.k", "module.bot.aws_iam_user.u")


def test_plan_output_forwarding_a_nested_module_output(tmp_path: Path) -> None:
    outer = _module({"user_name": ["module.inner.user_name", "module.inner"]}, calls={"inner": USER_MODULE})
    path = _plan(tmp_path, [_user("module.bot.module.inner"), _key()], ["module.bot.user_name", "module.bot"],
                 {"bot": outer})
    _, doc = check(path)
    assert_linked(doc, "aws_iam_access_key.k", "module.bot.module.inner.aws_iam_user.u")


def test_plan_module_instances(tmp_path: Path) -> None:
    refs = ['module.bot["a"].user_name', 'module.bot["a"]', "module.bot"]
    different = [_user('module.bot["a"]'), _user('module.bot["b"]', "2099-01-01"), _key()]
    _, doc = check(_plan(tmp_path, different, refs, {"bot": USER_MODULE}))
    assert_unlinked(doc, "aws_iam_access_key.k")  # never the wrong instance
    same = [_user('module.bot["a"]'), _user('module.bot["b"]'), _key()]
    _, doc = check(_plan(tmp_path, same, refs, {"bot": USER_MODULE}))
    assert rules_of(doc, "aws_iam_access_key.k") == {"expired"}


def test_plan_no_link_without_an_identity_behind_the_output(tmp_path: Path) -> None:
    mod = _module({"user_name": [], "other": ["var.name"]}, (_resource("aws_iam_user.u", {}),))
    for refs in (["module.bot.user_name", "module.bot"], ["module.bot.other", "module.bot"], ["module.bot"],
                 ["module.gone.user_name", "module.gone"]):
        _, doc = check(_plan(tmp_path, [_user("module.bot"), _key()], refs, {"bot": mod}))
        assert_unlinked(doc, "aws_iam_access_key.k")


def test_output_references_are_followed_a_bounded_way() -> None:
    cyclic: dict[str, Any] = {"outputs": {"x": {"expression": {"references": ["module.bot.x", "aws_iam_user.u"]}}}}
    cyclic["module_calls"] = {"bot": {"module": cyclic}}
    targets = plan_output_targets().of(cyclic, "", ["module.bot.x"])
    assert "module.bot.aws_iam_user.u" in targets and len(targets) == MAX_DEPTH
    calls: list[Any] = []

    def loop(module: Any, path: str, call: str, name: str) -> tuple[list[str], Any, str]:
        calls.append(name)
        return [f"module.{call}.{name}", "aws_iam_user.u"], module, path  # refers to itself
    assert OutputTargets(loop).of(None, "", ["module.bot.x"]) == {"aws_iam_user.u"}
    assert len(calls) == 1


def test_retiring_the_user_takes_its_key_along() -> None:
    root = {"resources": [_resource("aws_iam_access_key.k", {"user": {"references": [
        "module.bot.user_name", "module.bot"]}})],
            "module_calls": {"bot": {"source": "./bot", "module": USER_MODULE}}}
    doc = load_plan(plan_doc(_user("module.bot"), _key(), configuration={"root_module": root}), "plan.json",
                    lambda _: True)
    assert [r.references for r in doc.resources if r.type == "aws_iam_access_key"] == [
        ("module.bot.aws_iam_user.u",)]
    manifest = build_manifest(build_inventory(doc, Config()), Criteria(datetime(2026, 6, 1, tzinfo=UTC)), Config())
    groups = {g.root.address: g.addresses for g in manifest.groups}
    assert groups == {"module.bot.aws_iam_user.u": ("aws_iam_access_key.k", "module.bot.aws_iam_user.u")}


def _reference_only_config() -> Config:
    """terraform_data as an identity whose children name their parent by reference alone."""
    return config_from_mapping({"identity_types": {"terraform_data": {
        "tags_path": "input.tags", "category": "principal", "phase": 2, "parent": ["terraform_data"]}}})


def _reference_only_tree(root: Path) -> Path:
    return write_tree(root, {
        "main.tf": 'module "bot" {\n  source = "./m"\n}\n'
                   'module "many" {\n  source = "./m"\n  for_each = { a = "2026-07-01", b = "2026-03-01" }\n'
                   '  expires = each.value\n}\n'
                   'resource "terraform_data" "k" {\n  input = { user = module.bot.user_name }\n}\n'
                   'resource "terraform_data" "literal" {\n  input = { user = module.many["b"].user_name }\n}\n'
                   'resource "terraform_data" "each" {\n  for_each = toset(["a", "b"])\n'
                   '  input = { user = module.many[each.key].user_name }\n}\n',
        "m/main.tf": 'variable "expires" {\n  default = "2026-03-01"\n}\n'
                     'resource "terraform_data" "u" {\n  input = { name = "bot", tags = ' + TAGS_VAR + ' }\n}\n'
                     'output "user_name" {\n  value = terraform_data.u.output.name\n}\n',
    })


def _assert_reference_only(idents: dict[str, Any]) -> None:
    assert idents["terraform_data.k"].parent == "module.bot.terraform_data.u"
    assert idents["terraform_data.k"].owner == "ops@example.com"
    # Instance keys are not told apart: instances with different tags leave no parent, never the
    # first instance (module.many["a"], live) for a child of the expired module.many["b"].
    for address in ("terraform_data.literal", 'terraform_data.each["a"]', 'terraform_data.each["b"]'):
        assert idents[address].parent is None and idents[address].owner is None


def test_hcl_reference_only_link_never_takes_the_first_module_instance(tmp_path: Path) -> None:
    from nhi_toolkit.loaders.hcl import load_hcl_dir

    (doc,) = load_hcl_dir(str(_reference_only_tree(tmp_path)), lambda _: True)
    _assert_reference_only({i.address: i for i in build_inventory(doc, _reference_only_config())})


def test_a_plan_terraform_writes_links_through_module_outputs(tf: Any, tmp_path: Path) -> None:
    """The reference shapes Terraform itself writes (``module.many["b"].user_name``,
    ``module.many["b"]``, and only ``module.many`` for a key that is not a constant), from a real plan."""
    _reference_only_tree(tmp_path)
    tf.init(tmp_path)
    tf.plan(tmp_path, out="p.tfplan")
    plan = tf.show_json(tmp_path, "p.tfplan")
    doc = load_plan(plan, "plan.json", lambda _: True)
    _assert_reference_only({i.address: i for i in build_inventory(doc, _reference_only_config())})


def test_retiring_a_module_instance_s_user_takes_that_instance_s_key(tmp_path: Path) -> None:
    from nhi_toolkit.loaders.hcl import load_hcl_dir

    write_tree(tmp_path, TEAMS)
    (doc,) = load_hcl_dir(str(tmp_path), lambda _: True)
    manifest = build_manifest(build_inventory(doc, Config()), Criteria(datetime(2026, 6, 1, tzinfo=UTC)), Config())
    assert manifest.conflicts == ()
    assert {g.root.address: g.addresses for g in manifest.groups} == {
        'module.team["a"].module.bot.aws_iam_user.u': (
            'module.team["a"].aws_iam_access_key.k', 'module.team["a"].module.bot.aws_iam_user.u')}
