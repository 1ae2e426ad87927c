"""Module trees in .tf files and cdk.tf.json, evaluated the way Terraform expands them.

Every test asserts exact instance addresses and findings on hand-written module repositories under
tests/fixtures/modules (error cases are written to a temporary folder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders import load_document
from tests.conftest import NOW_TEXT, write_tree

FIX = Path(__file__).resolve().parent / "fixtures" / "modules"


def check(*args: str | Path) -> tuple[int, Any, str]:
    result = CliRunner().invoke(main, ["check", *map(str, args), "--now", NOW_TEXT, "-f", "json"],
                                catch_exceptions=False)
    doc = json.loads(result.stdout) if result.exit_code in (0, 1) else None
    return result.exit_code, doc, result.stdout + (result.stderr or "")


def check_text(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *map(str, args), "--now", NOW_TEXT], catch_exceptions=False)
    return result.exit_code, result.stdout + (result.stderr or "")


def owners(doc: Any) -> dict[str, Any]:
    return {i["address"]: "(unknown)" if "owner" in i["unknown"] else i["owner"] for i in doc["identities"]}


def findings(doc: Any) -> set[tuple[str, str]]:
    return {(f["rule"], f["address"]) for f in doc["findings"]}


# -- the module tree --------------------------------------------------------------------------------

def test_tree_gives_terraform_instance_addresses() -> None:
    code, doc, _ = check(FIX / "tree")
    assert code == 1  # unused-root's lonely user has no owner
    assert owners(doc) == {
        "aws_iam_role.per_team": "platform@example.com",
        "aws_iam_user.ci[0]": "ci@example.com",
        "aws_iam_user.ci[1]": "ci@example.com",
        "aws_iam_user.lonely": None,
        "aws_iam_user.unquoted": "ci@example.com",
        'module.a["research"].module.b["k"].aws_iam_access_key.k': "research@example.com",
        'module.a["research"].module.b["k"].aws_iam_user.u[0]': "research@example.com",
        'module.a["research"].module.b["k"].aws_iam_user.u[1]': "research@example.com",
        'module.a["search"].module.b["k"].aws_iam_access_key.k': "search@example.com",
        'module.a["search"].module.b["k"].aws_iam_user.u[0]': "search@example.com",
        'module.a["search"].module.b["k"].aws_iam_user.u[1]': "search@example.com",
        'module.bot["billing"].aws_iam_role.this': "billing@example.com",
        'module.bot["support-chat"].aws_iam_role.this': "support@example.com",
        # Owner and expiry come from the aliased provider's default_tags passed in `providers`.
        "module.west_bot.aws_iam_role.this": "west-team@example.com",
    }
    assert findings(doc) == {
        ("unknown-until-apply", "aws_iam_role.per_team"),
        ("missing-owner", "aws_iam_user.lonely"),
        ("missing-expiry", "aws_iam_user.lonely"),
        ("module-not-followed", "module.iam"),
        # access keys live 90 days at most; these inherit their user's 2027-01-10
        ("expiry-too-far", 'module.a["research"].module.b["k"].aws_iam_access_key.k'),
        ("expiry-too-far", 'module.a["search"].module.b["k"].aws_iam_access_key.k'),
    }


def test_child_only_directories_are_not_roots() -> None:
    docs = load_document(str(FIX / "tree"))
    assert [Path(d.path).name for d in docs] == ["tree", "unused-root"]


def test_sources_and_lines_point_into_the_child() -> None:
    _, doc, _ = check(FIX / "tree")
    by = {i["address"]: i["source"] for i in doc["identities"]}
    assert by['module.bot["billing"].aws_iam_role.this']["file"].endswith("modules/bot/main.tf")
    assert by['module.bot["billing"].aws_iam_role.this']["line"] == 19
    assert by['module.a["search"].module.b["k"].aws_iam_user.u[1]']["line"] == 5
    assert by["aws_iam_user.unquoted"]["line"] == 78  # bare labels keep their line


def test_tags_resolve_per_instance_and_default_tags_reach_children() -> None:
    docs = load_document(str(FIX / "tree"))
    res = {r.address: r for r in docs[0].resources}
    billing = res['module.bot["billing"].aws_iam_role.this']
    assert billing.values["tags"] == {"owner": "billing@example.com", "expires_at": "2027-03-01",
                                      "purpose": "chat bot bot-billing"}
    assert billing.values["tags_all"]["cost_center"] == "ai-platform"
    west = res["module.west_bot.aws_iam_role.this"]
    assert "cost_center" not in west.values["tags_all"]
    assert west.values["tags_all"]["expires_at"] == "2027-01-31"
    # count.index, and module outputs the parent reads statically
    assert res["aws_iam_user.ci[1]"].values["name"] == "ci-1"
    assert res["aws_iam_user.ci[1]"].index == 1
    assert res['module.bot["billing"].aws_iam_role.this'].module == 'module.bot["billing"]'
    # references inside a module are module-qualified configuration addresses
    key = res['module.a["search"].module.b["k"].aws_iam_access_key.k']
    assert key.references == ("module.a.module.b.aws_iam_user.u",)


def test_unknown_for_each_is_reported_once_at_the_config_address() -> None:
    _, doc, _ = check(FIX / "tree")
    msgs = [f["message"] for f in doc["findings"] if f["address"] == "aws_iam_role.per_team"]
    assert msgs == [("aws_iam_role.per_team its instances are not known until apply (for_each is not "
                     "known statically; judged once at its configuration address)")]


def test_unknown_module_count_marks_every_child_resource(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./m"\n  count  = length(data.x.y.ids)\n}\n',
        "m/main.tf": 'resource "aws_iam_user" "u" {\n  tags = { owner = "o@example.com", '
                     'expires_at = "2026-07-01" }\n}\n',
    })
    _, doc, _ = check(tmp_path)
    assert owners(doc) == {"module.m.aws_iam_user.u": "o@example.com"}
    [f] = [f for f in doc["findings"] if f["rule"] == "unknown-until-apply"]
    assert "count of module.m is not known statically" in f["message"]


def test_registry_module_reported_once_per_call(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'module "x" {\n  source = "./x"\n  for_each = toset(["a", "b"])\n}\n',
        "x/main.tf": 'module "reg" {\n  source = "hashicorp/consul/aws"\n}\n',
    })
    code, doc, _ = check(tmp_path, "--fail-on", "info")
    assert code == 1
    [f] = doc["findings"]
    assert (f["rule_id"], f["rule"], f["address"], f["severity"]) == (
        "NHI014", "module-not-followed", "module.x.module.reg", "info")
    assert "hashicorp/consul/aws" in f["message"]
    assert f["source"]["line"] == 1


def test_tfvars_of_the_root_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'variable "o" {\n  default = "root-default@example.com"\n}\n'
                   'module "m" {\n  source = "./m"\n  o = var.o\n}\n',
        "terraform.tfvars": 'o = "root-tfvars@example.com"\n',
        "m/main.tf": 'variable "o" {}\nvariable "e" {\n  default = "2026-07-01"\n}\n'
                     'resource "aws_iam_user" "u" {\n  tags = { owner = var.o, expires_at = var.e }\n}\n',
        "m/terraform.tfvars": 'e = "1999-01-01"\n',
    })
    _, doc, _ = check(tmp_path)
    [ident] = doc["identities"]
    assert (ident["address"], ident["owner"], ident["expires_at"]) == (
        "module.m.aws_iam_user.u", "root-tfvars@example.com", "2026-07-01")


# -- Terraform's own rules: errors ------------------------------------------------------------------

def test_duplicate_resource_names_both_places(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.tf": '\nresource "aws_iam_user" "u" {}\n', "b.tf": 'resource aws_iam_user u {\n}\n'})
    code, _, out = check(tmp_path)
    assert code == 2
    assert f"{tmp_path / 'b.tf'}:1: duplicate resource \"aws_iam_user\" \"u\": also declared at " \
           f"{tmp_path / 'a.tf'}:2" in out


def test_duplicate_module_calls(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.tf": 'module "m" {\n  source = "./m"\n}\nmodule "m" {\n  source = "./m"\n}\n',
                     "m/main.tf": "# m\n"})
    code, _, out = check(tmp_path)
    assert code == 2
    assert f"{tmp_path / 'a.tf'}:4: duplicate module \"m\": also declared at {tmp_path / 'a.tf'}:1" in out


def test_missing_local_source_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": '\n\nmodule "gone" {\n  source = "./nowhere"\n}\n'})
    code, _, out = check(tmp_path)
    assert code == 2
    assert f'{tmp_path / "main.tf"}:3: module "gone": local source "./nowhere" is not a directory' in out


@pytest.mark.parametrize("shape", ["self", "pair", "pair-with-root"])
def test_module_cycle_is_an_error_never_a_hang(tmp_path: Path, shape: str) -> None:
    files = {"a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
             "b/main.tf": 'module "a" {\n  source = "../a"\n}\n'}
    if shape == "self":
        files = {"main.tf": 'module "me" {\n  source = "./"\n}\n'}
    if shape == "pair-with-root":
        files["main.tf"] = 'module "a" {\n  source = "./a"\n}\n'
    write_tree(tmp_path, files)
    code, _, out = check(tmp_path)
    assert code == 2
    assert "a cycle of module calls" in out and ":1: module" in out


def test_count_and_for_each_together_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" {\n  count = 1\n  for_each = {}\n}\n'})
    code, _, out = check(tmp_path)
    assert code == 2 and "sets both count and for_each" in out


def test_symlink_loop_is_visited_once(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" {\n  tags = { owner = "o@example.com", '
                                'expires_at = "2026-07-01" }\n}\n'})
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    os.symlink("../sub", tmp_path / "sub" / "again")
    code, doc, _ = check(tmp_path)
    assert code == 0
    assert [i["address"] for i in doc["identities"]] == ["aws_iam_user.u"]


def test_unreadable_tf_file_is_an_error(tmp_path: Path) -> None:
    # A .tf entry that cannot be read (a symlink pointing at itself): never silently skipped.
    write_tree(tmp_path, {"main.tf": "# root\n", "sub/ok.tf": "# ok\n"})
    os.symlink("bad.tf", tmp_path / "sub" / "bad.tf")
    code, _, out = check(tmp_path)
    assert code == 2
    assert str(tmp_path / "sub" / "bad.tf") in out


def test_dangling_tf_symlink_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": "# root\n"})
    os.symlink("missing-target.tf", tmp_path / "dangling.tf")
    code, _, out = check(tmp_path)
    assert code == 2 and "dangling.tf" in out


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: chmod 000 does not stop root from reading the directory")
def test_unreadable_subdirectory_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": "# root\n", "locked/x.tf": "# x\n"})
    (tmp_path / "locked").chmod(0)
    try:
        code, _, out = check(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert code == 2 and "locked" in out


def test_hidden_directories_stay_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": "# root\n", ".terraform/modules/x/main.tf": 'resource "aws_iam_user" "u" {}\n'})
    code, doc, _ = check(tmp_path)
    assert code == 0 and doc["identities"] == []


def test_non_ascii_names_and_deep_nesting(tmp_path: Path) -> None:
    deep = "{ a = " * 500 + '"x"' + " }" * 500  # deeper than Python's default recursion limit
    write_tree(tmp_path, {"main.tf": 'resource "aws_iam_user" "bénédicte" {\n  tags = { owner = "o@example.com", '
                                f'expires_at = "2026-07-01" }}\n  deep = {deep}\n}}\n'})
    code, doc, _ = check(tmp_path)
    assert code == 0
    assert [i["address"] for i in doc["identities"]] == ["aws_iam_user.bénédicte"]


def test_instance_budget_refuses_huge_counts(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'resource "aws_iam_user" "u" {\n  count = 100000000\n}\n'})
    code, _, out = check(tmp_path)
    assert code == 2 and "exceeds" in out


# -- cdk.tf.json ------------------------------------------------------------------------------------

def test_cdktf_module_blocks() -> None:
    code, doc, out = check(FIX / "cdktf")
    assert code == 0, out  # a tag given from a sensitive variable is left out; the owner is another
    assert owners(doc) == {
        "aws_iam_user.direct": "direct@example.com",
        'module.agents["summary"].aws_iam_role.agent': "agents@example.com",
        'module.agents["triage"].aws_iam_role.agent': "agents@example.com",
        "module.tokened.aws_iam_user.tokened": "tokened@example.com",
    }
    assert findings(doc) == {("module-not-followed", "module.remote")}
    assert "CANARY" not in out


# -- sensitive variables ----------------------------------------------------------------------------

def test_sensitive_defaults_never_reach_any_output(tmp_path: Path) -> None:
    path = FIX / "sensitive"
    for fmt in ("text", "json", "sarif", "markdown", "junit", "github"):
        result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "-f", fmt],
                                    catch_exceptions=False)
        assert "CANARY" not in result.stdout + (result.stderr or ""), fmt
    _, doc, _ = check(path)
    # Terraform marks each of these owners sensitive (declared so, derived through a local, a module
    # argument or a child's output): unreadable, an error, as a plan of the same configuration says
    assert owners(doc) == {
        "aws_iam_user.from_local": None,
        "aws_iam_user.from_output": None,
        "aws_iam_user.from_paren": None,
        "aws_iam_user.from_string": None,
        "aws_iam_user.visible": "visible@example.com",
        "module.child.aws_iam_user.child_owner": None,
        "module.child.aws_iam_user.child_plain": None,
    }
    assert {f["address"] for f in doc["findings"] if "marked sensitive" in f["message"]} == {
        a for a, o in owners(doc).items() if o is None}
    for doc_ in load_document(str(path)):
        assert "CANARY" not in repr([dict(r.values) for r in doc_.resources])


def test_sensitive_default_never_in_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'variable "s" {\n  default = "CANARY-IN-ERROR"\n  sensitive = "true"\n}\n'
                                'module "m" {\n  source = "./${var.s}"\n}\n'})
    _, _, out = check(tmp_path)
    assert "CANARY" not in out


def test_bare_non_ascii_labels_and_resource_provider_alias(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": (
        'provider "aws" {\n  alias = "west"\n  default_tags {\n'
        '    tags = { owner = "w@example.com", expires_at = "2026-07-01" }\n  }\n}\n'
        "# é in a comment\n"
        'resource aws_iam_user bénédicte {\n  provider = aws.west\n  name = "é"\n}\n'
        'resource "aws_iam_user" "default_provider" {\n  name = "d"\n}\n'
        'resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.bénédicte.name\n}\n')})
    _, doc, _ = check(tmp_path)
    got = {i["address"]: (i["owner"], i["source"]["line"], i["parent"]) for i in doc["identities"]}
    assert got == {"aws_iam_user.bénédicte": ("w@example.com", 8, None),
                   "aws_iam_user.default_provider": (None, 12, None),
                   "aws_iam_access_key.k": ("w@example.com", 15, "aws_iam_user.bénédicte")}


def test_unreadable_tfvars_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": "# root\n"})
    os.symlink("nowhere.tfvars", tmp_path / "terraform.tfvars")
    code, _, out = check(tmp_path)
    assert code == 2 and "terraform.tfvars" in out


# -- against Terraform itself -----------------------------------------------------------------------

TF_TREE = {
    "main.tf": '''variable "bots" {
  default = {
    "support-chat" = { n = 2 }
    "a b"          = { n = 1 }
    "ü\\"q"         = { n = 0 }
  }
}

locals {
  extra = toset(["x", "y", "x"])
}

module "bot" {
  source   = "./bot"
  for_each = var.bots

  n    = each.value.n
  name = each.key
}

module "plain" {
  source = "./bot"
  n      = 1
  name   = "plain"
}

resource "terraform_data" "root" {
  for_each = local.extra
  input    = each.key
}

resource "terraform_data" "counted" {
  count = 2
}

module "counted" {
  source = "./inner"
  count  = length(var.bots) > 5 ? 0 : 2
  v      = "c${count.index}"
}

resource "terraform_data" "filtered" {
  for_each = { for k, v in var.bots : upper(k) => v if v.n > 0 }
  input    = each.value.n
}

resource "terraform_data" "gated" {
  count = var.bots["a b"].n == 1 ? 1 : 0
}
''',
    "bot/main.tf": '''variable "n" {}
variable "name" {}

resource "terraform_data" "this" {
  count = var.n
  input = "${var.name}-${count.index}"
}

module "inner" {
  source   = "../inner"
  for_each = { k = var.name, "l m" = var.name }
  v        = each.value
}
''',
    "inner/main.tf": '''variable "v" {}

resource "terraform_data" "leaf" {
  input = var.v
}
''',
}


@pytest.mark.terraform
def test_instance_addresses_match_terraform_plan(tmp_path: Path) -> None:
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        tf = find_terraform(timeout=300)
    except TerraformError as exc:
        pytest.skip(str(exc))
    write_tree(tmp_path, TF_TREE)
    tf.init(tmp_path)
    plan = tf.plan(tmp_path, out="out.tfplan")
    shown = tf.show_json(tmp_path, plan.planfile or "")
    theirs = sorted(rc["address"] for rc in shown["resource_changes"])
    [doc] = load_document(str(tmp_path))
    ours = sorted(r.address for r in doc.resources)
    assert ours == theirs
    assert 'module.bot["ü\\"q"].module.inner["l m"].terraform_data.leaf' in ours


def test_sensitive_child_output_is_unreadable(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./m"\n}\nresource "aws_iam_user" "u" {\n'
                   '  tags = { owner = module.m.o, expires_at = module.m.e }\n}\n',
        "m/main.tf": 'output "o" {\n  value = "CANARY-OUTPUT"\n  sensitive = "true"\n}\n'
                     'output "e" {\n  value = "2026-07-01"\n}\n',
    })
    code, doc, out = check(tmp_path)
    assert code == 1 and "CANARY" not in out
    assert owners(doc) == {"aws_iam_user.u": None}
    assert "marked sensitive" in doc["findings"][0]["message"]
    assert doc["identities"][0]["expires_at"] == "2026-07-01"


def test_repository_module_examples_give_module_addresses() -> None:
    repo = Path(__file__).resolve().parents[1]
    docs = load_document(str(repo / "modules"))
    # nhi-lifecycle, nhi-agents and aws-ai-integration are only called (by the examples): not roots.
    assert sorted(Path(d.path).relative_to(repo / "modules").as_posix() for d in docs) == [
        "aws-ai-integration/examples/bedrock-agent", "nhi-agents/examples/basic", "nhi-lifecycle/examples/basic"]
    _, doc, _ = check(repo / "modules" / "aws-ai-integration")
    assert owners(doc) == {
        "module.research_agent.aws_iam_role.workload[0]": "team-research@example.com",
        'module.research_agent.aws_iam_role_policy_attachment.managed["arn:aws:iam::aws:policy/'
        'AmazonS3ReadOnlyAccess"]': "team-research@example.com",
        "module.research_agent.aws_secretsmanager_secret.api_key[0]": "team-research@example.com",
        "module.research_agent.aws_secretsmanager_secret_rotation.api_key[0]": "team-research@example.com",
    }


@pytest.mark.terraform
def test_json_configuration_module_addresses_match_terraform_plan(tmp_path: Path) -> None:
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        tf = find_terraform(timeout=300)
    except TerraformError as exc:
        pytest.skip(str(exc))
    config = {
        "variable": {"names": {"default": ["b", "a"]}},
        "module": {
            "each": {"source": "./inner", "for_each": "${toset(var.names)}", "v": "${each.key}"},
            "counted": {"source": "./inner", "count": 2, "v": "c"},
            "single": {"source": "./inner", "v": "s"},
        },
        "resource": {"terraform_data": {"root": {"count": 3}, "keyed": {"for_each": {"x": 1, "y z": 2}}}},
    }
    write_tree(tmp_path, {"main.tf.json": json.dumps(config), "inner/main.tf": TF_TREE["inner/main.tf"]})
    tf.init(tmp_path)
    plan = tf.plan(tmp_path, out="out.tfplan")
    shown = tf.show_json(tmp_path, plan.planfile or "")
    theirs = sorted(rc["address"] for rc in shown["resource_changes"])
    docs = load_document(str(tmp_path))
    ours = sorted(r.address for d in docs for r in d.resources)
    assert ours == theirs


def test_unlistable_subdirectory_is_an_error_even_as_root(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot stop root, so the listing failure is injected where the walk lists directories.
    from nhi_toolkit.loaders import hcl

    write_tree(tmp_path, {"main.tf": "# root\n", "locked/x.tf": "# x\n"})
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(hcl.os, "scandir", scandir)
    with pytest.raises(InputError) as err:
        load_document(str(tmp_path))
    assert err.value.file == str(tmp_path / "locked")
    assert "cannot read this directory (Permission denied)" in str(err.value)


def test_credentials_in_a_module_source_are_not_shown(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'module "a" {\n  source = "git::https://bot:CANARY-PAT@example.com/m.git?ref=v1"\n}\n'
                                'module "b" {\n  source = "s3::https://b.s3.amazonaws.com/m.zip?X-Amz-Signature=CANARY-SIG"\n}\n'})
    _, doc, out = check(tmp_path)
    assert "CANARY" not in out
    msgs = sorted(f["message"] for f in doc["findings"])
    assert "git::https://***@example.com/m.git?ref=v1" in msgs[0]
    assert "X-Amz-Signature=***" in msgs[1]


def test_child_outside_the_checked_directory_is_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "live/main.tf": 'module "m" {\n  source = "../shared/m"\n}\n',
        "shared/m/main.tf": 'resource "aws_iam_user" "u" {\n  tags = { owner = "o@example.com", '
                            'expires_at = "2026-07-01" }\n}\n',
    })
    _, doc, _ = check(tmp_path / "live")
    [ident] = doc["identities"]
    assert ident["address"] == "module.m.aws_iam_user.u"
    assert (ident["source"]["file"], ident["source"]["line"]) == (str(tmp_path / "shared" / "m" / "main.tf"), 1)


@pytest.mark.parametrize("username", ['join("", aws_iam_user.u.*.name)', "aws_iam_user.u[0].name"])
def test_a_credential_naming_its_user_through_a_local_inherits_from_it(tmp_path: Path, username: str) -> None:
    # user = local.username: the local refers to the user, so the key belongs to it (an expired owner
    # passes on to the key); without the link the key was judged parentless.
    write_tree(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./m"\n}\n',
        "m/main.tf": f'locals {{\n  username = {username}\n  name     = local.username\n}}\n'
                     'resource "aws_iam_user" "u" {\n  count = 1\n  name  = "bot"\n'
                     '  tags  = { owner = "o@example.com", expires_at = "2026-05-01" }\n}\n'
                     'resource "aws_iam_access_key" "k" {\n  user = local.name\n}\n',
    })
    _, doc, _ = check(tmp_path)
    got = {i["address"]: (i["owner"], i["parent"], i["status"]) for i in doc["identities"]}
    assert got["module.m.aws_iam_access_key.k"] == ("o@example.com", "module.m.aws_iam_user.u[0]", "expired")
    assert ("expired", "module.m.aws_iam_access_key.k") in findings(doc)


def test_for_each_over_a_resource_takes_its_instance_keys(tmp_path: Path) -> None:
    # for_each = aws_iam_user.this: Terraform knows the keys (the users'), so each key is the
    # instance of the user with the same key, and inherits its expiry (one was expired).
    write_tree(tmp_path, {"main.tf": (
        'resource "aws_iam_user" "this" {\n  for_each = { a = "2026-05-01", b = "2026-07-15" }\n'
        '  name = each.key\n  tags = { owner = "o@example.com", expires_at = each.value }\n}\n'
        'resource "aws_iam_access_key" "this" {\n  for_each = aws_iam_user.this\n  user = each.value.name\n}\n'
        'resource "aws_iam_user" "counted" {\n  count = 2\n  name = "c${count.index}"\n}\n'
        'resource "aws_iam_access_key" "counted" {\n  for_each = aws_iam_user.counted\n  user = each.value.name\n}\n')})
    _, doc, _ = check(tmp_path)
    got = {i["address"]: (i["parent"], i["status"]) for i in doc["identities"]}
    assert got['aws_iam_access_key.this["a"]'] == ('aws_iam_user.this["a"]', "expired")
    assert got['aws_iam_access_key.this["b"]'] == ('aws_iam_user.this["b"]', "ok")
    assert "aws_iam_access_key.this" not in got
    # a counted resource is a list: Terraform refuses it as for_each; judged once, unknown
    assert ("unknown-until-apply", "aws_iam_access_key.counted") in findings(doc)


_WRAPPED_USER = ('variable "tags" {\n  type = map(string)\n}\n'
                 'variable "policies" {\n  type    = map(object({ arn = string }))\n  default = {}\n}\n'
                 'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = var.tags\n}\n'
                 'output "tags" {\n  value = var.tags\n}\n')


def test_try_in_a_root_reading_its_own_variables_is_evaluated_beside_a_child_with_object_types(
        tmp_path: Path) -> None:
    # A wrapper root: try(each.value.tags, var.defaults.tags, {}) reads only the root's variables
    # (type any), which nothing reshapes; a child's object() type does not reach them. All three
    # were unknown (info, exit 0): an expired user and one without an owner passed.
    write_tree(tmp_path, {
        "main.tf": 'variable "items" {\n  type    = any\n  default = {}\n}\n'
                   'variable "defaults" {\n  type    = any\n  default = {}\n}\n'
                   'module "wrapper" {\n  source   = "./m"\n  for_each = var.items\n'
                   '  tags     = try(each.value.tags, var.defaults.tags, {})\n}\n',
        "terraform.tfvars": 'defaults = { tags = { owner = "team@example.com", expires_at = "2026-07-01" } }\n'
                            'items = {\n  old  = { tags = { owner = "a@example.com", expires_at = "2026-05-01" } }\n'
                            '  dflt = {}\n  anon = { tags = { Name = "x" } }\n}\n',
        "m/main.tf": _WRAPPED_USER,
    })
    code, doc, _ = check(tmp_path)
    got = {i["address"]: (i["owner"], i["status"]) for i in doc["identities"]}
    assert got == {'module.wrapper["old"].aws_iam_user.this': ("a@example.com", "expired"),
                   'module.wrapper["dflt"].aws_iam_user.this': ("team@example.com", "ok"),
                   'module.wrapper["anon"].aws_iam_user.this': (None, "no-owner")}
    assert code == 1


def test_try_in_a_root_reading_a_child_output_stays_unknown_beside_object_types(tmp_path: Path) -> None:
    # the child's output may be reshaped by its object() variable: try() on it is not evaluated
    write_tree(tmp_path, {
        "main.tf": 'module "c" {\n  source = "./m"\n  tags   = { Name = "x" }\n}\n'
                   'locals {\n  got = module.c.tags\n}\n'
                   'resource "aws_iam_user" "direct" {\n  tags = try(module.c.tags.owner, { owner = "x" })\n}\n'
                   'resource "aws_iam_user" "via" {\n  tags = try(local.got.owner, { owner = "x" })\n}\n',
        "m/main.tf": _WRAPPED_USER,
    })
    _, doc, _ = check(tmp_path)
    assert owners(doc)["aws_iam_user.direct"] == owners(doc)["aws_iam_user.via"] == "(unknown)"
