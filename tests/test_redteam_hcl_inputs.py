"""Module trees written elsewhere (public module repositories): shapes nobody here wrote."""
from __future__ import annotations

import json
from pathlib import Path

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
