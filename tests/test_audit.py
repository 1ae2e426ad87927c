"""The hash-chained audit log: writing, tamper detection, concurrency, the secret guard and the CLI."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhi_toolkit import audit as audit_mod
from nhi_toolkit.audit import (
    ZERO_HASH,
    AuditLog,
    AuditLogAccessError,
    AuditLogCorrupt,
    ChainBroken,
    Event,
    SecretInAuditData,
    iter_entries,
    parse_expected_head,
    verify,
)
from nhi_toolkit.cli import main

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
T0_TEXT = "2026-05-01T09:00:00Z"
MARK = "SENTINEL-do-not-echo"  # appears in every entry's data; must never appear in a reason


def build(path: Path, n: int = 10) -> list[bytes]:
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


def rehash(line: bytes, **changes: object) -> bytes:
    """Rewrite one entry with changes and a correct own hash (the forger's move)."""
    obj = json.loads(line)
    obj.update(changes)
    obj.pop("hash")
    obj["hash"] = hashlib.sha256(audit_mod._canonical(obj).encode()).hexdigest()
    return (audit_mod._canonical(obj) + "\n").encode()


def edit(line: bytes, **changes: object) -> bytes:
    obj = json.loads(line)
    obj.update(changes)
    return (audit_mod._canonical(obj) + "\n").encode()


Lines = list[bytes]

# mutation of the 10 lines -> the first broken entry (line number)
TAMPER: list[tuple[str, Callable[[Lines], Lines], int]] = [
    ("modified data", lambda ls: ls[:6] + [ls[6].replace(b"bot[6]", b"bot[X]")] + ls[7:], 7),
    ("modified at", lambda ls: ls[:2] + [edit(ls[2], at="2030-01-01T00:00:00Z")] + ls[3:], 3),
    ("modified event", lambda ls: ls[:4] + [edit(ls[4], event="grant")] + ls[5:], 5),
    ("modified and rehashed", lambda ls: ls[:6] + [rehash(ls[6], run_id="run-2")] + ls[7:], 8),
    ("modified hash field", lambda ls: ls[:3] + [edit(ls[3], hash="a" * 64)] + ls[4:], 4),
    ("deleted in the middle", lambda ls: ls[:4] + ls[5:], 5),
    ("deleted first", lambda ls: ls[1:], 1),
    ("swapped 3 and 4", lambda ls: ls[:2] + [ls[3], ls[2]] + ls[4:], 3),
    ("moved last to front", lambda ls: ls[-1:] + ls[:-1], 1),
    ("duplicated (replayed)", lambda ls: ls[:5] + [ls[4]] + ls[5:], 6),
    ("bad prev, rehashed", lambda ls: ls[:3] + [rehash(ls[3], prev="b" * 64)] + ls[4:], 4),
    ("bad seq, rehashed", lambda ls: ls[:5] + [rehash(ls[5], seq=7)] + ls[6:], 6),
    ("first prev not zeros", lambda ls: [rehash(ls[0], prev="c" * 64)] + ls[1:], 1),
    ("invalid JSON", lambda ls: ls[:1] + [b"{not json\n"] + ls[2:], 2),
    ("JSON array", lambda ls: ls[:1] + [b"[1,2]\n"] + ls[2:], 2),
    ("missing field", lambda ls: ls[:2] + [rehash_without(ls[2], "run_id")] + ls[3:], 3),
    ("extra field, rehashed", lambda ls: ls[:2] + [rehash(ls[2], note=MARK)] + ls[3:], 3),
    ("blank line inserted", lambda ls: ls[:3] + [b"\n"] + ls[3:], 4),
    ("not canonical (spaces)", lambda ls: ls[:8] + [ls[8].replace(b",", b", ")] + ls[9:], 9),
    ("CRLF line ending", lambda ls: ls[:7] + [ls[7][:-1] + b"\r\n"] + ls[8:], 8),
    ("not ASCII", lambda ls: ls[:1] + [ls[1].replace(b"bot", "b\u00f6t".encode())] + ls[2:], 2),
    ("truncated last line", lambda ls: ls[:9] + [ls[9][: len(ls[9]) // 2]], 10),
    ("last newline removed", lambda ls: ls[:9] + [ls[9][:-1]], 10),
    ("garbage appended", lambda ls: ls + [b"\x00\x00\x00"], 11),
]


def rehash_without(line: bytes, field_name: str) -> bytes:
    obj = json.loads(line)
    obj.pop(field_name)
    obj.pop("hash")
    obj["hash"] = hashlib.sha256(audit_mod._canonical(obj).encode()).hexdigest()
    return (audit_mod._canonical(obj) + "\n").encode()


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


# --- format ---------------------------------------------------------------------------------------


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
    assert build(tmp_path / "a.jsonl") == build(tmp_path / "b.jsonl")


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


def test_event_names() -> None:
    assert [e.value for e in Event] == [
        "run-started", "planned", "verified", "refused", "applied", "confirmed",
        "failed", "retried", "run-finished", "grant", "revoke", "applying", "confirmed-live",
    ]  # fmt: skip


# --- verify ---------------------------------------------------------------------------------------


def test_intact_log_verifies(log_path: Path) -> None:
    lines = build(log_path)
    result = verify(log_path)
    last = json.loads(lines[-1])
    assert (result.ok, result.entries, result.head, result.first_broken, result.status) == (
        True, 10, last["hash"], None, "ok",
    )  # fmt: skip


def test_empty_file_verifies_with_zero_head(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert verify(path) == audit_mod.VerifyResult(ok=True, entries=0, head=ZERO_HASH)


def test_missing_file_is_an_access_error(tmp_path: Path) -> None:
    with pytest.raises(AuditLogAccessError, match="missing.jsonl"):
        verify(tmp_path / "missing.jsonl")
    with pytest.raises(AuditLogAccessError):
        verify(tmp_path)  # a directory


@pytest.mark.parametrize(("mutate", "line"), [(m, n) for _, m, n in TAMPER], ids=[t[0] for t in TAMPER])
def test_tampering_names_first_broken_entry(
    log_path: Path, mutate: Callable[[Lines], Lines], line: int
) -> None:
    lines = build(log_path)
    heads = [json.loads(raw)["hash"] for raw in lines]
    mutated = mutate(lines)
    log_path.write_bytes(b"".join(mutated))
    result = verify(log_path)
    assert (result.ok, result.first_broken, result.status) == (False, line, "broken")
    assert result.entries == line - 1
    assert result.head == (json.loads(mutated[line - 2])["hash"] if line > 1 else ZERO_HASH)
    assert result.reason
    assert MARK not in result.reason and "aws_iam_user" not in result.reason
    assert not any(h in result.reason for h in heads)
    assert not any(c * 8 in result.reason for c in "abc")


def test_append_refuses_damaged_tail(log_path: Path) -> None:
    lines = build(log_path, 3)
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


def test_iter_entries_stops_at_break(log_path: Path) -> None:
    lines = build(log_path)
    log_path.write_bytes(b"".join(lines[:4] + lines[5:]))
    seen: list[int] = []
    with pytest.raises(ChainBroken) as info:
        seen.extend(e.seq for e in iter_entries(log_path))
    assert seen == [1, 2, 3, 4]
    assert (info.value.line, info.value.entries) == (5, 4)


# --- expected head --------------------------------------------------------------------------------


def test_expect_head_accepts_growth(log_path: Path) -> None:
    build(log_path, 5)
    recorded = verify(log_path)
    AuditLog(log_path).append(Event.RUN_FINISHED, run_id="run-1", data={}, at=T0)
    for expect in (recorded.head, f"5:{recorded.head}", recorded.head.upper(), ZERO_HASH, f"0:{ZERO_HASH}"):
        result = verify(log_path, expect_head=expect)
        assert result.ok and result.entries == 6, expect
    assert verify(log_path, recorded.head).expected_head_at == 5


def test_expect_head_detects_truncation(log_path: Path) -> None:
    lines = build(log_path)
    recorded = verify(log_path)
    log_path.write_bytes(b"".join(lines[:7]))  # the last three entries cut: the chain alone is intact
    assert verify(log_path).ok
    bare = verify(log_path, recorded.head)
    assert (bare.ok, bare.status, bare.entries, bare.first_broken) == (False, "head-not-found", 7, None)
    precise = verify(log_path, f"10:{recorded.head}")
    assert (precise.ok, precise.status) == (False, "truncated")
    assert precise.reason and "10" in precise.reason and recorded.head not in precise.reason
    log_path.write_bytes(b"")
    assert verify(log_path, recorded.head).status == "truncated"


def test_expect_head_detects_rewritten_chain(log_path: Path) -> None:
    lines = build(log_path)
    recorded = verify(log_path)
    # A forger who rewrites entry 8 and re-chains everything after it leaves a valid chain.
    forged = lines[:7]
    for raw in lines[7:]:
        prev = json.loads(forged[-1])["hash"]
        forged.append(rehash(raw, prev=prev, run_id="run-9"))
    log_path.write_bytes(b"".join(forged))
    assert verify(log_path).ok
    result = verify(log_path, f"10:{recorded.head}")
    assert (result.ok, result.status) == (False, "diverged")


def test_broken_chain_wins_over_expect_head(log_path: Path) -> None:
    lines = build(log_path)
    recorded = verify(log_path)
    log_path.write_bytes(b"".join(lines[:3] + lines[4:]))
    result = verify(log_path, recorded.head)
    assert (result.status, result.first_broken) == ("broken", 4)


@pytest.mark.parametrize("text", ["", "abc", "1:" + "g" * 64, "x:" + "a" * 64, "a" * 63, "-1:" + "a" * 64])
def test_parse_expected_head_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_expected_head(text)


# --- secret guard ---------------------------------------------------------------------------------

SECRET_DATA = [
    {"secret": "hunter2"},
    {"password": "hunter2"},
    {"secret_string": "hunter2"},
    {"private_key": "hunter2"},
    {"private_key_pem": "hunter2"},
    {"ses_smtp_password_v4": "hunter2"},
    {"token": "hunter2"},
    {"value": "hunter2"},
    {"values": {"owner": "hunter2"}},
    {"secretString": "hunter2"},
    {"clientSecret": "hunter2"},
    {"APIKey": "hunter2"},
    {"api-key": "hunter2"},
    {"password_wo": "hunter2"},
    {"Authorization": "hunter2"},
    {"connection_string": "hunter2"},
    {"nested": {"deeper": [{"ok": 1}, {"credentials": {"id": "hunter2"}}]}},
    {"steps": [[{"session_token": "hunter2"}]]},
    {"note": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----"},
    {"keys": ["-----BEGIN OPENSSH PRIVATE KEY-----"]},
]


@pytest.mark.parametrize("data", SECRET_DATA, ids=lambda d: json.dumps(d)[:40])
def test_secret_guard_refuses(log_path: Path, data: dict[str, object]) -> None:
    with pytest.raises(SecretInAuditData) as info:
        AuditLog(log_path).append(Event.FAILED, run_id="r", data=data, at=T0)
    assert "hunter2" not in str(info.value) and "MIIE" not in str(info.value)
    assert not log_path.exists()


def test_secret_guard_names_the_key_path() -> None:
    with pytest.raises(SecretInAuditData, match=r"data\.nested\.deeper\[1\]\.credentials names a secret"):
        audit_mod.check_no_secrets({"nested": {"deeper": [{"ok": 1}, {"credentials": "hunter2"}]}})
    with pytest.raises(SecretInAuditData) as info:
        audit_mod.check_no_secrets({"reason": "rotated", "password": "hunter2"})
    assert "hunter2" not in str(info.value)


def test_secret_guard_allows_ordinary_fields(log_path: Path) -> None:
    data = {
        "address": 'aws_secretsmanager_secret.bot["a"]',
        "type": "aws_iam_access_key",
        "id": "AKIAEXAMPLE",
        "owner": "team-ml",
        "expires": "2026-12-01",
        "reason": "expired; the secret was rotated",
        "plan_sha256": "ab" * 32,
        "attempt": 2,
        "actions": ["delete"],
        "key_id": "k-1",
        "keys": ["owner", "expires"],
    }
    assert AuditLog(log_path).append(Event.REVOKE, run_id="r", data=data, at=T0).data == data | {"now": T0_TEXT}


# --- concurrency ----------------------------------------------------------------------------------

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


# --- CLI ------------------------------------------------------------------------------------------


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["audit", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_verify_ok(log_path: Path) -> None:
    build(log_path)
    head = verify(log_path).head
    assert run_cli("verify", str(log_path)) == (0, f"ok: 10 entries, head {head}\n", "")
    code, out, _ = run_cli("verify", str(log_path), "--expect-head", f"10:{head}")
    assert (code, out) == (0, f"ok: 10 entries, head {head} (expected head is entry 10)\n")
    code, out, _ = run_cli("verify", str(log_path), "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True, "entries": 10, "head": head, "first_broken": None, "reason": None,
        "status": "ok", "expected_head_at": None, "first_broken_offset": None, "repair": None,
        "repair_bytes": None,
    }  # fmt: skip


def test_cli_verify_broken(log_path: Path) -> None:
    lines = build(log_path)
    head6 = json.loads(lines[5])["hash"]
    log_path.write_bytes(b"".join(lines[:6] + [lines[6].replace(b"bot[6]", b"bot[X]")] + lines[7:]))
    code, out, err = run_cli("verify", str(log_path))
    assert code == 1 and err == ""
    assert out == (
        "broken at entry 7 (line 7): hash does not match the entry's content (the entry was modified)\n"
        f"intact prefix: 6 entries, head {head6}\n"
        f"where: {log_path}, line 7, byte offset {len(b''.join(lines[:6]))}\n"
    )
    assert MARK not in out and "bot[X]" not in out
    code, out, _ = run_cli("verify", str(log_path), "--format", "json")
    assert code == 1 and json.loads(out)["first_broken"] == 7


def test_cli_verify_expect_head_mismatch(log_path: Path) -> None:
    lines = build(log_path)
    head = verify(log_path).head
    log_path.write_bytes(b"".join(lines[:8]))
    code, out, _ = run_cli("verify", str(log_path), "--expect-head", f"10:{head}")
    assert code == 1
    assert out.startswith(
        "expected head not found: truncated: the log has 8 entries, the expected head is entry 10\n"
    )
    code, out, _ = run_cli("verify", str(log_path), "--expect-head", head)
    assert code == 1 and "truncated or rewritten" in out


def test_cli_input_errors_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    code, out, err = run_cli("verify", str(missing))
    assert (code, out) == (2, "")
    assert str(missing) in err and "Traceback" not in err
    code, _, err = run_cli("verify", str(tmp_path))
    assert code == 2 and str(tmp_path) in err
    (tmp_path / "e.jsonl").write_bytes(b"")
    code, _, err = run_cli("verify", str(tmp_path / "e.jsonl"), "--expect-head", "nonsense")
    assert code == 2 and "--expect-head" in err


def test_cli_empty_log(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_bytes(b"")
    assert run_cli("verify", str(tmp_path / "e.jsonl")) == (0, f"ok: 0 entries, head {ZERO_HASH}\n", "")


def test_cli_show(log_path: Path) -> None:
    lines = build(log_path, 4)
    code, out, _ = run_cli("show", str(log_path), "--run-id", "run-1")
    assert code == 0
    assert out.splitlines()[0] == (
        '     1 2026-05-01T09:00:00Z revoke       run-1 {"address":"aws_iam_user.bot[0]",'
        '"now":"2026-05-01T09:00:00Z","owner":"'
        + MARK
        + '"}'
    )
    code, out, _ = run_cli("show", str(log_path), "--format", "json")
    assert code == 0 and [e["seq"] for e in json.loads(out)] == [1, 2, 3, 4]
    log_path.write_bytes(b"".join(lines[:2] + lines[3:]))
    code, out, err = run_cli("show", str(log_path))
    assert code == 1 and len(out.splitlines()) == 2 and "broken at entry 3" in err


def test_installed_nhi_command(log_path: Path) -> None:
    nhi = Path(sys.executable).with_name("nhi")
    if not nhi.exists():
        pytest.skip("the nhi console script is not installed next to this interpreter")
    lines = build(log_path)
    head = verify(log_path).head
    ok = subprocess.run(
        [str(nhi), "audit", "verify", str(log_path)], capture_output=True, text=True, check=False
    )
    assert (ok.returncode, ok.stdout) == (0, f"ok: 10 entries, head {head}\n")
    log_path.write_bytes(b"".join(lines[:4] + lines[5:]))
    bad = subprocess.run(
        [str(nhi), "audit", "verify", str(log_path), "--expect-head", head],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and bad.stdout.startswith("broken at entry 5 (line 5): prev does not match")
    gone = subprocess.run(
        [str(nhi), "audit", "verify", str(log_path.with_name("gone.jsonl"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert gone.returncode == 2 and "gone.jsonl" in gone.stderr and "Traceback" not in gone.stderr
