"""Appending to the file log: a failed write (a full disk, fault-injected or real) leaves the log as it
was, a damaged tail is refused, concurrent writers keep one chain, anything but a regular file is
refused, and a retirement stops cleanly when its steps cannot be recorded."""

from __future__ import annotations

import errno
import multiprocessing
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from audit_logs import (
    NOW_TEXT,
    T0,
    TAGS,
    WALL,
    big_data,
    build,
    build_bots,
    cli,
    fail_writes,
    fixed,
    writes_to,
)
from conftest import change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.audit import (
    AuditLog,
    AuditLogAccessError,
    AuditLogCorrupt,
    AuditWriteError,
    ChainBroken,
    Event,
    iter_entries,
    verify,
)
from nhi_toolkit.errors import NhiError


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


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


def test_append_refuses_damaged_tail(log_path: Path) -> None:
    lines = build_bots(log_path, 3)
    log = AuditLog(log_path)
    for damaged in (lines[:2] + [lines[2][:-5]], lines[:2] + [lines[2].replace(b"bot[2]", b"bot[9]")]):
        log_path.write_bytes(b"".join(damaged))
        with pytest.raises(AuditLogCorrupt, match="nhi audit verify"):
            log.append(Event.FAILED, run_id="r", data={}, at=T0)
        assert log_path.read_bytes() == b"".join(damaged)


def test_append_reads_long_last_line(log_path: Path) -> None:
    log = AuditLog(log_path)
    log.append(Event.PLANNED, run_id="r", data={"reason": "x" * 20_000}, at=T0)
    log.append(Event.APPLIED, run_id="r", data={"reason": "y" * 50_000}, at=T0)
    assert log.append(Event.CONFIRMED, run_id="r", data={}, at=T0).seq == 3
    assert verify(log_path).entries == 3


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


WORKERS, PER_WORKER = 6, 20


def _worker(path: str, worker: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    log = AuditLog(path)
    for i in range(PER_WORKER):
        log.append(Event.APPLIED, run_id=f"w{worker}", data={"i": i, "pad": "z" * (37 * worker)}, at=T0)


def test_concurrent_processes_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")  # fcntl makes this POSIX-only anyway; fork starts fast
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_worker, args=(str(path), w, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    _assert_interleaved_chain(path, WORKERS * PER_WORKER)


def test_concurrent_threads_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    barrier = threading.Barrier(WORKERS)
    threads = [threading.Thread(target=_worker, args=(str(path), w, barrier)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    _assert_interleaved_chain(path, WORKERS * PER_WORKER)


def _assert_interleaved_chain(path: Path, total: int) -> None:
    result = verify(path)
    assert (result.ok, result.entries) == (True, total), result
    entries = list(iter_entries(path))
    assert [e.seq for e in entries] == list(range(1, total + 1))
    per_worker: dict[str, list[int]] = {}
    for e in entries:
        per_worker.setdefault(e.run_id, []).append(e.data["i"])
    assert per_worker == {f"w{w}": list(range(PER_WORKER)) for w in range(WORKERS)}


def _faulty_worker(path: str, worker: int, barrier: Any, results: Any) -> None:
    """Every third append of odd workers meets a full disk; the others go through."""
    barrier.wait()
    real = os.write
    ok = failed = 0
    for i in range(15):
        if worker % 2 and i % 3 == 2:
            def write(fd: int, data: Any) -> int:
                if writes_to(fd, Path(path)):
                    real(fd, bytes(data[:30]))
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real(fd, data)
            os.write = write
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


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


def test_append_refuses_non_files(tmp_path: Path, fifo: Path) -> None:
    for target in (tmp_path, fifo, Path("/dev/null")):
        with pytest.raises(AuditLogAccessError, match="not a regular file") as info:
            AuditLog(target).append(Event.GRANT, run_id="r", data={})
        assert str(target) in str(info.value)


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


def test_retire_entries_carry_the_evaluation_time_with_a_four_digit_year(tmp_path: Path) -> None:
    from nhi_toolkit.retire import _Audit

    log = tmp_path / "audit.jsonl"
    audit = _Audit(str(log), datetime(987, 6, 5, tzinfo=UTC), "review")
    audit("run-started", now="987-06-05T00:00:00Z", mode="review")
    audit("planned", address="aws_iam_user.a")
    assert [e.data["now"] for e in iter_entries(log)] == ["0987-06-05T00:00:00Z"] * 2
    assert verify(log).ok


def fail_event(monkeypatch: pytest.MonkeyPatch, path: Path, event: str) -> None:
    """Fail (full disk) every write to ``path`` of an entry with this event, after half of it."""
    real = os.write
    marker = f'"event":"{event}"'.encode()

    def write(fd: int, data: Any) -> int:
        if writes_to(fd, path) and marker in bytes(data):
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
