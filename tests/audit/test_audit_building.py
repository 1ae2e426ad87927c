"""Building entries: invalid arguments write nothing, ``at`` is the clock (the wall clock unless
injected) and ``now`` the evaluation time kept in data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_logs import T0, WALL_TEXT, fixed

from nhi_toolkit import audit as audit_mod
from nhi_toolkit.audit import (
    AuditLog,
    Event,
)


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


def test_default_at_is_utc_now(log_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    entry = AuditLog(log_path).append(Event.GRANT, run_id="r", data={})
    assert entry.at.endswith("Z")
    assert datetime.fromisoformat(entry.at) >= before


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"event": "exploded"}, ValueError),
        ({"run_id": ""}, ValueError),
        ({"run_id": "has space"}, ValueError),
        ({"at": datetime(2026, 1, 1)}, ValueError),  # naive
        ({"at": "yesterday"}, ValueError),
        ({"data": {"n": float("nan")}}, ValueError),
        ({"data": {"blob": b"\x00"}}, ValueError),
        ({"data": ["not", "a", "mapping"]}, TypeError),
    ],
)
def test_invalid_arguments_write_nothing(log_path: Path, kwargs: dict[str, object], error: type) -> None:
    args: dict[str, object] = {"event": Event.PLANNED, "run_id": "r", "data": {}, "at": T0} | kwargs
    event = args.pop("event")
    with pytest.raises(error):
        AuditLog(log_path).append(event, **args)  # type: ignore[arg-type]
    assert not log_path.exists()


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
