"""``nhi audit verify`` and ``nhi audit show``: reports, exit codes, input errors, and files that
are not regular files refused without hanging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from audit_logs import MARK, build_bots
from click.testing import CliRunner

from nhi_toolkit.audit import (
    ZERO_HASH,
    verify,
)
from nhi_toolkit.cli import main


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["audit", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_verify_ok(log_path: Path) -> None:
    build_bots(log_path)
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
    lines = build_bots(log_path)
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
    lines = build_bots(log_path)
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
    lines = build_bots(log_path, 4)
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
    lines = build_bots(log_path)
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
