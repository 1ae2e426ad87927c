"""Shared audit-log test helpers: pinned clocks and times, small logs built byte-for-byte the same on
every run, a CLI runner, and a write-fault injector. Imported as ``from audit_logs import ...`` by the
audit suites in tests/audit and tests/commands."""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nhi_toolkit.audit import AuditLog, Event
from nhi_toolkit.cli import main

WALL = datetime(2026, 7, 4, 12, 30, 0, tzinfo=UTC)
WALL_TEXT = "2026-07-04T12:30:00Z"
NOW_TEXT = "2026-06-01T00:00:00Z"
TAGS = {"owner": "alice@example.com", "expires_at": "2027-05-01", "integration": "bot"}
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
T0_TEXT = "2026-05-01T09:00:00Z"
MARK = "SENTINEL-do-not-echo"  # appears in every entry's data; must never appear in a reason


def fixed() -> datetime:
    return WALL


def build(path: Path, n: int = 3) -> bytes:
    log = AuditLog(path, clock=fixed)
    for i in range(n):
        log.append(Event.PLANNED, run_id="r1", data={"address": f"aws_iam_user.u{i}"}, now=NOW_TEXT)
    return path.read_bytes()


def build_bots(path: Path, n: int = 10) -> list[bytes]:
    """A log of n entries with a pinned clock and times, so its bytes are the same on every run."""
    log = AuditLog(path, clock=lambda: T0)
    for i in range(n):
        log.append(
            Event.PLANNED if i % 2 else Event.REVOKE,
            run_id="run-1",
            data={"address": f"aws_iam_user.bot[{i}]", "owner": MARK},
            at=T0 + timedelta(minutes=i),
        )
    return path.read_bytes().splitlines(keepends=True)


def cli(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def writes_to(fd: int, path: Path) -> bool:
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
        if not writes_to(fd, path):
            return real(fd, data)
        if left[0] <= 0:
            raise OSError(error, os.strerror(error))
        chunk = bytes(data[: left[0]])
        left[0] -= len(chunk)
        return real(fd, chunk)

    monkeypatch.setattr(os, "write", write)


def big_data(size: int = 300) -> dict[str, str]:
    return {"address": "aws_iam_user.big", "reason": "r" * size}
