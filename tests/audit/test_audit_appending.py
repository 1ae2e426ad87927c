"""The audit log under faults: a full disk, an interrupted append and its repair, concurrent writers,
four-digit years, the wall clock in ``at``, grants recorded once per plan, and inputs that are not
regular files. Every error is clean (no traceback) and names the log."""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import change, plan_doc, state_doc, state_resource, write_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_toolkit import audit as audit_mod
from nhi_toolkit.audit import (
    AuditLog,
    AuditLogAccessError,
    AuditLogCorrupt,
    AuditNotRecorded,
    AuditWriteError,
    ChainBroken,
    Event,
    apply_repair,
    format_at,
    iter_entries,
    plan_repair,
    verify,
)
from nhi_toolkit.cli import main
from nhi_toolkit.errors import NhiError

WALL = datetime(2026, 7, 4, 12, 30, 0, tzinfo=UTC)
WALL_TEXT = "2026-07-04T12:30:00Z"
NOW_TEXT = "2026-06-01T00:00:00Z"
TAGS = {"owner": "alice@example.com", "expires_at": "2027-05-01", "integration": "bot"}


def fixed() -> datetime:
    return WALL


def build(path: Path, n: int = 3) -> bytes:
    log = AuditLog(path, clock=fixed)
    for i in range(n):
        log.append(Event.PLANNED, run_id="r1", data={"address": f"aws_iam_user.u{i}"}, now=NOW_TEXT)
    return path.read_bytes()


def cli(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# --- a fault-injecting writer ---------------------------------------------------------------------


def _names(fd: int, path: Path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == str(path.resolve())
    except OSError:
        return False


def fail_writes(monkeypatch: pytest.MonkeyPatch, path: Path, budget: int, error: int = errno.ENOSPC) -> None:
    """Let ``budget`` more bytes reach ``path`` (a short write takes what is left), then fail every
    write to it with ``error``. Writes to any other file go through untouched."""
    real = os.write
    left = [budget]

    def write(fd: int, data: Any) -> int:
        if not _names(fd, path):
            return real(fd, data)
        if left[0] <= 0:
            raise OSError(error, os.strerror(error))
        chunk = bytes(data[: left[0]])
        left[0] -= len(chunk)
        return real(fd, chunk)

    monkeypatch.setattr(os, "write", write)


def big_data(size: int = 300) -> dict[str, str]:
    return {"address": "aws_iam_user.big", "reason": "r" * size}


@pytest.mark.parametrize("budget", [0, 1, 57, 299])
def test_failed_write_leaves_the_log_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               budget: int) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    fail_writes(monkeypatch, log, budget)
    with pytest.raises(AuditWriteError) as info:
        AuditLog(log, clock=fixed).append(Event.APPLIED, run_id="r1", data=big_data())
    err = info.value
    assert err.restored and err.exit_code == 2
    assert str(err).startswith(f"{log}: cannot append to the audit log (No space left on device)")
    assert "as it was" in str(err)
    assert log.read_bytes() == before
    monkeypatch.undo()
    assert verify(log).ok
    assert AuditLog(log, clock=fixed).append(Event.APPLIED, run_id="r1", data=big_data()).seq == 4
    assert verify(log).entries == 4


def test_failed_batch_records_none_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    line = len(before) // 3
    fail_writes(monkeypatch, log, line + 10)  # the first entry of the batch fits, the second does not
    with pytest.raises(AuditWriteError):
        AuditLog(log, clock=fixed).extend([(Event.GRANT, {"address": f"a.b{i}"}) for i in range(3)],
                                          run_id="r2")
    assert log.read_bytes() == before


def test_failed_fsync_is_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    real = os.fsync
    calls = [0]

    def fsync(fd: int) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(AuditWriteError, match="Input/output error"):
        AuditLog(log, clock=fixed).append(Event.APPLIED, run_id="r1", data={})
    assert log.read_bytes() == before


def test_interrupted_write_into_an_empty_log_leaves_it_empty(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "new" / "audit.jsonl"
    fail_writes(monkeypatch, log, 20)
    with pytest.raises(AuditWriteError):
        AuditLog(log).append(Event.GRANT, run_id="r", data={})
    assert log.read_bytes() == b""
    monkeypatch.undo()
    assert verify(log).ok


def leave_fragment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int = 40) -> tuple[Path, bytes]:
    """A log whose last append was cut short and could not be cut back (truncation fails too)."""
    log = tmp_path / "audit.jsonl"
    before = build(log)
    fail_writes(monkeypatch, log, budget)
    monkeypatch.setattr(os, "ftruncate", lambda fd, size: (_ for _ in ()).throw(
        OSError(errno.EIO, os.strerror(errno.EIO))))
    with pytest.raises(AuditWriteError) as info:
        AuditLog(log, clock=fixed).append(Event.APPLIED, run_id="r1", data=big_data())
    assert not info.value.restored
    assert f"run 'nhi audit repair {log}'" in str(info.value)
    monkeypatch.undo()
    assert log.read_bytes()[: len(before)] == before and len(log.read_bytes()) == len(before) + budget
    return log, before


def test_fragment_is_named_by_verify_and_refused_by_append(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    log, before = leave_fragment(tmp_path, monkeypatch)
    result = verify(log)
    assert (result.ok, result.entries, result.first_broken) == (False, 3, 4)
    assert (result.first_broken_offset, result.repair, result.repair_bytes) == (len(before), "cut", 40)
    code, out, _ = cli("audit", "verify", str(log))
    assert code == 1
    assert f"where: {log}, line 4, byte offset {len(before)}" in out
    assert f"repair: 'nhi audit repair {log}' cuts the 40 bytes from byte offset {len(before)}" in out
    with pytest.raises(AuditLogCorrupt) as info:
        AuditLog(log).append(Event.APPLIED, run_id="r1", data={})
    assert str(info.value).startswith(f"{log}: the audit log ends with an incomplete line at byte offset "
                                      f"{len(before)}")
    assert "nhi audit repair" in str(info.value)


def test_repair_cuts_the_fragment_after_confirmation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, before = leave_fragment(tmp_path, monkeypatch)
    damaged = log.read_bytes()
    code, out, err = cli("audit", "repair", str(log), input="n\n")
    assert code == 1 and "nothing changed" in err
    assert log.read_bytes() == damaged
    code, out, err = cli("audit", "repair", str(log), input="")  # no answer (end of input): no
    assert code == 1 and log.read_bytes() == damaged
    code, out, err = cli("audit", "repair", str(log), input="y\n")
    assert code == 0, err
    assert f"an incomplete last line (line 4), 40 bytes from byte offset {len(before)}" in out
    assert damaged[len(before):].decode() in out  # what it cuts
    assert "Cut these 40 bytes?" in err
    assert f"cut 40 bytes at byte offset {len(before)}" in out and "ok: 3 entries" in out
    assert log.read_bytes() == before
    assert AuditLog(log).append(Event.APPLIED, run_id="r1", data={}).seq == 4


def test_repair_yes_skips_the_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, before = leave_fragment(tmp_path, monkeypatch, budget=1)
    code, _, err = cli("audit", "repair", "--yes", str(log))
    assert code == 0 and err == ""
    assert log.read_bytes() == before


def test_repair_shows_an_unprintable_fragment_escaped(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    log.write_bytes(before + b"\x00\x00\x1b[2J\x00")  # what a crash can leave: zeros, anything
    code, out, _ = cli("audit", "repair", "-y", str(log))
    assert code == 0 and "\x1b" not in out and "\\x1b[2J" in out
    assert log.read_bytes() == before


def test_repair_writes_nothing_to_an_intact_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    stamp = os.stat(log).st_mtime_ns
    code, out, _ = cli("audit", "repair", "--yes", str(log))
    assert code == 0 and out.startswith(f"nothing to repair: {log} is intact (3 entries")
    assert log.read_bytes() == before and os.stat(log).st_mtime_ns == stamp
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert cli("audit", "repair", str(empty))[0] == 0 and empty.read_bytes() == b""


def test_repair_never_cuts_a_complete_entry(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    # The last entry is whole and chained but lost its newline: repair gives it back, keeping 3.
    log.write_bytes(before[:-1])
    assert plan_repair(log).action == "complete"
    code, out, _ = cli("audit", "repair", "--yes", str(log))
    assert code == 0 and "added the newline of entry 3" in out and "ok: 3 entries" in out
    assert log.read_bytes() == before
    # A damaged entry in the middle, or a complete last line that is not valid: left as evidence.
    lines = before.splitlines(keepends=True)
    for damaged in (lines[0] + lines[1].replace(b"u1", b"u9") + lines[2],
                    lines[0] + lines[1] + lines[2].replace(b"u2", b"u9")):
        log.write_bytes(damaged)
        code, _, err = cli("audit", "repair", "--yes", str(log))
        assert code == 1 and "nothing was changed" in err and str(log) in err
        assert log.read_bytes() == damaged


def test_repair_refuses_when_the_log_changed_meanwhile(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    before = build(log)
    log.write_bytes(before + b'{"at":"20')
    planned = plan_repair(log)
    log.write_bytes(before + b'{"at":"2026')
    with pytest.raises(AuditLogCorrupt, match="changed since the repair was planned"):
        apply_repair(log, planned)
    assert log.read_bytes() == before + b'{"at":"2026'


def test_repair_of_a_missing_or_non_file_is_an_input_error(tmp_path: Path) -> None:
    for target in (tmp_path / "gone.jsonl", tmp_path):
        code, _, err = cli("audit", "repair", "--yes", str(target))
        assert code == 2 and str(target) in err and "Traceback" not in err


# --- a real full disk -----------------------------------------------------------------------------


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root); the fault-injecting tests cover this")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, check=False)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_full_disk_leaves_the_log_as_it_was(small_disk: Path) -> None:
    log = small_disk / "audit.jsonl"
    before = build(log)
    filler = fill(small_disk)
    with pytest.raises(AuditWriteError) as info:
        AuditLog(log, clock=fixed).append(Event.APPLIED, run_id="r1", data=big_data(20_000))
    assert str(info.value).startswith(f"{log}: cannot append to the audit log (No space left on device)")
    assert log.read_bytes() == before and verify(log).ok
    # The CLI says the same in one line, exit 2.
    plan = write_json(small_disk.parent / "plan.json",
                      plan_doc(*(change(f"aws_iam_user.u{i}", {"name": f"u{i}" * 400, "tags": TAGS})
                                 for i in range(40))))
    code, _, err = cli("check", str(plan), "--now", NOW_TEXT, "--audit-log", str(log), "--fail-on", "never")
    assert code == 2 and err.startswith(f"nhi: error: {log}: cannot append") and "Traceback" not in err
    assert log.read_bytes() == before
    filler.unlink()
    assert AuditLog(log, clock=fixed).append(Event.APPLIED, run_id="r1", data=big_data(20_000)).seq == 4
    assert verify(log).entries == 4


# --- concurrency ----------------------------------------------------------------------------------


def _faulty_worker(path: str, worker: int, barrier: Any, results: Any) -> None:
    """Every third append of odd workers meets a full disk; the others go through."""
    barrier.wait()
    real = os.write
    ok = failed = 0
    for i in range(15):
        if worker % 2 and i % 3 == 2:
            def write(fd: int, data: Any) -> int:
                if _names(fd, Path(path)):
                    real(fd, bytes(data[:30]))
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real(fd, data)
            os.write = write  # type: ignore[assignment]
        else:
            os.write = real
        try:
            AuditLog(path).append(Event.APPLIED, run_id=f"w{worker}", data={"i": i, "pad": "x" * 40 * worker})
            ok += 1
        except AuditWriteError:
            failed += 1
    os.write = real
    results.put((worker, ok, failed))


def test_concurrent_appends_with_failures_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")
    workers = 4
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_faulty_worker, args=(str(path), w, barrier, results)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * workers
    counts = sorted(results.get(timeout=5) for _ in range(workers))
    assert counts == [(0, 15, 0), (1, 10, 5), (2, 15, 0), (3, 10, 5)]
    result = verify(path)
    assert (result.ok, result.entries) == (True, 50), result


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


# --- four-digit years and the wall clock ----------------------------------------------------------


def test_years_before_1000_have_four_digits(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    entry = AuditLog(log, clock=lambda: datetime(999, 6, 1, 8, 0, tzinfo=UTC)).append(
        Event.GRANT, run_id="r", data={}, now=datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    assert entry.at == "0999-06-01T08:00:00Z"
    assert entry.data["now"] == "0005-01-02T03:04:05.000006Z"
    assert verify(log).ok
    assert format_at(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="outside years 1 to 9999"):
        format_at(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))
    with pytest.raises(ValueError):
        AuditLog(log).append(Event.GRANT, run_id="r", now="999-06-01T00:00:00Z")
    assert verify(log).entries == 1


OFFSETS = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60 - 59, 23 * 60 + 59))
INSTANTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                        timezones=st.one_of(st.just(UTC), OFFSETS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=INSTANTS, now=INSTANTS)
def test_verify_accepts_every_instant_append_writes(tmp_path: Path, at: datetime, now: datetime) -> None:
    log = tmp_path / "audit.jsonl"
    log.unlink(missing_ok=True)
    entry = AuditLog(log, clock=lambda: at).append(Event.PLANNED, run_id="r", data={}, now=now)
    assert entry.at == format_at(at) and len(entry.at.split("-", 1)[0]) == 4
    assert datetime.fromisoformat(entry.at) == at
    assert datetime.fromisoformat(entry.data["now"]) == now
    assert verify(log).ok


def test_at_is_the_wall_clock_and_now_is_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_mod, "CLOCK", fixed)
    log = tmp_path / "audit.jsonl"
    entry = AuditLog(log).append(Event.GRANT, run_id="r", data={"address": "a.b"}, at="2020-01-01")
    assert (entry.at, entry.data["now"]) == (WALL_TEXT, "2020-01-01T00:00:00Z")
    # An explicit data.now wins over the former at= keyword.
    entry = AuditLog(log).append(Event.GRANT, run_id="r", data={"now": "x"}, at="2020-01-01")
    assert entry.data["now"] == "x"
    with pytest.raises(TypeError):
        AuditLog(log).append(Event.GRANT, run_id="r", now="2020-01-01", at="2020-01-01")
    real = AuditLog(tmp_path / "real.jsonl")
    monkeypatch.undo()
    before = datetime.now(UTC)
    stamped = datetime.fromisoformat(real.append(Event.GRANT, run_id="r", now="2001-01-01").at)
    assert before <= stamped <= datetime.now(UTC)


# --- grants once per plan -------------------------------------------------------------------------


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


# --- retirement -----------------------------------------------------------------------------------


def write_state(tmp_path: Path) -> Path:
    expired = {"owner": "alice@example.com", "expires_at": "2026-01-01"}
    return write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "old", {"name": "old", "tags": expired, "tags_all": expired})))


def test_retire_with_a_corrupt_log_stops_naming_it(tmp_path: Path) -> None:
    state = write_state(tmp_path)
    log = tmp_path / "audit.jsonl"
    lines = build(log).splitlines(keepends=True)
    damaged = lines[0] + lines[1].replace(b"u1", b"u7") + lines[2]
    log.write_bytes(damaged)
    code, _, err = cli("retire", "--state", str(state), "--now", "2026-12-01", "--audit-log", str(log))
    assert code == 2 and err.startswith(f"nhi: error: {log}:2: ") and "Traceback" not in err
    assert log.read_bytes() == damaged
    code, _, err = cli("retire", "--state", str(state), "--now", "2026-12-01", "--audit-log", str(tmp_path))
    assert code == 2 and str(tmp_path) in err


def test_retire_previous_failures_never_hides_a_broken_log(tmp_path: Path) -> None:
    from nhi_toolkit.retire import _Audit

    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"{not json}\n")
    with pytest.raises(ChainBroken) as info:
        _Audit(str(log), WALL, "review").previous_failures()
    assert isinstance(info.value, NhiError) and info.value.exit_code == 2 and str(log) in str(info.value)
    log.unlink()
    assert _Audit(str(log), WALL, "review").previous_failures() == {}


def test_retire_stops_with_exit_4_when_a_step_cannot_be_recorded(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    state = write_state(tmp_path)
    log = tmp_path / "audit.jsonl"
    before = build(log)
    fail_writes(monkeypatch, log, 0)
    code, _, err = cli("retire", "--state", str(state), "--now", "2026-12-01", "--audit-log", str(log))
    assert code == 4, err
    assert err.startswith(f"nhi: error: {log}: cannot record the 'run-started' step in the audit log")
    assert "No space left on device" in err and "Traceback" not in err
    assert log.read_bytes() == before


def test_audit_not_recorded_wraps_the_cause() -> None:
    cause = AuditWriteError("/x/audit.jsonl", "cannot append (No space left on device)", True)
    err = AuditNotRecorded("/x/audit.jsonl", "applied", cause)
    assert err.exit_code == 4 and err.cause is cause and err.event == "applied"
    assert str(err).startswith("/x/audit.jsonl: cannot record the 'applied' step")


# --- inputs that are not regular files ------------------------------------------------------------


def run_nhi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nhi_toolkit.cli", *args], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-null"])
@pytest.mark.parametrize("command", ["verify", "show", "repair"])
def test_audit_commands_refuse_non_files_without_hanging(tmp_path: Path, fifo: Path, kind: str,
                                                         command: str) -> None:
    target = {"directory": tmp_path, "fifo": fifo, "dev-null": Path("/dev/null")}[kind]
    done = run_nhi("audit", command, *(["--yes"] if command == "repair" else []), str(target))
    assert done.returncode == 2, done.stderr
    assert str(target) in done.stderr and "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_append_refuses_non_files(tmp_path: Path, fifo: Path) -> None:
    for target in (tmp_path, fifo, Path("/dev/null")):
        with pytest.raises(AuditLogAccessError, match="not a regular file") as info:
            AuditLog(target).append(Event.GRANT, run_id="r", data={})
        assert str(target) in str(info.value)


def test_control_characters_in_a_log_path_are_escaped(tmp_path: Path) -> None:
    evil = tmp_path / "ok\x1b[2J\rall clean\u202e.jsonl"
    evil.mkdir()
    done = run_nhi("audit", "verify", str(evil))
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and "\r" not in done.stderr and "\u202e" not in done.stderr
    assert "ok\\x1b[2J\\x0dall clean\\u202e.jsonl" in done.stderr
    with pytest.raises(AuditLogAccessError) as info:
        AuditLog(evil).append(Event.GRANT, run_id="r", data={})
    assert "\x1b" not in str(info.value)


# --- retirement with real Terraform ---------------------------------------------------------------


def fail_event(monkeypatch: pytest.MonkeyPatch, path: Path, event: str) -> None:
    """Fail (full disk) every write to ``path`` of an entry with this event, after half of it."""
    real = os.write
    marker = f'"event":"{event}"'.encode()

    def write(fd: int, data: Any) -> int:
        if _names(fd, path) and marker in bytes(data):
            real(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.terraform
def test_retire_apply_stops_before_destroying_when_the_log_is_full(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from test_retire_e2e import EXAMPLE, EXPIRED, FRESH, deploy, retire, state_addresses

    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        tf = find_terraform()
    except TerraformError as exc:
        pytest.skip(f"no Terraform available: {exc}")
    work = deploy(tf, EXAMPLE, tmp_path / "infra")
    log = tmp_path / "audit.jsonl"
    args = ["--now", "2026-12-01", "--audit-log", str(log), "--no-init", "--apply", "-q"]
    # A broken log is bad input: exit 2 naming it, before anything is planned.
    log.write_bytes(b'{"seq":1}\n')
    code, _, err = retire(work, *args)
    assert code == 2 and err.startswith(f"nhi: error: {log}:1: ")
    assert state_addresses(tf, work) == EXPIRED | FRESH
    # The disk fills up as the verified steps are recorded: the run stops there, nothing destroyed.
    log.unlink()
    fail_event(monkeypatch, log, "verified")
    code, _, err = retire(work, *args)
    monkeypatch.undo()
    assert code == 4, err
    assert f"{log}: cannot record the 'verified' step" in err and "Traceback" not in err
    assert state_addresses(tf, work) == EXPIRED | FRESH
    assert verify(log).ok
    assert [e.event for e in iter_entries(log)][-1] == "planned"
    # With room again the same command retires, and the log stays one chain.
    code, _, err = retire(work, *args)
    assert code == 0, err
    assert state_addresses(tf, work) == FRESH
    assert verify(log).ok


# --- the chain check itself, over arbitrary data -------------------------------------------------

KEYS = st.sampled_from(["address", "hash", "prev", "seq", "at", "run_id", "data", "owner", "n", "list"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)
    | st.sampled_from(["ab" * 32, '","hash":"', ',"hash":"' + "0" * 64 + '"']),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(KEYS, JSON, max_size=4), flip=st.integers(0, 10_000))
def test_any_data_verifies_and_any_changed_byte_breaks_it(tmp_path: Path, data: dict[str, Any],
                                                          flip: int) -> None:
    log = tmp_path / "audit.jsonl"
    log.unlink(missing_ok=True)
    first = AuditLog(log, clock=fixed).append(Event.GRANT, run_id="r", data={"address": "a.b"})
    AuditLog(log, clock=fixed).append(Event.GRANT, run_id="r", data=data | {"hash": first.hash})
    good = log.read_bytes()
    assert verify(log).ok
    second = good.index(b"\n") + 1
    where = second + flip % (len(good) - second - 1)  # any byte of the second line but its newline
    bad = bytearray(good)
    bad[where] = ord("x") if bad[where] != ord("x") else ord("y")
    log.write_bytes(bytes(bad))
    result = verify(log)
    assert (result.ok, result.first_broken, result.entries) == (False, 2, 1)


def test_unwritable_log_is_an_input_error_for_check_and_retire(small_disk: Path) -> None:
    log = small_disk / "audit.jsonl"
    before = build(log)
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot remount the tmpfs read-only here")
    plan = write_json(small_disk.parent / "plan.json", plan_doc(change("aws_iam_user.a", {"name": "a", "tags": TAGS})))
    code, _, err = cli("check", str(plan), "--now", NOW_TEXT, "--fail-on", "never", "--audit-log", str(log))
    assert code == 2 and err.startswith(f"nhi: error: {log}: cannot open the audit log for appending "
                                        "(Read-only file system)")
    state = write_state(small_disk.parent)
    code, _, err = cli("retire", "--state", str(state), "--now", "2026-12-01", "--audit-log", str(log))
    assert code == 2 and f"{log}: cannot open the audit log for appending" in err
    assert log.read_bytes() == before and verify(log).ok


def test_retire_entries_carry_the_evaluation_time_with_a_four_digit_year(tmp_path: Path) -> None:
    from nhi_toolkit.retire import _Audit

    log = tmp_path / "audit.jsonl"
    audit = _Audit(str(log), datetime(987, 6, 5, tzinfo=UTC), "review")
    audit("run-started", now="987-06-05T00:00:00Z", mode="review")
    audit("planned", address="aws_iam_user.a")
    assert [e.data["now"] for e in iter_entries(log)] == ["0987-06-05T00:00:00Z"] * 2
    assert verify(log).ok
