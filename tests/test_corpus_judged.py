"""The checker against judged answers for every corpus file (read in place, never written).

``tests/fixtures/corpus_judged/expected.json`` says, per corpus file, which identities a careful
reader finds, which error-level rules each should get, and the exit code, at --now 2026-12-01. Each
file is one case comparing the set of identity addresses, the error-level rule names per identity
and the exit code. Files the checker gets wrong today are in KNOWN_WRONG (strict xfail): when a
change fixes one, its case fails until the entry is removed, so the list only shrinks.
``python tests/fixtures/corpus_judged/table.py --details`` prints the whole table.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import CORPUS, FIXTURES

JUDGED = FIXTURES / "corpus_judged"


def _table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_judged_table", JUDGED / "table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


TABLE = _table()
EXPECTED: dict[str, dict] = json.loads((JUDGED / "expected.json").read_text(encoding="utf-8"))

_MODULES = "HCL module/count expansion (modules branch)"
_TAGS_ALL = ("tags_all unknown under a provider with no default_tags is judged unknown-until-apply "
             "instead of missing owner/expiry (plancomp branch, issue 7 item 2)")

#: Corpus files the current checker judges wrongly, and why. Remove an entry when its case passes.
KNOWN_WRONG: dict[str, str] = {
}


def _cases() -> list[object]:
    return [
        pytest.param(name, id=name,
                     marks=[pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[name])]
                     if name in KNOWN_WRONG else [])
        for name in sorted(EXPECTED)
    ]


def test_every_corpus_file_is_judged(corpus: Path) -> None:
    on_disk = sorted(f"{p.parent.name}/{p.name}" for k in ("plan", "state", "hcl")
                     for p in (corpus / k).iterdir() if p.is_file())
    assert on_disk == sorted(EXPECTED)
    assert set(KNOWN_WRONG) <= set(EXPECTED)


def test_judgments_are_well_formed() -> None:
    for name, entry in EXPECTED.items():
        assert entry["exit"] in (0, 1), name
        assert entry["judged_by"].strip(), name
        has_error = any(spec["errors"] for spec in entry["identities"].values())
        assert entry["exit"] == (1 if has_error else 0), name
        for addr, spec in entry["identities"].items():
            assert f"{spec['type']}." in addr, (name, addr)
            assert spec["notes"].strip(), (name, addr)


@pytest.mark.parametrize("name", _cases())
def test_corpus_file_judged(corpus: Path, name: str) -> None:
    expected = EXPECTED[name]
    actual = TABLE.run_checker(corpus / name)
    assert actual.exit in (0, 1), f"{name} failed to load: {actual.message}"
    got = {addr: sorted(rules) for addr, rules in actual.errors.items()}
    want = {addr: sorted(spec["errors"]) for addr, spec in expected["identities"].items()}
    assert sorted(got) == sorted(want), "identity addresses differ"
    assert got == want, "error-level rules differ"
    assert not actual.stray_errors, "error findings on addresses that are no identity"
    assert actual.exit == expected["exit"]


def test_corpus_path_is_the_shared_one() -> None:
    assert CORPUS == TABLE.CORPUS


@pytest.mark.parametrize("name", [
    "plan/terraform-compliance__cli__functional-test-issue-522-plan.json",
    "state/fujiwara__tfstate-lookup__roundtrip-v3-simple-in.tfstate",
])
def test_library_run_matches_the_cli(corpus: Path, name: str) -> None:
    """The cases run the library in process; the installed command must say the same."""
    assert TABLE.run_library(corpus / name) == TABLE.run_cli(corpus / name)
