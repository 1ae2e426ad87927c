"""Verifying a log: every kind of tampering names the first broken entry (never quoting it), an
empty log verifies, and an expected head tells a truncated log from a rewritten one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_logs import MARK, T0, build_bots

from nhi_toolkit import audit as audit_mod
from nhi_toolkit.audit import (
    ZERO_HASH,
    AuditLog,
    AuditLogAccessError,
    ChainBroken,
    Event,
    iter_entries,
    parse_expected_head,
    verify,
)


def canonical(obj: object) -> str:
    """An entry's canonical line, as the format defines it (written out here, not borrowed)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def rehash(line: bytes, **changes: object) -> bytes:
    """Rewrite one entry with changes and a correct own hash (the forger's move)."""
    obj = json.loads(line)
    obj.update(changes)
    obj.pop("hash")
    obj["hash"] = hashlib.sha256(canonical(obj).encode()).hexdigest()
    return (canonical(obj) + "\n").encode()


def edit(line: bytes, **changes: object) -> bytes:
    obj = json.loads(line)
    obj.update(changes)
    return (canonical(obj) + "\n").encode()


Lines = list[bytes]


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
    obj["hash"] = hashlib.sha256(canonical(obj).encode()).hexdigest()
    return (canonical(obj) + "\n").encode()


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


def test_intact_log_verifies(log_path: Path) -> None:
    lines = build_bots(log_path)
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
    with pytest.raises(AuditLogAccessError, match=r"missing\.jsonl"):
        verify(tmp_path / "missing.jsonl")
    with pytest.raises(AuditLogAccessError):
        verify(tmp_path)  # a directory


@pytest.mark.parametrize(("mutate", "line"), [(m, n) for _, m, n in TAMPER], ids=[t[0] for t in TAMPER])
def test_tampering_names_first_broken_entry(
    log_path: Path, mutate: Callable[[Lines], Lines], line: int
) -> None:
    lines = build_bots(log_path)
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


def test_iter_entries_stops_at_break(log_path: Path) -> None:
    lines = build_bots(log_path)
    log_path.write_bytes(b"".join(lines[:4] + lines[5:]))
    seen: list[int] = []
    with pytest.raises(ChainBroken) as info:
        seen.extend(e.seq for e in iter_entries(log_path))
    assert seen == [1, 2, 3, 4]
    assert (info.value.line, info.value.entries) == (5, 4)


def test_expect_head_accepts_growth(log_path: Path) -> None:
    build_bots(log_path, 5)
    recorded = verify(log_path)
    AuditLog(log_path).append(Event.RUN_FINISHED, run_id="run-1", data={}, at=T0)
    for expect in (recorded.head, f"5:{recorded.head}", recorded.head.upper(), ZERO_HASH, f"0:{ZERO_HASH}"):
        result = verify(log_path, expect_head=expect)
        assert result.ok and result.entries == 6, expect
    assert verify(log_path, recorded.head).expected_head_at == 5


def test_expect_head_detects_truncation(log_path: Path) -> None:
    lines = build_bots(log_path)
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
    lines = build_bots(log_path)
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
    lines = build_bots(log_path)
    recorded = verify(log_path)
    log_path.write_bytes(b"".join(lines[:3] + lines[4:]))
    result = verify(log_path, recorded.head)
    assert (result.status, result.first_broken) == ("broken", 4)


@pytest.mark.parametrize("text", ["", "abc", "1:" + "g" * 64, "x:" + "a" * 64, "a" * 63, "-1:" + "a" * 64])
def test_parse_expected_head_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_expected_head(text)
