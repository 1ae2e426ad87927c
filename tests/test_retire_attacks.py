"""``nhi retire`` attacked with real Terraform (terraform_data only, no provider downloads).

Each test deploys a small configuration from ``tests/fixtures/retire/attacks`` (``NAME.tf.off`` is
copied in as ``NAME.tf``) and tries one way to make retire destroy more than the reviewed manifest
names, mislead its reader, or leak what the plan file holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main

pytestmark = pytest.mark.terraform

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "retire" / "attacks"
NOW = "2026-12-01"


@pytest.fixture(scope="module")
def tf():  # type: ignore[no-untyped-def]
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        return find_terraform()
    except TerraformError as exc:
        pytest.skip(f"no Terraform available: {exc}")


def deploy(tf, dest: Path, *names: str) -> set[str]:  # type: ignore[no-untyped-def]
    dest.mkdir()
    shutil.copy(FIXTURE / "nhi.toml", dest / "nhi.toml")
    for name in names:
        shutil.copy(FIXTURE / f"{name}.tf.off", dest / f"{name}.tf")
    tf.init(dest)
    tf.plan(dest, out="setup.tfplan")
    tf.apply(dest, "setup.tfplan")
    (dest / "setup.tfplan").unlink()
    return state(tf, dest)


def state(tf, directory: Path) -> set[str]:  # type: ignore[no-untyped-def]
    from nhi_toolkit.retire import _addresses_in_state

    return _addresses_in_state(tf.state_pull(directory))


def retire(directory: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["retire", "--terraform-dir", str(directory), "--now", now,
                                       "--no-init", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_tag_values_cannot_forge_lines_in_the_summary_or_refusal(tf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An owner or revocation path with a carriage return, newline or bidi override is shown
    escaped: every printed line is one the tool wrote, none a tag value's."""
    work = tmp_path / "infra"
    before = deploy(tf, work, "injection")
    code, stdout, stderr = retire(work, "--manifest", str(tmp_path / "m.json"))
    assert code == 3, stderr
    text = stdout + stderr
    for bad in ("\r", "\u202e"):
        assert bad not in text
    lines = text.splitlines()
    assert not any(ln.startswith(("nhi retire: nothing", "nhi retire: retired", "refused: nothing"))
                   for ln in lines), text
    assert "alice\\rnhi retire: nothing to retire\\u202e" in stdout
    assert "call me\\nnhi retire: retired 0 identities" in stdout
    assert "owner bob\\nrefused: nothing" in stderr
    assert state(tf, work) == before
    # The manifest keeps the values as they are (it is JSON, escaped by its own rules).
    assert "alice\\rnhi retire" in (tmp_path / "m.json").read_text(encoding="utf-8")
