"""Terraform's file rules: top-level header lines, .tfvars.json values, override files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.hcl_files import is_override, json_tfvars, top_level_lines


def test_top_level_lines_skip_heredocs_comments_and_strings() -> None:
    text = ('/*\nresource "a" "b" {\n}\n*/\n'           # 1-4: a comment
            'locals {\n  x = "${format("%s}", "y")}"\n'   # 5-6: a template holding quotes and a brace
            '  p = "arn:aws:s3:::b/*"\n'                  # 7: /* inside a string
            '  h = <<-EOT\n  resource "a" "b" {\n  EOT\n}\n'  # 8-11: a heredoc
            'resource "a" "b" {\n}\n')                    # 12-13
    top = top_level_lines(text)
    assert {1, 5, 12, 14} <= top
    assert not top & {2, 3, 4, 6, 7, 8, 9, 10, 11, 13}


@pytest.mark.parametrize(("name", "expected"), [
    ("override.tf", True), ("main_override.tf", True), ("override_main.tf", False), ("main.tf", False),
    ("x_override.tf.json", False)])
def test_is_override(name: str, expected: bool) -> None:
    assert is_override(f"/m/{name}") is expected


def test_json_tfvars_literals_and_refusal(tmp_path: Path) -> None:
    p = tmp_path / "terraform.tfvars.json"
    p.write_text(json.dumps({"a": 'q"${x}\n', "n": 1, "m": {"k": ["v"]}}), encoding="utf-8")
    assert json_tfvars(str(p)) == {"a": '"q\\"$${x}\\n"', "n": 1, "m": {'"k"': ['"v"']}}
    p.write_text("[1]", encoding="utf-8")
    with pytest.raises(InputError, match="one JSON object"):
        json_tfvars(str(p))
