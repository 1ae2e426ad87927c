"""The output schemas ship inside the package and are valid JSON Schema."""

from __future__ import annotations

import copy
import json
import tomllib
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import NOW_TEXT, change, plan_doc, write_json

from nhi_toolkit.cli import main
from nhi_toolkit.schemas import REPORT_SCHEMA, load_schema

REPO = Path(__file__).resolve().parents[2]


def test_report_schema_is_a_valid_schema() -> None:
    schema = load_schema(REPORT_SCHEMA)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert load_schema() == schema


def test_every_shipped_schema_is_package_data() -> None:
    globs = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["nhi_toolkit"]
    shipped = [p.name for p in resources.files("nhi_toolkit.schemas").iterdir() if p.name.endswith(".json")]
    assert REPORT_SCHEMA in shipped
    for name in shipped:
        assert any(fnmatch(f"schemas/{name}", g) for g in globs), name
        json.loads(resources.files("nhi_toolkit.schemas").joinpath(name).read_text(encoding="utf-8"))


def test_a_report_validates_and_a_broken_one_does_not(tmp_path: Path) -> None:
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_role.no_owner", {"name": "a", "tags": {"expires_at": "2026-06-20"}})))
    result = CliRunner().invoke(main, ["check", str(plan), "--format", "json", "--now", NOW_TEXT])
    doc = json.loads(result.stdout)
    schema = load_schema()
    jsonschema.validate(doc, schema)
    for broken in ({k: v for k, v in doc.items() if k != "findings"}, {**doc, "version": 2}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
    bad_source = copy.deepcopy(doc)
    bad_source["findings"][0]["source"]["line"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_source, schema)
