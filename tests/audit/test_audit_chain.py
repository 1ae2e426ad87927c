"""The chain format: entry fields, canonical lines and hashes, event names, four-digit years in
every instant, and the chain check over arbitrary data."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from audit_logs import T0, T0_TEXT, build_bots, fixed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhi_toolkit.audit import (
    ZERO_HASH,
    AuditLog,
    Event,
    format_at,
    iter_entries,
    verify,
)


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


def test_entry_format_and_chain(log_path: Path) -> None:
    wall = datetime(2026, 6, 2, 10, 30, 5, 250000, tzinfo=UTC)
    log = AuditLog(log_path, clock=lambda: wall)
    first = log.append(Event.RUN_STARTED, run_id="r1", data={"plan_sha256": "ab" * 32}, at=T0)
    second = log.append(
        "planned", run_id="r1", data={"address": "aws_iam_user.a"}, at="2026-05-01T11:00:00+02:00"
    )
    assert (first.seq, first.prev) == (1, ZERO_HASH)
    assert (second.seq, second.prev) == (2, first.hash)
    assert second.at == "2026-06-02T10:30:05.250000Z"  # the (injected) wall clock, not the at= argument
    assert second.data["now"] == T0_TEXT  # at= is the evaluation time, normalised to UTC, in data.now
    lines = log_path.read_text().splitlines()
    obj = json.loads(lines[1])
    assert set(obj) == {"seq", "at", "event", "run_id", "data", "prev", "hash"}
    assert lines[1] == json.dumps(obj, sort_keys=True, separators=(",", ":"))
    body = {k: v for k, v in obj.items() if k != "hash"}
    expected = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert obj["hash"] == expected == second.hash
    assert second.to_json() == obj
    assert [e.hash for e in iter_entries(log_path)] == [first.hash, second.hash]


def test_same_input_same_bytes(tmp_path: Path) -> None:
    assert build_bots(tmp_path / "a.jsonl") == build_bots(tmp_path / "b.jsonl")


def test_event_names() -> None:
    assert [e.value for e in Event] == [
        "run-started", "planned", "verified", "refused", "applied", "confirmed",
        "failed", "retried", "run-finished", "grant", "revoke", "applying", "confirmed-live",
    ]  # fmt: skip


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
