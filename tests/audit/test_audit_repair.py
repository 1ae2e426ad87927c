"""Repairing an interrupted append: verify names the fragment, append refuses it, repair cuts it
(or gives a complete last entry its newline) and never touches any other break."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from audit_logs import big_data, build, cli, fail_writes, fixed

from nhi_toolkit.audit import (
    AuditLog,
    AuditLogCorrupt,
    AuditWriteError,
    Event,
    apply_repair,
    plan_repair,
    verify,
)


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
