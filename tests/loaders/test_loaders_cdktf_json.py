"""Terraform JSON syntax as Terraform reads it: a block type may be an array of objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import NOW_TEXT

from nhi_toolkit.cli import main

OWNED = {"owner": "ana@example.com", "expires_at": "2027-03-01"}


def check(root: Path, files: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    for name, doc in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(root), "--now", NOW_TEXT, "-f", "json", "--no-cache"])
    doc = json.loads(result.stdout) if result.exit_code in (0, 1) else {}
    return result.exit_code, {i["address"]: i["owner"] for i in doc.get("identities", ())}, result.output


USER = {"bot": {"name": "bot", "tags": {"owner": "${local.owner}", "expires_at": "2027-03-01"}}}


@pytest.mark.parametrize("files", [
    # "resource" as an array of type objects, a type as an array of name objects (terraform accepts both)
    {"main.tf": "# .tf and .tf.json: one module\n", "iam.tf.json": {"resource": [{"aws_iam_user": {"bot": {"name": "bot"}}}]}},
    {"main.tf": "# .tf and .tf.json: one module\n", "iam.tf.json": {"resource": {"aws_iam_user": [{"bot": {"name": "bot"}}]}}},
    {"main.tf": 'module "m" {\n  source = "./m"\n}\n', "m/iam.tf.json": {"resource": [{"aws_iam_user": {"bot": {"name": "bot"}}}]}},
    {"a.tf.json": {"locals": {"x": 1}}, "iam.tf.json": {"resource": [{"aws_iam_user": {"bot": {"name": "bot"}}}]}},
])
def test_an_array_of_resource_blocks_is_read(tmp_path: Path, files: dict[str, Any]) -> None:
    # Dropped without a word: the unowned user passed (exit 0, no identity).
    code, owners, out = check(tmp_path, files)
    assert code == 1, out
    assert list(owners.values()) == [None]


@pytest.mark.parametrize("decl", [
    {"locals": [{"owner": None}]},
    {"locals": [{"other": 1}, {"owner": None}]},
    {"variable": [{"v": {"default": None}}], "locals": {"owner": "${var.v}"}},
])
@pytest.mark.parametrize("layout", ["mixed", "json"])
def test_array_forms_of_locals_and_variables_are_read(tmp_path: Path, decl: dict[str, Any], layout: str) -> None:
    # Unread, local.owner was "known after apply" (exit 0) where Terraform gives null: no owner.
    files: dict[str, Any] = {"decl.tf.json": decl, "iam.tf.json": {"resource": {"aws_iam_user": USER}}}
    if layout == "mixed":
        files["main.tf"] = "# .tf and .tf.json: one module\n"
    code, owners, out = check(tmp_path, files)
    assert code == 1, out
    assert owners == {"aws_iam_user.bot": None}


def test_a_single_json_file_reads_array_forms_too(tmp_path: Path) -> None:
    code, owners, out = check(tmp_path, {"main.tf.json": {
        "variable": [{"v": {"default": None}}], "locals": [{"owner": "${var.v}"}],
        "resource": {"aws_iam_user": USER}}})
    assert code == 1, out
    assert owners == {"aws_iam_user.bot": None}
