"""``nhi check --audit-log``: a plan's grants and revokes are recorded once per plan, also by
concurrent checks, and an unusable log is an input error."""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
from pathlib import Path
from typing import Any

import pytest
from audit_logs import NOW_TEXT, TAGS, WALL_TEXT, build, cli, fixed
from click.testing import CliRunner
from conftest import change, plan_doc, write_json

from nhi_toolkit import audit as audit_mod
from nhi_toolkit.audit import (
    iter_entries,
    verify,
)
from nhi_toolkit.cli import main


def test_check_records_a_plans_grants_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_mod, "CLOCK", fixed)
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.new", {"name": "new", "tags": TAGS}),
        change("aws_iam_user.old", None, actions=["delete"], before={"name": "old", "tags": TAGS})))
    log = tmp_path / "audit.jsonl"
    args = ["check", str(plan), "--now", NOW_TEXT, "--audit-log", str(log), "--fail-on", "never"]
    assert cli(*args)[0] == 0
    first = log.read_bytes()
    digest = hashlib.sha256(plan.read_bytes()).hexdigest()
    entries = list(iter_entries(log))
    assert [(e.event, e.data["address"], e.data["plan_sha256"]) for e in entries] == [
        ("grant", "aws_iam_user.new", digest), ("revoke", "aws_iam_user.old", digest)]
    assert {(e.at, e.data["now"]) for e in entries} == {(WALL_TEXT, NOW_TEXT)}
    # A rerun on the same plan (later, or with another --now) records nothing new.
    assert cli(*args[:2], "--now", "2026-06-02", *args[4:])[0] == 0
    assert log.read_bytes() == first
    # A changed plan is a new plan: its grants are recorded again, under its own hash.
    plan.write_text(plan.read_text() + "\n", encoding="utf-8")
    assert cli(*args)[0] == 0
    again = list(iter_entries(log))[2:]
    assert [e.data["address"] for e in again] == ["aws_iam_user.new", "aws_iam_user.old"]
    assert {e.data["plan_sha256"] for e in again} == {hashlib.sha256(plan.read_bytes()).hexdigest()}
    assert verify(log).ok


def _check_worker(plan: str, log: str, barrier: Any) -> None:
    barrier.wait()
    result = CliRunner().invoke(main, ["check", plan, "--now", NOW_TEXT, "--audit-log", log,
                                       "--fail-on", "never"])
    sys.exit(result.exit_code)


def test_concurrent_checks_of_one_plan_record_its_grants_once(tmp_path: Path) -> None:
    plan = write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_user.a", {"name": "a", "tags": TAGS}), change("aws_iam_user.b", {"name": "b", "tags": TAGS})))
    log = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_check_worker, args=(str(plan), str(log), barrier)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * 4
    assert [e.data["address"] for e in iter_entries(log)] == ["aws_iam_user.a", "aws_iam_user.b"]


def test_check_with_a_corrupt_or_unusable_log_is_an_input_error(tmp_path: Path) -> None:
    plan = write_json(tmp_path / "plan.json", plan_doc(change("aws_iam_user.a", {"name": "a", "tags": TAGS})))
    log = tmp_path / "audit.jsonl"
    lines = build(log).splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])
    base = ["check", str(plan), "--now", NOW_TEXT, "--fail-on", "never", "--audit-log"]
    code, _, err = cli(*base, str(log))
    assert code == 2 and err.startswith(f"nhi: error: {log}:2: ") and "broken at entry 2" in err
    blocker = tmp_path / "file"
    blocker.write_text("")
    for bad in (tmp_path, blocker / "audit.jsonl", Path("/dev/null")):
        code, _, err = cli(*base, str(bad))
        assert code == 2 and str(bad) in err and "Traceback" not in err, err
