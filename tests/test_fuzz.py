"""Property tests: arbitrary JSON and text never produce a traceback.

The library either returns a report or raises InputError; the CLI exits 0, 1 or 2 with no traceback.
Example counts stay modest: CI has two cores.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import NOW, NOW_TEXT, run_nhi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_toolkit.cli import main
from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.engine import check_paths
from nhi_toolkit.errors import InputError

KEYS = ["resource_changes", "values", "version", "resources", "planned_values", "resource", "root_module",
        "child_modules", "change", "actions", "after", "before", "after_unknown", "after_sensitive",
        "before_sensitive", "sensitive_values", "sensitive_attributes", "instances", "attributes",
        "index_key", "module", "address", "type", "name", "mode", "index", "tags", "tags_all", "owner",
        "expires_at", "format_version", "configuration", "module_calls", "expressions", "references",
        "resource_drift", "lineage", "provider", "default_tags", "input", "value", "secret", "user",
        "module_address", "variable", "locals", "//", "lifecycle", "prevent_destroy"]
TYPES = ["aws_iam_user", "aws_iam_access_key", "aws_iam_role", "aws_secretsmanager_secret",
         "aws_ssm_parameter", "google_service_account", "azuread_application", "terraform_data", "x"]
ACTIONS = ["create", "delete", "update", "no-op", "read", "forget"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from(TYPES + ACTIONS + ["2026-06-20", "2026-02-30", "managed", "data", "module.a",
                                       'aws_iam_user.u["k"]', "aws_iam_user.u", "${var.x}", "SecureString"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=30,
)
# Known shapes with an arbitrary value dropped into each structural slot: where hand-edited or
# corrupted files put a boolean or number where Terraform writes a list or object.
_SHAPES = [
    lambda v: {"format_version": "1.2", "resource_drift": v},
    lambda v: {"format_version": "1.2", "resource_changes": [v]},
    lambda v: {"format_version": "1.2", "resource_changes": [{"address": "aws_iam_user.u", "type": "aws_iam_user",
                                                               "name": "u", "change": v}]},
    lambda v: {"format_version": "1.2", "resource_changes": [{"address": "aws_iam_user.u", "type": "aws_iam_user",
                                                               "name": "u", "change": {"actions": ["create"],
                                                                                       "after": v,
                                                                                       "after_unknown": v,
                                                                                       "after_sensitive": v}}]},
    lambda v: {"format_version": "1.2", "planned_values": {"root_module": {"resources": v, "child_modules": v}}},
    lambda v: {"format_version": "1.2", "resource_changes": [], "configuration": {"root_module": {
        "resources": v, "module_calls": {"m": {"module": {"resources": [v]}}}}}},
    lambda v: {"format_version": "1.0", "values": {"root_module": {"resources": v, "child_modules": [v]}}},
    lambda v: {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_iam_user.u", "type": "aws_iam_user", "name": "u", "mode": "managed", "values": v,
         "sensitive_values": v}]}}},
    lambda v: {"version": 4, "resources": [{"type": "aws_iam_user", "name": "u", "instances": v}]},
    lambda v: {"version": 4, "resources": [{"type": "terraform_data", "name": "t", "module": v, "instances": [
        {"attributes": {"input": v, "tags": v}, "sensitive_attributes": v, "index_key": v, "dependencies": v}]}]},
    lambda v: {"resource": {"aws_iam_user": {"u": v}}, "variable": v, "locals": v, "provider": {"aws": v}},
]
shaped = st.builds(lambda shape, v: shape(v), st.sampled_from(_SHAPES), json_values)

documents = st.one_of(
    shaped,
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
    st.fixed_dictionaries({"format_version": st.just("1.2"),
                           "resource_changes": st.lists(st.dictionaries(st.sampled_from(KEYS), json_values,
                                                                        max_size=7), max_size=3)}),
    st.fixed_dictionaries({"version": st.sampled_from([4, 3, 5, 4.0]),
                           "resources": st.lists(st.dictionaries(st.sampled_from(KEYS), json_values,
                                                                 max_size=7), max_size=3)}),
    st.fixed_dictionaries({"resource": st.dictionaries(st.sampled_from(TYPES), json_values, max_size=3)}),
    json_values,
)

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CUSTOM = config_from_mapping({"identity_types": {"terraform_data": {"tags_path": "input.tags"}}})


def _check_library(path: Path, config: Config) -> None:
    try:
        report = check_paths([str(path)], config, NOW)
    except InputError as exc:
        assert exc.file == str(path)
        return
    from nhi_toolkit.reporters import render

    json.loads(render("json", report))
    render("text", report)
    assert not [f for f in report.findings if f.rule_id == "NHI000"], "a rule crashed"


@SETTINGS
@given(documents)
def test_library_on_arbitrary_json(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        _check_library(path, CUSTOM)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(shaped)
def test_library_on_shaped_documents(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        _check_library(path, CUSTOM)


@pytest.mark.parametrize("shape", range(len(_SHAPES)))
@pytest.mark.parametrize("value", [True, 7, "x", None, {"a": 1}, [1, [2]]])
def test_every_shape_with_wrong_types(tmp_path: Path, shape: int, value: Any) -> None:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(_SHAPES[shape](value)), encoding="utf-8")
    _check_library(path, CUSTOM)


@SETTINGS
@given(st.binary(max_size=300))
def test_library_on_arbitrary_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_bytes(data)
        _check_library(path, Config())


_hcl_atoms = st.sampled_from([
    'resource "aws_iam_user" "u" {', "}", "{", 'name = "x"', "tags = {", 'owner = "a"', "owner = var.o",
    'expires_at = "2026-06-20"', "expires_at = local.e", 'variable "o" {', 'default = "x"', "locals {",
    "e = var.o", "lifecycle {", "prevent_destroy = true", "removed {", "from = aws_iam_user.u",
    "destroy = false", 'provider "aws" {', "default_tags {", "tags = merge(var.t, {})", "user = aws_iam_user.u.name",
    'resource "aws_iam_access_key" "k" {', "count = 2", 'for_each = toset(["a"])', "<<EOT", "EOT", '"${', "#",
    "= =", "[", "]", ",", "dynamic \"x\" {", "content {", "\"%{ if true }x%{ endif }\"",
])


@SETTINGS
@given(st.lists(_hcl_atoms, max_size=25))
def test_library_on_hcl_fragments(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "main.tf"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _check_library(path, Config())


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(documents)
def test_cli_runner_on_arbitrary_json(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "-f", "json"])
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.stderr
        assert "internal error" not in result.stderr
        if result.exit_code == 2:
            assert str(path) in result.stderr
        else:
            json.loads(result.stdout)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_installed_command_on_arbitrary_json(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        run = run_nhi(["check", path, "--now", NOW_TEXT, "-f", "json"])
        assert run.code in (0, 1, 2)
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
