"""``--now`` later than the wall clock: applying is refused (exit 2) unless ``--allow-future-now``;
a review-only run warns. Real Terraform (terraform_data only); the wall clock is pinned."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, run_nhi

import nhi_toolkit.retire
from nhi_toolkit.cli import main
from nhi_toolkit.retire import FUTURE_NOW_TOLERANCE, future_now

WALL = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AHEAD = "2026-12-03"  # 1 d 12 h ahead of WALL
FIXTURE = FIXTURES / "retire" / "conflicts"
BEFORE = {"terraform_data.old[0]", "terraform_data.key[0]"}


def test_future_now_tolerates_clock_skew_only() -> None:
    def clock() -> datetime:
        return WALL

    assert future_now(WALL, clock) is None
    assert future_now(WALL - timedelta(days=400), clock) is None
    assert future_now(WALL + FUTURE_NOW_TOLERANCE, clock) is None
    text = future_now(WALL + FUTURE_NOW_TOLERANCE + timedelta(seconds=1), clock)
    assert text == ("2026-12-01T12:05:01Z is later than the clock (2026-12-01T12:00:00Z) by 5 min: "
                    "expiry judged then would retire identities before they expire")
    assert "by 1 d 12 h" in (future_now(datetime(2026, 12, 3, tzinfo=UTC), clock) or "")


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nhi_toolkit.retire, "CLOCK", lambda: WALL)


@pytest.fixture
def work(tf, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    dest = tmp_path / "infra"
    dest.mkdir()
    for name in ("main.tf", "nhi.toml"):
        shutil.copy(FIXTURE / name, dest / name)
    tf.init(dest)
    tf.plan(dest, out="setup.tfplan")
    tf.apply(dest, "setup.tfplan")
    (dest / "setup.tfplan").unlink()
    return dest


def state(tf, directory: Path) -> set[str]:  # type: ignore[no-untyped-def]
    from nhi_toolkit.retire import _addresses_in_state

    return _addresses_in_state(tf.state_pull(directory))


def retire(directory: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, ["retire", "--terraform-dir", str(directory), "--no-init", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.terraform
@pytest.mark.usefixtures("wall")
@pytest.mark.parametrize("source", ["--now", "NHI_NOW"])
def test_apply_with_a_future_now_is_refused(tf, work: Path, tmp_path: Path, source: str) -> None:  # type: ignore[no-untyped-def]
    audit = tmp_path / "audit.jsonl"
    args = ["--now", AHEAD] if source == "--now" else []
    code, _, stderr = retire(work, *args, "--apply", "--audit-log", str(audit),
                             env={"NHI_NOW": AHEAD} if source == "NHI_NOW" else None)
    assert code == 2, stderr
    assert f"Invalid value for {source}: 2026-12-03T00:00:00Z is later than the clock " \
           "(2026-12-01T12:00:00Z) by 1 d 12 h" in stderr
    assert "nothing was applied (give --allow-future-now to apply a rehearsal)" in stderr
    assert "Traceback" not in stderr
    assert state(tf, work) == BEFORE
    assert not audit.exists()


@pytest.mark.terraform
@pytest.mark.usefixtures("wall")
def test_future_now_is_allowed_for_a_rehearsal(tf, work: Path) -> None:  # type: ignore[no-untyped-def]
    code, stdout, stderr = retire(work, "--now", AHEAD)  # review only: a warning
    assert code == 0, stderr
    assert ("nhi retire: warning: --now 2026-12-03T00:00:00Z is later than the clock "
            "(2026-12-01T12:00:00Z) by 1 d 12 h") in stderr
    assert "applying it will need --allow-future-now" in stderr
    assert "verified a plan" in stdout
    code, stdout, stderr = retire(work, "--now", AHEAD, "--apply", "--allow-future-now")
    assert code == 0, stderr
    assert "2 addresses confirmed gone" in stdout
    assert state(tf, work) == set()


@pytest.mark.terraform
@pytest.mark.usefixtures("wall")
def test_reviewed_manifest_with_a_future_now_is_not_applied(tf, work: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The apply run takes ``now`` from the reviewed manifest: a rehearsal's manifest (or an edited
    one) must not destroy early in a pipeline."""
    m, plan = tmp_path / "m.json", tmp_path / "p.tfplan"
    code, _, stderr = retire(work, "--now", AHEAD, "--manifest", str(m), "--plan-out", str(plan))
    assert code == 0 and "warning" in stderr
    assert json.loads(m.read_text())["now"] == "2026-12-03T00:00:00Z"
    code, _, stderr = retire(work, "--manifest", str(m), "--plan-out", str(plan), "--apply")
    assert code == 2, stderr
    assert f"{m}: its now 2026-12-03T00:00:00Z is later than the clock" in stderr
    assert state(tf, work) == BEFORE
    code, _, stderr = retire(work, "--manifest", str(m), "--plan-out", str(plan), "--apply",
                             "--allow-future-now")
    assert code == 0, stderr
    assert state(tf, work) == set()


def test_the_real_wall_clock_is_the_default(tmp_path: Path) -> None:
    """A separate process: nothing pinned. The check comes before Terraform runs at all."""
    run = run_nhi(["retire", "--terraform-dir", tmp_path, "--now", "2999-01-01", "--apply"])
    assert run.code == 2, run.stderr
    assert "2999-01-01T00:00:00Z is later than the clock" in run.stderr
    assert "--allow-future-now" in run.stderr
