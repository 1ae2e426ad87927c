"""Shared fixtures for the checker tests: a pinned clock, the shared corpus, and the installed CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

#: Every test judges expiry as of this instant; nothing may depend on the real clock.
NOW_TEXT = "2026-06-01T00:00:00Z"
NOW = datetime(2026, 6, 1, tzinfo=UTC)

#: The wall clock retirement checks ``--now`` against, pinned for in-process runs: later than every
#: --now the retire tests apply with (up to 2031-01-01), since a later --now with --apply is refused.
WALL_CLOCK = datetime(2032, 1, 1, tzinfo=UTC)

REPO = Path(__file__).resolve().parents[1]
#: Real files from other projects, shared next to the repository (read-only).
CORPUS = REPO.parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _nhi_executable() -> str:
    candidate = Path(sys.executable).with_name("nhi")
    return str(candidate) if candidate.exists() else "nhi"


NHI = _nhi_executable()


@dataclass(frozen=True)
class Run:
    """The result of one ``nhi`` run."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)


def run_nhi(args: Sequence[str | Path], *, cwd: Path | None = None,
            env: Mapping[str, str] | None = None, timeout: float = 120) -> Run:
    """Run the installed ``nhi`` command; the clock is never taken from the environment by accident."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NHI_NOW", "NHI_DEBUG")}
    full_env.update(env or {})
    proc = subprocess.run(
        [NHI, *map(str, args)], capture_output=True, cwd=cwd, env=full_env, timeout=timeout, check=False,
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The HCL parse cache of every test (and every ``nhi`` it runs) in a temporary folder, never
    the user's own; a test wanting another one sets ``NHI_CACHE_DIR`` itself."""
    os.environ["NHI_CACHE_DIR"] = str(tmp_path_factory.mktemp("nhi-cache"))


@pytest.fixture(autouse=True)
def _pinned_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may pass today and fail next month: the wall clock ``nhi retire`` compares ``--now``
    with is :data:`WALL_CLOCK` in every in-process run."""
    import nhi_toolkit.retire

    monkeypatch.setattr(nhi_toolkit.retire, "CLOCK", lambda: WALL_CLOCK)


@pytest.fixture
def nhi() -> Callable[..., Run]:
    """Run the installed ``nhi`` command."""
    return run_nhi


@pytest.fixture
def corpus() -> Path:
    """The shared corpus folder; tests using it skip cleanly when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


def corpus_files(kind: str | None = None) -> list[Path]:
    """Every corpus input (plan/, state/, hcl/), sorted; empty when the corpus is absent."""
    if not CORPUS.is_dir():
        return []
    kinds = [kind] if kind else ["plan", "state", "hcl"]
    return sorted(p for k in kinds if (CORPUS / k).is_dir() for p in (CORPUS / k).iterdir() if p.is_file())


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (path relative to ``root`` -> text), making their folders; return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_json(path: Path, doc: Any) -> Path:
    """Write a JSON document and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def plan_doc(*changes: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal ``terraform show -json`` plan around some resource_changes."""
    doc: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.9.0",
                           "resource_changes": list(changes)}
    doc.update(extra)
    return doc


def change(address: str, after: Mapping[str, Any] | None, *, actions: Sequence[str] = ("create",),
           before: Mapping[str, Any] | None = None, **change_extra: Any) -> dict[str, Any]:
    """One resource_changes entry; type, name, module and index are taken from the address."""
    from nhi_toolkit.addresses import parse_address

    parsed = parse_address(address)
    rc: dict[str, Any] = {
        "address": address, "mode": "managed", "type": parsed.type, "name": parsed.name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": list(actions), "before": before, "after": after, **change_extra},
    }
    if parsed.module:
        rc["module_address"] = parsed.module
    if parsed.key is not None:
        rc["index"] = parsed.key
    return rc


def state_doc(*resources: Mapping[str, Any]) -> dict[str, Any]:
    """A minimal raw state (version 4)."""
    return {"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "test-lineage",
            "outputs": {}, "resources": list(resources)}


def state_resource(rtype: str, name: str, *instances: Mapping[str, Any], module: str = "") -> dict[str, Any]:
    """One raw-state resource with instances given as their ``attributes`` (plus optional extras)."""
    res: dict[str, Any] = {
        "mode": "managed", "type": rtype, "name": name,
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [
            {"schema_version": 0, "sensitive_attributes": [], **inst}
            if "attributes" in inst else {"schema_version": 0, "attributes": dict(inst),
                                           "sensitive_attributes": []}
            for inst in instances
        ],
    }
    if module:
        res["module"] = module
    return res


@pytest.fixture(scope="session")
def tf():  # type: ignore[no-untyped-def]
    """The Terraform the project would use here (the PATH binary when there is one, else the
    embedded one); tests that need it skip cleanly when there is none."""
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        return find_terraform(timeout=300)
    except TerraformError as exc:
        pytest.skip(f"no Terraform available: {exc}")


#: The official SARIF 2.1.0 schema, shared next to the repository (read-only).
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    """The SARIF 2.1.0 schema; tests that need it skip when it is not there."""
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA}")
    schema: dict[str, Any] = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return schema


def validate_report(doc: Any) -> None:
    """A ``--format json`` report against the shipped schema, plus sorted findings and identities."""
    import jsonschema

    from nhi_toolkit.schemas import REPORT_SCHEMA, load_schema

    jsonschema.validate(doc, load_schema(REPORT_SCHEMA))
    idents = [(i["address"], i["source"]["file"]) for i in doc["identities"]]
    assert idents == sorted(idents)
    assert [f["address"] for f in doc["findings"]] == sorted(f["address"] for f in doc["findings"])
