"""Every real plan, state and HCL file in the shared corpus checks cleanly through the installed ``nhi``.

The files are parametrized from the folder, so new corpus files are picked up without editing this
test. The corpus is read in place and never modified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, NOW_TEXT, corpus_files, run_nhi, validate_report


def _state_version(path: Path) -> int | None:
    if path.parent.name != "state":
        return None
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None
    v = doc.get("version") if isinstance(doc, dict) else None
    return v if isinstance(v, int) else None


FILES = corpus_files()
IDS = [f"{p.parent.name}/{p.name}" for p in FILES]


@pytest.mark.skipif(not FILES, reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_corpus_file_checks_cleanly(path: Path) -> None:
    before = path.read_bytes()
    run = run_nhi(["check", path, "--now", NOW_TEXT, "--format", "json"])
    assert "Traceback" not in run.stderr
    # Every file loads, legacy (version 1-3) states included.
    assert run.code in (0, 1), run.stderr
    assert run.stderr == ""
    doc = run.json()
    validate_report(doc)
    assert doc["inputs"] == [str(path)]
    assert run.code == (1 if doc["summary"]["by_severity"]["error"] else 0)
    for item in doc["identities"] + doc["findings"]:
        assert item["source"]["file"].startswith(str(path))
        if path.suffix == ".tf" and item in doc["identities"]:
            assert isinstance(item["source"]["line"], int)
    assert path.read_bytes() == before


def test_the_corpus_has_each_kind(corpus: Path) -> None:
    kinds = {p.parent.name for p in corpus_files()}
    assert kinds == {"plan", "state", "hcl"}
    assert any(_state_version(p) == 3 for p in corpus_files("state"))


def _check(path: Path) -> dict[str, Any]:
    run = run_nhi(["check", path, "--now", NOW_TEXT, "--format", "json", "--fail-on", "never"])
    assert run.code == 0, run.stderr
    return run.json()  # type: ignore[no-any-return]


def _named(corpus: Path, rel: str) -> Path:
    path = corpus / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in the corpus")
    return path


def test_utf16_plan_is_read(corpus: Path) -> None:
    doc = _check(_named(corpus, "plan/bridgecrewio__checkov__parser-plan-encodings-win-utf16-tfplan.json"))
    assert doc["identities"] == []


def test_destroy_plan_has_revocations_not_findings(corpus: Path) -> None:
    doc = _check(_named(corpus, "plan/snyk__cli__iac-terraform-plan-destroy.json"))
    assert doc["identities"] and {i["status"] for i in doc["identities"]} == {"deleting"}
    assert doc["findings"] == []


def test_module_for_each_addresses_are_kept_exactly(corpus: Path) -> None:
    doc = _check(_named(corpus, "plan/bridgecrewio__checkov__github-actions-oidc-trust-policy-tfplan.json"))
    addresses = {i["address"] for i in doc["identities"]}
    assert 'module.poc.aws_iam_role.r1["p1"]' in addresses
    assert "module.poc.aws_iam_openid_connect_provider.r5" in addresses


def test_module_hcl_with_variable_tags_is_unknown_never_missing(corpus: Path) -> None:
    doc = _check(_named(corpus, "hcl/terraform-aws-modules__terraform-aws-iam__modules-iam-user-main.tf"))
    assert doc["identities"]
    assert {f["rule"] for f in doc["findings"]} == {"unknown-until-apply"}


def test_whole_corpus_in_one_run_is_deterministic(corpus: Path) -> None:
    files = corpus_files()
    args = ["check", *files, "--now", NOW_TEXT, "--format", "json"]
    first, second = run_nhi(args), run_nhi(args)
    assert first.code in (0, 1) and first.stderr == ""
    assert (first.code, first.stdout) == (second.code, second.stdout)
    validate_report(first.json())
