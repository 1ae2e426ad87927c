"""A module folder mixing .tf and .tf.json files is one module, as Terraform reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import NOW_TEXT

from nhi_toolkit.cli import main

TAGS = '{ owner = "ana@example.com", expires_at = "2027-03-01" }'


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def check(target: Path) -> tuple[int, Any, str]:
    result = CliRunner().invoke(main, ["check", str(target), "--now", NOW_TEXT, "-f", "json", "--no-cache"])
    doc = json.loads(result.stdout) if result.exit_code in (0, 1) else None
    return result.exit_code, doc, result.output


def judged(doc: Any) -> dict[str, tuple[Any, Any]]:
    return {i["address"]: (i["owner"], i["expires_at"]) for i in doc["identities"]}


def test_a_called_module_reads_its_json_resources_with_its_tf_variables(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./m"\n}\n',
        "m/variables.tf": 'variable "name" {\n  default = "bot"\n}\n',
        "m/iam.tf.json": '{"resource": {"aws_iam_user": {"bot": {"name": "${var.name}"}}}}',
    }))
    assert code == 1, out
    assert judged(doc) == {"module.m.aws_iam_user.bot": (None, None)}
    assert {f["rule"] for f in doc["findings"]} == {"missing-owner", "missing-expiry"}


def test_a_root_reads_json_resources_with_tf_variables_and_locals(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "main.tf": f'variable "tags" {{\n  default = {TAGS}\n}}\nlocals {{\n  team = "rag"\n}}\n',
        "iam.tf.json": json.dumps({"resource": {"aws_iam_user": {
            "bot": {"name": "${local.team}-bot", "tags": "${var.tags}"},
            "bare": {"name": "bare", "tags": {"team": "${local.team}"}}}}}),
    }))
    assert code == 1, out
    assert judged(doc) == {"aws_iam_user.bare": (None, None),
                           "aws_iam_user.bot": ("ana@example.com", "2027-03-01")}
    assert len(doc["identities"]) == 2  # the .tf.json is not read a second time on its own


def test_tf_resources_see_json_variables_locals_and_modules(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "vars.tf.json": json.dumps({
            "variable": {"owner": {"default": "ana@example.com"}},
            "locals": {"tags": {"owner": "${var.owner}", "expires_at": "2027-03-01"}},
            "module": {"svc": {"source": "./svc", "tags": "${local.tags}"}}}),
        "main.tf": 'resource "aws_iam_role" "r" {\n  name = "r"\n  tags = local.tags\n}\n',
        "svc/main.tf": 'variable "tags" {}\nresource "aws_iam_user" "u" {\n  name = "u"\n  tags = var.tags\n}\n',
    }))
    assert code == 0, out
    assert judged(doc) == {"aws_iam_role.r": ("ana@example.com", "2027-03-01"),
                           "module.svc.aws_iam_user.u": ("ana@example.com", "2027-03-01")}


def test_a_json_default_is_a_literal(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "vars.tf.json": json.dumps({"variable": {"owner": {"default": "${not.interpolated}"}}}),
        "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n'
                   '  tags = { owner = var.owner, expires_at = "2027-03-01" }\n}\n',
    }))
    assert code == 0, out
    assert judged(doc) == {"aws_iam_user.u": ("${not.interpolated}", "2027-03-01")}


@pytest.mark.parametrize(("tf", "tf_json", "what"), [
    ('resource "aws_iam_user" "u" {\n  name = "u"\n}\n',
     {"resource": {"aws_iam_user": {"u": {"name": "u"}}}}, 'resource "aws_iam_user" "u"'),
    ('variable "v" {}\n', {"variable": {"v": {}}}, 'variable "v"'),
    ('locals {\n  l = 1\n}\n', {"locals": {"l": 2}}, 'local value "l"'),
    ('module "m" {\n  source = "./m"\n}\n', {"module": {"m": {"source": "./m"}}}, 'module "m"'),
])
def test_a_name_declared_in_both_kinds_of_file_is_refused(tmp_path: Path, tf: str, tf_json: Any, what: str) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text("", encoding="utf-8")
    code, _doc, out = check(tree(tmp_path, {"main.tf": tf, "dup.tf.json": json.dumps(tf_json)}))
    assert code == 2, out
    assert f"duplicate {what}" in out and "Traceback" not in out


def test_hidden_json_files_are_not_read(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "main.tf": f'resource "aws_iam_user" "u" {{\n  name = "u"\n  tags = {TAGS}\n}}\n',
        ".#iam.tf.json": '{"resource": {"aws_iam_user": {"stray": {"name": "stray"}}}}',
    }))
    assert code == 0, out
    assert list(judged(doc)) == ["aws_iam_user.u"]


def test_a_json_only_root_is_one_module(tmp_path: Path) -> None:
    # Terraform reads every .tf.json file of a folder as one module: a local declared in one file is
    # the value another file's resource uses. Read file by file, the owner was "known after apply"
    # (an info finding, exit 0) while Terraform gives it null: no owner.
    code, doc, out = check(tree(tmp_path, {
        "locals.tf.json": json.dumps({"locals": {"owner": None}}),
        "iam.tf.json": json.dumps({"resource": {"aws_iam_user": {"bot": {
            "name": "bot", "tags": {"owner": "${local.owner}", "expires_at": "2027-03-01"}}}}}),
    }))
    assert code == 1, out
    assert judged(doc) == {"aws_iam_user.bot": (None, "2027-03-01")}


def test_a_cdk_tf_json_beside_tf_files_is_read_with_them(tmp_path: Path) -> None:
    # A folder holding cdk.tf.json and .tf files is one module to Terraform; the .tf files were
    # skipped without a word and their unowned user passed.
    code, doc, out = check(tree(tmp_path, {
        "cdk.tf.json": json.dumps({"terraform": {}, "resource": {"aws_iam_user": {"ok": {
            "name": "ok", "tags": {"owner": "ana@example.com", "expires_at": "2027-03-01"}}}}}),
        "extra.tf": 'resource "aws_iam_user" "bot" {\n  name = "bot"\n}\n',
    }))
    assert code == 1, out
    assert judged(doc) == {"aws_iam_user.bot": (None, None), "aws_iam_user.ok": ("ana@example.com", "2027-03-01")}


def test_a_hidden_tf_file_does_not_hide_the_folder_s_json(tmp_path: Path) -> None:
    # Terraform ignores .h.tf; the folder's module is its .tf.json. The hidden file made the loader
    # take the .tf.json for part of an HCL module that the HCL loader (which skips hidden files) never read.
    code, doc, out = check(tree(tmp_path, {
        ".h.tf": "# an editor's copy\n",
        "iam.tf.json": json.dumps({"resource": {"aws_iam_user": {"bot": {"name": "bot"}}}}),
        "terraform.tfstate": json.dumps({"version": 4, "terraform_version": "1.11.0", "serial": 1,
                                         "lineage": "x", "outputs": {}, "resources": []}),
    }))
    assert code == 1, out
    assert judged(doc) == {"aws_iam_user.bot": (None, None)}


@pytest.mark.parametrize("override", [
    {"a_override.tf.json": json.dumps({"locals": {"owner": None}})},
    {"a_override.tf": "locals {\n  owner = null\n}\n"},
])
def test_an_override_file_replaces_a_local(tmp_path: Path, override: dict[str, str]) -> None:
    # Terraform merges override files last, whatever their names: owner is null, the user unowned.
    code, doc, out = check(tree(tmp_path, {
        "main.tf.json" if override.keys() == {"a_override.tf.json"} else "main.tf":
            json.dumps({"locals": {"owner": "ana@example.com"}}) if "a_override.tf.json" in override
            else 'locals {\n  owner = "ana@example.com"\n}\n',
        "iam.tf.json": json.dumps({"resource": {"aws_iam_user": {"bot": {
            "name": "bot", "tags": {"owner": "${local.owner}", "expires_at": "2027-03-01"}}}}}),
        **override,
    }))
    assert code == 1, out
    assert judged(doc) == {"aws_iam_user.bot": (None, "2027-03-01")}


def test_a_json_only_root_below_the_checked_folder_is_judged(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "a/main.tf": f'resource "aws_iam_user" "ok" {{\n  name = "ok"\n  tags = {TAGS}\n}}\n',
        "b/main.tf.json": json.dumps({"resource": {"aws_iam_user": {"bot": {"name": "bot"}}}}),
    }))
    assert code == 1, out
    assert judged(doc) == {"aws_iam_user.bot": (None, None), "aws_iam_user.ok": ("ana@example.com", "2027-03-01")}


def test_a_json_override_keeps_a_variable_sensitive_and_merges_lifecycle(tmp_path: Path) -> None:
    code, doc, out = check(tree(tmp_path, {
        "main.tf.json": json.dumps({
            "variable": {"owner": {"sensitive": True, "default": "x"}},
            "resource": {"aws_iam_user": {"bot": {
                "name": "bot", "tags": {"owner": "${var.owner}", "expires_at": "2027-03-01"},
                "lifecycle": {"prevent_destroy": True}}}}}),
        "z_override.tf.json": json.dumps({
            "variable": {"owner": {"default": "CANARY-override-zq"}},
            "resource": {"aws_iam_user": {"bot": {"lifecycle": {"create_before_destroy": True}}}}}),
    }))
    assert code in (0, 1), out
    assert "CANARY" not in out  # still sensitive: the override gave a default, not sensitive = false
    assert doc["identities"][0]["address"] == "aws_iam_user.bot"
    assert doc["identities"][0]["owner"] is None  # sensitive: unreadable, as a plan would say
    assert any("marked sensitive" in f["message"] for f in doc["findings"])
