"""Values given to variables typed ``object(...)`` are converted as Terraform converts them: the
attributes the type does not declare are dropped, a missing ``optional()`` one is null or its
default, and a value missing a required one is refused (unknown here, never the value as written).

The expected values were checked against Terraform 1.11 (``terraform plan`` of the same trees with
the child modules' variables read back through outputs): ``{Owner = "alice", expires_at = ...}``
typed ``object({owner = optional(string), expires_at = optional(string)})`` gives
``{expires_at = ..., owner = null}``; ``optional(string, "x")`` gives ``"x"`` for a missing or null
attribute; map, list and nested objects convert each element; a missing required attribute is the
error "attribute "owner" is required".
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from nhi_toolkit.cli import main

NOW = "2026-06-01"


def _check(root: Path) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(main, ["check", str(root), "--now", NOW, "--format", "json", "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)["identities"]


def _tree(root: Path, given: str, var_type: str, tags: str = "var.tags") -> Path:
    (root / "m").mkdir()
    (root / "main.tf").write_text(f'module "w" {{\n  source = "./m"\n  tags   = {given}\n}}\n', encoding="utf-8")
    (root / "m" / "main.tf").write_text(
        f'variable "tags" {{\n  type = {var_type}\n}}\n'
        f'resource "aws_iam_user" "this" {{\n  name = "u"\n  tags = {tags}\n}}\n', encoding="utf-8")
    return root


_TAGS = '{ Owner = "alice", expires_at = "2027-01-01" }'
_OPTIONAL = "object({ owner = optional(string), expires_at = optional(string) })"


def test_undeclared_attribute_is_dropped(tmp_path: Path) -> None:
    code, ids = _check(_tree(tmp_path, _TAGS, _OPTIONAL))
    assert code == 1
    assert [(i["owner"], i["expires_at"], i["status"]) for i in ids] == [(None, "2027-01-01", "no-owner")]


def test_optional_default_fills_a_missing_attribute(tmp_path: Path) -> None:
    var_type = 'object({ owner = optional(string, "team-x"), expires_at = optional(string, "2027-02-02") })'
    code, ids = _check(_tree(tmp_path, '{ Owner = "alice" }', var_type))
    assert code == 0
    assert [(i["owner"], i["expires_at"], i["status"]) for i in ids] == [("team-x", "2027-02-02", "ok")]


def test_optional_default_replaces_a_null(tmp_path: Path) -> None:
    var_type = 'object({ owner = optional(string, "team-x"), expires_at = string })'
    code, ids = _check(_tree(tmp_path, '{ owner = null, expires_at = "2027-01-01" }', var_type))
    assert (code, [i["owner"] for i in ids]) == (0, ["team-x"])


def test_map_of_objects(tmp_path: Path) -> None:
    code, ids = _check(_tree(tmp_path, f"{{ a = {_TAGS} }}", f"map({_OPTIONAL})", 'var.tags["a"]'))
    assert code == 1
    assert [(i["owner"], i["status"]) for i in ids] == [(None, "no-owner")]


def test_list_of_objects(tmp_path: Path) -> None:
    code, ids = _check(_tree(tmp_path, f"[{_TAGS}]", f"list({_OPTIONAL})", "var.tags[0]"))
    assert code == 1
    assert [(i["owner"], i["status"]) for i in ids] == [(None, "no-owner")]


def test_object_inside_an_object(tmp_path: Path) -> None:
    code, ids = _check(_tree(tmp_path, f"{{ inner = {_TAGS} }}", f"object({{ inner = {_OPTIONAL} }})",
                             "var.tags.inner"))
    assert code == 1
    assert [(i["owner"], i["status"]) for i in ids] == [(None, "no-owner")]


def test_missing_required_attribute_is_unknown(tmp_path: Path) -> None:
    # Terraform refuses the configuration: the value as written is never taken.
    _, ids = _check(_tree(tmp_path, _TAGS, "object({ owner = string, expires_at = string })"))
    assert [(i["owner"], i["status"]) for i in ids] == [(None, "unknown")]
    assert "owner" in ids[0]["unknown"]


def test_type_not_modelled_is_unknown(tmp_path: Path) -> None:
    # A tuple converts its elements too (Owner dropped): not worked out here, so unknown.
    _, ids = _check(_tree(tmp_path, f"[{_TAGS}]", f"tuple([{_OPTIONAL}])", "var.tags[0]"))
    assert [(i["owner"], i["status"]) for i in ids] == [(None, "unknown")]


def test_map_of_any_needing_unification_is_unknown(tmp_path: Path) -> None:
    _, ids = _check(_tree(tmp_path, '{ Owner = "alice", n = 1 }', "map(any)"))
    assert [(i["owner"], i["status"]) for i in ids] == [(None, "unknown")]


def test_any_and_plain_types_keep_the_value(tmp_path: Path) -> None:
    for n, var_type in enumerate(("any", "map(string)", "map(any)")):
        code, ids = _check(_tree(_dir(tmp_path / str(n)), _TAGS, var_type))
        assert (code, [(i["owner"], i["status"]) for i in ids]) == (0, [("alice", "ok")]), var_type


_ROOT = ('variable "tags" {\n  type = ' + _OPTIONAL + '\n  default = ' + _TAGS + '\n}\n'
         'resource "aws_iam_user" "this" {\n  name = "u"\n  tags = var.tags\n}\n')


def test_root_variable_default_is_converted(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_ROOT, encoding="utf-8")
    code, ids = _check(tmp_path)
    assert (code, [(i["owner"], i["status"]) for i in ids]) == (1, [(None, "no-owner")])


def test_root_variable_from_tfvars_is_converted(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_ROOT.replace("Owner", "owner"), encoding="utf-8")
    (tmp_path / "terraform.tfvars").write_text(f"tags = {_TAGS}\n", encoding="utf-8")
    code, ids = _check(tmp_path)
    assert (code, [(i["owner"], i["status"]) for i in ids]) == (1, [(None, "no-owner")])
    (tmp_path / "b.auto.tfvars").write_text('tags = { owner = "bob" }\n', encoding="utf-8")
    code, ids = _check(tmp_path)
    assert (code, [(i["owner"], i["expires_at"]) for i in ids]) == (1, [("bob", None)])


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


def test_json_syntax_module_variable_is_converted(tmp_path: Path) -> None:
    # Checked against Terraform 1.11 too: a .tf.json variable's type string converts alike.
    (tmp_path / "m").mkdir()
    (tmp_path / "main.tf").write_text(f'module "w" {{\n  source = "./m"\n  tags   = {_TAGS}\n}}\n', encoding="utf-8")
    (tmp_path / "m" / "main.tf.json").write_text(json.dumps({
        "variable": {"tags": {"type": _OPTIONAL}},
        "resource": {"aws_iam_user": {"this": {"name": "u", "tags": "${var.tags}"}}}}), encoding="utf-8")
    code, ids = _check(tmp_path)
    assert (code, [(i["owner"], i["status"]) for i in ids]) == (1, [(None, "no-owner")])
