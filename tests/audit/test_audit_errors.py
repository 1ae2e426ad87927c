"""The audit log's errors: a step not recorded wraps its cause (exit 4), and a log's path is shown
with its control characters escaped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nhi_toolkit.audit import (
    AuditLog,
    AuditLogAccessError,
    AuditNotRecorded,
    AuditWriteError,
    Event,
)


def run_nhi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nhi_toolkit.cli", *args], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def test_audit_not_recorded_wraps_the_cause() -> None:
    cause = AuditWriteError("/x/audit.jsonl", "cannot append (No space left on device)", True)
    err = AuditNotRecorded("/x/audit.jsonl", "applied", cause)
    assert err.exit_code == 4 and err.cause is cause and err.event == "applied"
    assert str(err).startswith("/x/audit.jsonl: cannot record the 'applied' step")


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
