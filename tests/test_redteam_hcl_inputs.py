"""Module trees written elsewhere (public module repositories): shapes nobody here wrote."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main

NOW = "2026-12-01"


def _check(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", *args, "--now", NOW, "--format", "json", "--no-cache"])
    try:
        return result.exit_code, json.loads(result.output)
    except ValueError:
        return result.exit_code, {"output": result.output}


def test_empty_tf_file_declares_nothing(tmp_path: Path) -> None:
    # terraform-aws-modules ships an empty variables.tf in every example; Terraform reads it as
    # declaring nothing, so the tree is still judged (here: an unowned user is an error).
    (tmp_path / "variables.tf").write_bytes(b"")
    (tmp_path / "outputs.tf").write_bytes(b"\n  \n")
    (tmp_path / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n', encoding="utf-8")
    code, doc = _check(str(tmp_path))
    assert code == 1, doc
    assert {f["rule"] for f in doc["findings"]} >= {"missing-owner", "missing-expiry"}


def test_empty_tfvars_file_declares_nothing(tmp_path: Path) -> None:
    (tmp_path / "terraform.tfvars").write_bytes(b"")
    (tmp_path / "main.tf").write_text(
        'variable "owner" {\n  default = "alice"\n}\n'
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = var.owner }\n}\n', encoding="utf-8")
    code, doc = _check(str(tmp_path))
    assert code == 1, doc
    assert [i["owner"] for i in doc["identities"]] == ["alice"]


_TAGGED_BY_VAR = ('variable "tags" {\n  default = { owner = "alice", expires_at = "2027-06-01" }\n}\n'
                  'resource "aws_iam_user" "bot" {\n  name = "bot"\n  tags = var.tags\n}\n')


def test_tfvars_json_overrides_a_default(tmp_path: Path) -> None:
    # Terraform reads terraform.tfvars.json like terraform.tfvars: the owner the default gave is gone.
    (tmp_path / "main.tf").write_text(_TAGGED_BY_VAR, encoding="utf-8")
    (tmp_path / "terraform.tfvars.json").write_text('{"tags": {"team": "x"}}', encoding="utf-8")
    code, doc = _check(str(tmp_path))
    assert code == 1, doc
    assert [i["owner"] for i in doc["identities"]] == [None]


def test_auto_tfvars_json_comes_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_TAGGED_BY_VAR, encoding="utf-8")
    (tmp_path / "a.auto.tfvars").write_text('tags = { owner = "bob", expires_at = "2027-01-01" }\n',
                                             encoding="utf-8")
    (tmp_path / "b.auto.tfvars.json").write_text('{"tags": {"team": "x"}}', encoding="utf-8")
    code, doc = _check(str(tmp_path))
    assert code == 1, doc
    assert [i["owner"] for i in doc["identities"]] == [None]


def test_tfvars_json_values_are_literal(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_TAGGED_BY_VAR, encoding="utf-8")
    owner = 'a"b\\c ${var.x} %{ if } \n'
    (tmp_path / "terraform.tfvars.json").write_text(
        json.dumps({"tags": {"owner": owner, "expires_at": "2025-01-01"}}), encoding="utf-8")
    code, doc = _check(str(tmp_path))
    assert code == 1, doc
    assert [(i["owner"], i["status"]) for i in doc["identities"]] == [(owner, "expired")]


def test_tfvars_json_change_reaches_a_cached_load(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NHI_CACHE_DIR", str(tmp_path / "cache"))
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "main.tf").write_text(_TAGGED_BY_VAR, encoding="utf-8")
    (tree / "terraform.tfvars.json").write_text('{"tags": {"owner": "alice", "expires_at": "2027-06-01"}}',
                                                encoding="utf-8")
    args = ["check", str(tree), "--now", NOW, "--format", "json"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (tree / "terraform.tfvars.json").write_text('{"tags": {"team": "x"}}', encoding="utf-8")
    assert CliRunner().invoke(main, args).exit_code == 1


def _tree(tmp_path: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path)


def test_override_file_replaces_a_variable_default_whatever_its_name(tmp_path: Path) -> None:
    # Terraform reads override files after all others, whatever their names sort as.
    code, doc = _check(_tree(tmp_path, {"z.tf": _TAGGED_BY_VAR,
                                        "a_override.tf": 'variable "tags" {\n  default = { team = "x" }\n}\n'}))
    assert code == 1, doc
    assert [i["owner"] for i in doc["identities"]] == [None]


def test_override_file_replaces_a_local(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {
        "z.tf": 'locals {\n  owner = "alice"\n}\nresource "aws_iam_user" "bot" {\n  name = "bot"\n'
                '  tags = { owner = local.owner, expires_at = "2027-06-01" }\n}\n',
        "a_override.tf": 'locals {\n  owner = ""\n}\n'}))
    assert code == 1, doc
    assert [i["owner"] for i in doc["identities"]] == [None]


def test_override_file_merges_into_a_resource(tmp_path: Path) -> None:
    # Not a duplicate: the override's tags replace the original's, its other arguments stay.
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'resource "aws_iam_user" "bot" {\n  name = "bot"\n'
                   '  tags = { owner = "alice", expires_at = "2027-06-01" }\n}\n',
        "override.tf": 'resource "aws_iam_user" "bot" {\n  tags = { team = "x" }\n}\n'}))
    assert code == 1, doc
    assert [(i["address"], i["owner"]) for i in doc["identities"]] == [("aws_iam_user.bot", None)]


def test_override_without_default_keeps_the_default(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'variable "tags" {\n  default = {}\n}\n'
                   'resource "aws_iam_user" "bot" {\n  name = "bot"\n  tags = var.tags\n}\n',
        "main_override.tf": 'variable "tags" {\n  description = "d"\n}\n'}))
    assert code == 1, doc
    assert [f["rule"] for f in doc["findings"]] == ["missing-owner", "missing-expiry"]


def test_blank_heredoc_owner_is_no_owner(tmp_path: Path) -> None:
    # The heredoc's value is an empty string, not the text of its markers.
    code, doc = _check(_tree(tmp_path, {"main.tf": (
        'resource "aws_iam_user" "bot" {\n  name = "bot"\n'
        '  tags = {\n    owner = <<-EOT\n    EOT\n    expires_at = "2027-06-01"\n  }\n}\n')}))
    assert code == 1, doc
    assert [(i["owner"], i["status"]) for i in doc["identities"]] == [(None, "no-owner")]


def test_heredoc_values_are_their_text(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {"main.tf": (
        'resource "aws_iam_user" "bot" {\n  name = "bot"\n'
        '  tags = {\n    owner = <<-EOT\n      alice\n    EOT\n'
        '    expires_at = <<EOT\n2025-06-01\nEOT\n  }\n}\n')}))
    assert code == 1, doc
    assert [i["status"] for i in doc["identities"]] == ["expired"]
    assert doc["identities"][0]["owner"].strip() == "alice"


def test_lookup_default_and_coalesce_are_evaluated(tmp_path: Path) -> None:
    # A common module idiom: lookup(var.tags, "owner", "") with no owner given is an empty owner.
    code, doc = _check(_tree(tmp_path, {"main.tf": (
        'variable "tags" {\n  default = {}\n}\n'
        'resource "aws_iam_user" "a" {\n  name = "a"\n'
        '  tags = { owner = lookup(var.tags, "owner", ""), expires_at = "2027-06-01" }\n}\n'
        'resource "aws_iam_user" "b" {\n  name = "b"\n'
        '  tags = { owner = coalesce(lookup(var.tags, "owner", null), "alice"), '
        'expires_at = lookup({ expires_at = "2025-01-01" }, "expires_at") }\n}\n')}))
    assert code == 1, doc
    assert [(i["address"], i["owner"], i["status"]) for i in doc["identities"]] == [
        ("aws_iam_user.a", None, "no-owner"), ("aws_iam_user.b", "alice", "expired")]


def test_wrapper_try_pattern_judges_the_fallback(tmp_path: Path) -> None:
    # The terraform-aws-modules wrappers: tags = try(each.value.tags, var.defaults.tags, {}) with type = any.
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "tags" {\n  default = {}\n}\n'
        'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = var.tags\n}\n', encoding="utf-8")
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'variable "defaults" {\n  type    = any\n  default = {}\n}\n'
                   'variable "items" {\n  type    = any\n  default = { bot = { name = "bot" } }\n}\n'
                   'module "wrapper" {\n  source   = "./m"\n  for_each = var.items\n'
                   '  tags     = try(each.value.tags, var.defaults.tags, {})\n}\n'}))
    assert code == 1, doc
    assert [(i["address"], i["owner"], i["status"]) for i in doc["identities"]] == [
        ('module.wrapper["bot"].aws_iam_user.this', None, "no-owner")]


@pytest.mark.parametrize("items_type", [
    "map(object({ name = string, tags = optional(map(string)) }))",  # a missing tags is null, not an error
    "map(object({ name = string }))",                                # tags given are dropped by the type
    "any",                                                           # (the child's type decides below)
])
def test_try_under_a_reshaping_type_is_not_judged_on_the_fallback(tmp_path: Path, items_type: str) -> None:
    # Terraform converts a value through its variable's type: optional() fills a missing attribute
    # with null (try() then returns null: no owner), object() drops attributes it does not name. The
    # fallback naming an owner must not be taken for the identity's own: never a pass. With the root's
    # variable typed any, nothing reshapes what the root's try() reads (the child's type converts only
    # its result): Terraform 1.11 plans the fallback, owner alice, and so is it judged.
    (tmp_path / "m").mkdir()
    child_type = "object({ owner = optional(string), expires_at = optional(string) })" \
        if items_type == "any" else "any"
    (tmp_path / "m" / "main.tf").write_text(
        f'variable "tags" {{\n  type    = {child_type}\n  default = {{}}\n}}\n'
        'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = var.tags\n}\n', encoding="utf-8")
    _, doc = _check(_tree(tmp_path, {
        "main.tf": f'variable "items" {{\n  type    = {items_type}\n'
                   '  default = { bot = { name = "bot", tags = { owner = "mallory" } } }\n}\n'
                   'module "wrapper" {\n  source   = "./m"\n  for_each = var.items\n'
                   '  tags     = try(each.value.extra, { owner = "alice", expires_at = "2030-01-01" })\n}\n'}))
    if items_type == "any":
        assert [(i["owner"], i["expires_at"]) for i in doc["identities"]] == [("alice", "2030-01-01")], doc
        return
    assert [i["owner"] for i in doc["identities"]] != ["alice"], doc
    assert len(doc["identities"]) == 1 and doc["identities"][0]["status"] != "ok", doc


def test_number_as_for_expression_value_is_read(tmp_path: Path) -> None:
    # unfunco/terraform-aws-oidc-github validates with length([for s in var.x : 1 if ...]); python-hcl2
    # cannot serialise the bare number, which refused the whole tree (exit 2) though Terraform reads it.
    code, doc = _check(_tree(tmp_path, {
        "variables.tf": 'variable "subjects" {\n  default = []\n  validation {\n'
                        '    condition = length([\n      for s in var.subjects : 1\n      if length(s) > 0\n'
                        '    ]) == length(var.subjects)\n    error_message = "e"\n  }\n}\n'
                        'locals {\n  counts = { for s in ["a"] : s => 2.5 }\n}\n',
        "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n'}))
    assert code == 1, doc
    assert [f["source"]["line"] for f in doc["findings"]] == [1, 1]


def test_gcp_description_chosen_with_index_and_element(tmp_path: Path) -> None:
    # terraform-google-modules/service-accounts: owner/expiry live in the description (kv text), chosen by
    # index()/element(); the description given holds neither, so both are missing, not unknown.
    code, doc = _check(_tree(tmp_path, {"main.tf": (
        'variable "names" {\n  default = ["ci"]\n}\nvariable "descriptions" {\n  default = []\n}\n'
        'variable "description" {\n  default = "CI account"\n}\n'
        'resource "google_service_account" "sa" {\n  for_each   = toset(var.names)\n'
        '  account_id = each.value\n'
        '  description = index(var.names, each.value) >= length(var.descriptions) ? var.description : '
        'element(var.descriptions, index(var.names, each.value))\n}\n'
        'resource "google_service_account" "ok" {\n  account_id  = "ok"\n'
        '  description = join(" ", concat(["owner=alice"], ["expires_at=2027-01-01"]))\n}\n')}))
    assert code == 1, doc
    assert [(i["address"], i["owner"], i["status"]) for i in doc["identities"]] == [
        ("google_service_account.ok", "alice", "ok"), ('google_service_account.sa["ci"]', None, "no-owner")]


@pytest.mark.parametrize(("original", "override"), [
    ("  lifecycle {\n    prevent_destroy = true\n  }\n", "  lifecycle {\n    create_before_destroy = true\n  }\n"),
    ("", "  lifecycle {\n    prevent_destroy = true\n  }\n"),
])
def test_override_lifecycle_merges_argument_by_argument(tmp_path: Path, original: str, override: str) -> None:
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n'
                   f'  tags = {{ owner = "alice", expires_at = "2027-06-01" }}\n{original}}}\n',
        "main_override.tf": f'resource "aws_iam_user" "u" {{\n{override}}}\n'}))
    assert code == 1, doc
    assert [f["rule"] for f in doc["findings"]] == ["missing-revocation-path"]


def test_called_module_mixing_tf_and_tf_json(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    _tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./m"\n}\n',
                     "m/variables.tf": 'variable "name" {\n  default = "bot"\n}\n',
                     "m/iam.tf.json": '{"resource": {"aws_iam_user": {"bot": {"name": "${var.name}"}}}}'})
    code, doc = _check(str(tmp_path))
    assert code != 0, doc


def test_root_tf_json_sees_tf_variables(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'variable "tags" {\n  default = { team = "x" }\n}\n',
        "iam.tf.json": '{"resource": {"aws_iam_user": {"bot": {"name": "bot", "tags": "${var.tags}"}}}}'}))
    assert code == 1, doc


def test_hidden_tf_files_are_not_read(tmp_path: Path) -> None:
    # Terraform skips files whose names start with a dot (an emacs lock .#main.tf is a dangling link).
    (tmp_path / ".#main.tf").symlink_to(tmp_path / "nowhere")
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n'
                   '  tags = { owner = "alice", expires_at = "2027-06-01" }\n}\n',
        ".old.tf": 'resource "aws_iam_user" "ghost" {\n  name = "g"\n}\n'}))
    assert code == 0, doc
    assert [i["address"] for i in doc["identities"]] == ["aws_iam_user.u"]


@pytest.mark.parametrize("value", ['"false"', "!true", "(false)"])
def test_removed_block_destroy_false_written_otherwise(tmp_path: Path, value: str) -> None:
    # Terraform converts the static value: each of these forgets the user (it stays alive in the cloud).
    code, doc = _check(_tree(tmp_path, {"main.tf": (
        f'removed {{\n  from = aws_iam_user.u\n  lifecycle {{\n    destroy = {value}\n  }}\n}}\n')}))
    assert code == 1, doc
    assert [f["rule"] for f in doc["findings"]] == ["missing-revocation-path"]


@pytest.mark.parametrize("value", ['"true"', "!false"])
def test_prevent_destroy_written_otherwise(tmp_path: Path, value: str) -> None:
    code, doc = _check(_tree(tmp_path, {"main.tf": (
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = "alice", expires_at = "2027-06-01" }\n'
        f'  lifecycle {{\n    prevent_destroy = {value}\n  }}\n}}\n')}))
    assert code == 1, doc
    assert [f["rule"] for f in doc["findings"]] == ["missing-revocation-path"]


def test_prevent_destroy_string_in_terraform_json(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {"main.tf.json": json.dumps({"resource": {"aws_iam_user": {"u": {
        "name": "u", "tags": {"owner": "alice", "expires_at": "2027-06-01"},
        "lifecycle": {"prevent_destroy": "true"}}}}})}))
    assert code == 1, doc
    assert [f["rule"] for f in doc["findings"]] == ["missing-revocation-path"]


def test_index_by_count_index_and_each_key(tmp_path: Path) -> None:
    # count over a list of maps, and one module's for_each outputs indexed by another's each.key.
    (tmp_path / "labels").mkdir()
    (tmp_path / "bot").mkdir()
    code, doc = _check(_tree(tmp_path, {
        "labels/main.tf": 'variable "owner" {}\noutput "tags" {\n'
                          '  value = { owner = var.owner, expires_at = "2027-01-01" }\n}\n',
        "bot/main.tf": 'variable "name" {}\nvariable "tags" {\n  default = {}\n}\n'
                       'resource "aws_iam_user" "this" {\n  name = var.name\n  tags = var.tags\n}\n',
        "main.tf": 'locals {\n  bots = [{ name = "a", owner = "alice" }, { name = "b", owner = "" }]\n'
                   '  by_name = { for b in local.bots : b.name => b }\n}\n'
                   'module "labels" {\n  for_each = local.by_name\n  source   = "./labels"\n'
                   '  owner    = each.value.owner\n}\n'
                   'module "bot" {\n  for_each = local.by_name\n  source   = "./bot"\n  name     = each.key\n'
                   '  tags     = module.labels[each.key].tags\n}\n'
                   'resource "aws_iam_user" "listed" {\n  count = length(local.bots)\n'
                   '  name  = local.bots[count.index].name\n'
                   '  tags  = { owner = local.bots[count.index]["owner"], expires_at = "2027-01-01" }\n}\n'}))
    assert code == 1, doc
    assert [(i["address"], i["owner"]) for i in doc["identities"]] == [
        ("aws_iam_user.listed[0]", "alice"), ("aws_iam_user.listed[1]", None),
        ('module.bot["a"].aws_iam_user.this', "alice"), ('module.bot["b"].aws_iam_user.this', None)]


@pytest.mark.parametrize("before", [
    # an example in a heredoc (a description, a README local)
    ('locals {\n  readme = <<EOT\n# nhi:ignore[missing-owner,missing-expiry] until=2099-01-01 reason="documentation only"\n'
    'resource "aws_iam_user" "u" {\nEOT\n}\n'),
    # a commented-out earlier version of the block
    ('/*\n# nhi:ignore[missing-owner,missing-expiry] until=2099-01-01 reason="old version, was waived"\n'
    'resource "aws_iam_user" "u" {\n  name = "old"\n}\n*/\n'),
])
def test_block_header_in_heredoc_or_comment_is_not_the_block(tmp_path: Path, before: str) -> None:
    # The block's line was taken from the first header-like line, so the waiver above that text
    # waived the real, unowned user (exit 0) and findings pointed into the heredoc or comment.
    text = before + '\nresource "aws_iam_user" "u" {\n  name = "u"\n  policy = "arn:aws:s3:::b/*"\n}\n'
    code, doc = _check(_tree(tmp_path, {"main.tf": text}))
    assert code == 1, doc
    real = text.splitlines().index('resource "aws_iam_user" "u" {', len(before.splitlines())) + 1
    assert {(f["rule"], f["source"]["line"], f["suppressed"]) for f in doc["findings"]} == {
        ("missing-owner", real, False), ("missing-expiry", real, False)}


def test_json_override_file_merges(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {
        "main.tf.json": json.dumps({"resource": {"aws_iam_user": {"bot": {
            "name": "bot", "tags": {"owner": "alice", "expires_at": "2027-06-01"}}}}}),
        "override.tf.json": json.dumps({"resource": {"aws_iam_user": {"bot": {"tags": {"team": "x"}}}}})}))
    assert code == 1, doc
    assert [i["owner"] for i in doc["identities"]] == [None]


_REMOVED_JSON = json.dumps({"removed": [{"from": "aws_iam_user.u", "lifecycle": {"destroy": False}}],
                            "resource": {"aws_iam_user": {"k": {
                                "name": "k", "tags": {"owner": "a", "expires_at": "2027-01-01"}}}}})
_REMOVED_HCL = 'removed {\n  from = aws_iam_user.u\n  lifecycle {\n    destroy = false\n  }\n}\n'


@pytest.mark.parametrize(("where", "files", "address"), [
    ("json root", {"main.tf.json": _REMOVED_JSON}, "aws_iam_user.u"),
    ("json module", {"main.tf": 'module "m" {\n  source = "./m"\n}\n', "m/main.tf.json": _REMOVED_JSON},
     "module.m.aws_iam_user.u"),
    ("hcl module", {"main.tf": 'module "m" {\n  for_each = toset(["a"])\n  source   = "./m"\n}\n',
                    "m/main.tf": _REMOVED_HCL}, 'module.m["a"].aws_iam_user.u'),
])
def test_removed_block_forgets_outside_a_root_tf_file(tmp_path: Path, where: str, files: dict[str, str],
                                                      address: str) -> None:
    # A removed block with destroy = false in Terraform JSON syntax, or in a child module, was ignored:
    # the forgotten user stays alive with nothing to revoke it, yet the check passed.
    (tmp_path / "m").mkdir()
    code, doc = _check(_tree(tmp_path, files))
    assert code == 1, (where, doc)
    assert [(f["address"], f["rule"]) for f in doc["findings"]] == [(address, "missing-revocation-path")]


def test_prevent_destroy_in_a_json_lifecycle_list(tmp_path: Path) -> None:
    # JSON syntax may write a nested block as a list of one object (the module evaluator read it).
    code, doc = _check(_tree(tmp_path, {"main.tf.json": json.dumps({"resource": {"aws_iam_user": {"k": {
        "name": "k", "tags": {"owner": "a", "expires_at": "2027-01-01"},
        "lifecycle": [{"prevent_destroy": True}]}}}})}))
    assert code == 1, doc
    assert [f["rule"] for f in doc["findings"]] == ["missing-revocation-path"]


_SENSITIVE_OWNER = (
    'variable "owner" {\n  type      = string\n  sensitive = true\n  default   = "alice-CANARY@example.com"\n}\n'
    'locals {\n  o = var.owner\n}\n'
    'provider "aws" {\n  default_tags {\n    tags = { owner = "defaults@example.com" }\n  }\n}\n'
    'resource "aws_iam_user" "direct" {\n  name = "direct"\n'
    '  tags = { owner = var.owner, expires_at = "2027-01-01" }\n}\n'
    'resource "aws_iam_user" "via_local" {\n  name = "via-local"\n'
    '  tags = { owner = local.o, expires_at = "2027-01-01" }\n}\n'
    'resource "aws_iam_user" "whole" {\n  name = "whole"\n'
    '  tags = merge({ owner = var.owner }, { expires_at = "2027-01-01" })\n}\n'
    'resource "aws_iam_user" "other_tag" {\n  name = "other"\n'
    '  tags = { owner = "bob@example.com", expires_at = "2027-01-01", note = var.owner }\n}\n'
    'module "child" {\n  source = "./m"\n  owner  = var.owner\n}\n')


def test_an_owner_from_a_sensitive_variable_is_unreadable_not_unknown(tmp_path: Path) -> None:
    # As in a plan of the same configuration (Terraform marks the value sensitive, and everything
    # computed from it, through locals and module arguments): the owner cannot be read, an error.
    # It was UNKNOWN (info, exit 0) before. The provider's default owner never stands in for it.
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'variable "owner" {}\nresource "aws_iam_user" "in_child" {\n  name = "c"\n'
        '  tags = { owner = var.owner, expires_at = "2027-01-01" }\n}\n', encoding="utf-8")
    tree = _tree(tmp_path, {"main.tf": _SENSITIVE_OWNER})
    code, doc = _check(tree)
    assert code == 1, doc
    rows = {i["address"]: (i["owner"], i["status"]) for i in doc["identities"]}
    assert rows == {"aws_iam_user.direct": (None, "no-owner"), "aws_iam_user.via_local": (None, "no-owner"),
                    "aws_iam_user.whole": (None, "no-owner"), "aws_iam_user.other_tag": ("bob@example.com", "ok"),
                    "module.child.aws_iam_user.in_child": (None, "no-owner")}
    unreadable = [f["address"] for f in doc["findings"] if "marked sensitive" in f["message"]]
    assert unreadable == ["aws_iam_user.direct", "aws_iam_user.via_local", "aws_iam_user.whole",
                          "module.child.aws_iam_user.in_child"]
    for fmt in ("json", "text", "sarif", "markdown", "junit", "github"):
        result = CliRunner().invoke(main, ["check", tree, "--now", NOW, "--format", fmt, "--no-cache"])
        assert "CANARY" not in result.output, fmt


def test_an_owner_from_a_sensitive_variable_in_cdk_tf_json_is_unreadable(tmp_path: Path) -> None:
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(json.dumps({
        "variable": {"tok": {"sensitive": True, "default": "CANARY-json"}},
        "resource": {"aws_iam_user": {
            "a": {"name": "a", "tags": {"owner": "${var.tok}", "expires_at": "2027-01-01"}},
            "b": {"name": "b", "tags": {"owner": "bob@example.com", "expires_at": "2027-01-01"}}}}}),
        encoding="utf-8")
    code, doc = _check(str(stack))
    assert code == 1 and "CANARY" not in json.dumps(doc), doc
    assert [(i["address"], i["owner"]) for i in doc["identities"]] == [
        ("aws_iam_user.a", None), ("aws_iam_user.b", "bob@example.com")]
    assert "marked sensitive" in doc["findings"][0]["message"]


# -- try() where a type Terraform converts with is declared out of plain sight ---------------------

_TRY_OWNER = ('resource "aws_iam_user" "this" {\n  name = "u"\n'
              '  tags = { owner = try(var.cfg.owner, "platform"), expires_at = "2026-12-20" }\n}\n')


def test_try_under_an_object_type_declared_in_a_tf_json_file(tmp_path: Path) -> None:
    # optional() fills the missing owner with null: Terraform's try() returns null, so no owner.
    code, doc = _check(_tree(tmp_path, {
        "main.tf": _TRY_OWNER,
        "variables.tf.json": '{"variable": {"cfg": {"type": "object({owner = optional(string)})", "default": {}}}}'}))
    assert code != 0 or doc["identities"][0]["owner"] != "platform", doc


@pytest.mark.parametrize("given", ["module", "tfvars"])
def test_null_given_to_a_non_nullable_variable_is_its_default(tmp_path: Path, given: str) -> None:
    # nullable = false: Terraform uses the default when null is given (checked with terraform 1.11),
    # so the expired date in the default is the identity's, not the fallback's.
    (tmp_path / "m").mkdir()
    child = ('variable "cfg" {\n  default  = { owner = "alice", expires_at = "2026-01-01" }\n  nullable = false\n}\n'
             'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = {\n'
             '    owner      = try(var.cfg.owner, "platform")\n'
             '    expires_at = var.cfg == null ? "2026-12-20" : try(var.cfg.expires_at, "2026-12-20")\n  }\n}\n')
    if given == "module":
        files = {"m/main.tf": child, "main.tf": 'module "m" {\n  source = "./m"\n  cfg    = null\n}\n'}
        address = "module.m.aws_iam_user.this"
    else:
        files = {"main.tf": child, "terraform.tfvars": "cfg = null\n"}
        address = "aws_iam_user.this"
    code, doc = _check(_tree(tmp_path, files))
    assert code == 1, doc
    assert [(i["address"], i["owner"], i["status"]) for i in doc["identities"]] == [(address, "alice", "expired")]


def test_null_given_to_a_non_nullable_json_variable_is_its_default(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    variable = {"variable": {"cfg": {"default": {"expires_at": "2026-01-01"}, "nullable": False}}}
    code, doc = _check(_tree(tmp_path, {
        "m/variables.tf.json": json.dumps(variable),
        "m/main.tf": 'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = {\n    owner      = "alice"\n'
                     '    expires_at = var.cfg == null ? "2026-12-20" : var.cfg.expires_at\n  }\n}\n',
        "main.tf": 'module "m" {\n  source = "./m"\n  cfg    = null\n}\n'}))
    assert code == 1, doc
    assert [i["status"] for i in doc["identities"]] == ["expired"], doc


def test_a_module_arguments_error_is_not_the_try_that_reads_its_output(tmp_path: Path) -> None:
    # Terraform refuses the module argument itself (a missing attribute outside any try()): the
    # try() reading the module's output never gets to choose its fallback.
    (tmp_path / "m").mkdir()
    _, doc = _check(_tree(tmp_path, {
        "m/main.tf": 'variable "owner" {}\noutput "owner" {\n  value = var.owner\n}\n',
        "main.tf": 'locals {\n  cfg = { team = "x" }\n}\nmodule "m" {\n  source = "./m"\n  owner  = local.cfg.owner\n}\n'
                   'resource "aws_iam_user" "u" {\n  name = "u"\n'
                   '  tags = { owner = try(module.m.owner, "platform"), expires_at = "2026-12-20" }\n}\n'}))
    assert [i["owner"] for i in doc["identities"]] != ["platform"], doc


@pytest.mark.parametrize(("declared", "given", "test"), [
    ("string", "42", 'var.x == "42"'),            # (all four checked with terraform 1.11)
    ("bool", '"true"', "var.x == true"),          # converted to true
    ("list(string)", "[1]", 'var.x[0] == "1"'),
    ("map(string)", "{ a = true }", 'var.x.a == "true"'),
])
def test_a_variable_is_what_its_type_converts(tmp_path: Path, declared: str, given: str, test: str) -> None:
    # Terraform converts what a module call or tfvars gives through the variable's type before any
    # expression reads it; a test on the unconverted value chose the other date.
    (tmp_path / "m").mkdir()
    code, doc = _check(_tree(tmp_path, {
        "m/main.tf": f'variable "x" {{\n  type = {declared}\n}}\n'
                     'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = {\n    owner      = "alice"\n'
                     f'    expires_at = {test} ? "2026-01-01" : "2026-12-20"\n  }}\n}}\n',
        "main.tf": f'module "m" {{\n  source = "./m"\n  x      = {given}\n}}\n'}))
    assert code == 1, doc
    assert [i["status"] for i in doc["identities"]] == ["expired"], doc


def test_a_tfvars_value_is_what_its_type_converts(tmp_path: Path) -> None:
    code, doc = _check(_tree(tmp_path, {
        "main.tf": 'variable "rotate" {\n  type = bool\n}\n'
                   'resource "aws_iam_user" "this" {\n  count = var.rotate == true ? 1 : 0\n  name  = "u"\n}\n',
        "terraform.tfvars": 'rotate = "true"\n'}))
    assert code == 1, doc
    assert [i["address"] for i in doc["identities"]] == ["aws_iam_user.this[0]"], doc


@pytest.mark.parametrize(("declared", "given", "read"), [
    ("object({ name = string })", '{ name = "x", owner = "bob" }', "var.cfg.owner"),  # owner dropped
    ("set(string)", '["bob", "alice"]', "var.cfg[1]"),                                 # a set: no index
])
def test_try_does_not_read_what_a_type_took_away(tmp_path: Path, declared: str, given: str, read: str) -> None:
    # Terraform gives "platform" for both (checked with terraform 1.11): the value read succeeds
    # only before the variable's type converts it.
    _, doc = _check(_tree(tmp_path, {
        "main.tf": f'variable "cfg" {{\n  type    = {declared}\n  default = {given}\n}}\n'
                   'resource "aws_iam_user" "a" {\n  name = "a"\n'
                   f'  tags = {{ owner = try({read}, "platform"), expires_at = "2026-12-20" }}\n}}\n'}))
    assert [i["owner"] for i in doc["identities"]] not in (["bob"], ["alice"]), doc
