"""Secrets in places real Terraform output puts them that the other secret suites do not plant."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main
from nhi_toolkit.reporters import REPORTERS

NOW = "2026-12-01"
SECRET = "CANARY-tagsall-owner-zq"
_AWS = "registry.terraform.io/hashicorp/aws"


def _plan(tmp: Path) -> Path:
    # A tag from a sensitive variable: Terraform marks tags.owner, but the provider computes tags_all
    # and Terraform re-marks only configured paths, so tags_all.owner is in clear text, unmarked
    # (hashicorp/terraform-provider-aws#30278).
    tags = {"owner": SECRET, "expires_at": "2027-01-01"}
    doc = {"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {}},
           "resource_changes": [{"address": "aws_iam_user.a", "mode": "managed", "type": "aws_iam_user",
                                 "name": "a", "provider_name": _AWS,
                                 "change": {"actions": ["create"], "before": None,
                                            "after": {"name": "a", "tags": tags, "tags_all": tags},
                                            "after_unknown": {}, "before_sensitive": False,
                                            "after_sensitive": {"tags": {"owner": True}, "tags_all": {}}}}],
           "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": _AWS}},
                             "root_module": {"resources": []}}}
    p = tmp / "plan.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def _raw_state(tmp: Path) -> Path:
    tags = {"owner": SECRET, "expires_at": "2027-01-01"}
    doc = {"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x", "outputs": {},
           "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "a",
                          "provider": f'provider["{_AWS}"]',
                          "instances": [{"schema_version": 0,
                                         "attributes": {"name": "a", "tags": tags, "tags_all": tags},
                                         "sensitive_attributes": [[{"type": "get_attr", "value": "tags"},
                                                                   {"type": "index", "value": {
                                                                       "value": "owner", "type": "string"}}]]}]}]}
    p = tmp / "terraform.tfstate"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def _show_state(tmp: Path) -> Path:
    tags = {"owner": SECRET, "expires_at": "2027-01-01"}
    doc = {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {"resources": [
        {"address": "aws_iam_user.a", "mode": "managed", "type": "aws_iam_user", "name": "a",
         "provider_name": _AWS, "schema_version": 0, "values": {"name": "a", "tags": tags, "tags_all": tags},
         "sensitive_values": {"tags": {"owner": True}, "tags_all": {}}}]}}}
    p = tmp / "show.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


BUILDERS = {"plan": _plan, "raw-state": _raw_state, "show-state": _show_state}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_sensitive_tag_does_not_leak_through_tags_all(tmp_path: Path, kind: str) -> None:
    path = str(BUILDERS[kind](tmp_path))
    outputs: list[Any] = []
    for fmt in sorted(REPORTERS):
        outputs.append(CliRunner().invoke(main, ["check", path, "--now", NOW, "--format", fmt]).output)
    outputs.append(CliRunner().invoke(main, ["owners", path, "--now", NOW]).output)
    if kind != "plan":
        outputs.append(CliRunner().invoke(main, ["inventory", path, "--now", NOW]).output)
    leaked = [text for text in outputs if SECRET in text]
    assert not leaked, leaked[0]


def test_module_source_credentials_never_reach_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Findings show a remote source with its credentials hidden; the parse cache kept them whole.
    cache = tmp_path / "cache"
    monkeypatch.setenv("NHI_CACHE_DIR", str(cache))
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'module "a" {\n  source = "git::https://oauth2:CANARY-src-token-zq@github.com/org/x.git?ref=v1"\n}\n'
        'module "b" {\n  source = "https://example.com/m.zip?access_token=CANARY-src-query-zq&archive=zip"\n}\n'
        'resource "aws_iam_user" "u" {\n  name = "u"\n}\n', encoding="utf-8")
    outputs = [CliRunner().invoke(main, ["check", str(tree), "--now", NOW]).output for _ in range(2)]
    assert outputs[0] == outputs[1]
    assert "module.a (source git::https://***@github.com/org/x.git?ref=v1)" in outputs[0]
    assert "CANARY" not in outputs[0]
    stored = [p.read_text(encoding="utf-8") for p in cache.rglob("*") if p.is_file()]
    assert stored
    assert not [text for text in stored if "CANARY" in text]
