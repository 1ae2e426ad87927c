"""A signal to nhi while Terraform runs as its child: forwarded to Terraform's process group, which
gets the grace period and is then killed; the run records the interruption and exits 128 + signal.

A wrapper named ``terraform`` first on PATH runs the real Terraform for every command but ``apply``,
which it turns into a long wait that notes the signals it gets (or ignores them)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, NHI
from terraform_fakes import write_fake

from nhi_toolkit.terraform import Terraform, TerraformInterrupted, stopping

REAL = shutil.which("terraform")
HEEDS = """trap 'echo {name} >> "$MARK/signals"; exit 1' INT TERM HUP
echo $$ > "$MARK/pid"
sleep 120 &
echo $! > "$MARK/sleeper"
wait $!"""
IGNORES = """trap '' INT TERM HUP
echo $$ > "$MARK/pid"
sleep 120 &
echo $! > "$MARK/sleeper"
wait $!
wait $!"""


def _wrapper(folder: Path, apply_body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "terraform"
    path.write_text(f'#!/bin/sh\nif [ "$1" = apply ]; then\n{apply_body}\nexit 1\nfi\nexec {REAL} "$@"\n')
    path.chmod(0o755)
    return path


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextlib.contextmanager
def _not_ignored(sig: signal.Signals) -> Iterator[None]:
    """``sig`` handled (not ignored) in this process while a child starts: the child then has it
    at its default, whatever this test run inherited."""
    old = signal.getsignal(sig)
    if old is signal.SIG_IGN:
        signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(sig, old)


def _leave_none(mark: Path) -> None:
    """Whatever happened in the test, leave no fake Terraform of its own behind."""
    with contextlib.suppress(ProcessLookupError, ValueError, FileNotFoundError):
        pid = int((mark / "pid").read_text())
        if _alive(pid) and os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)


@pytest.mark.terraform
@pytest.mark.skipif(REAL is None, reason="needs a terraform binary on PATH")
@pytest.mark.parametrize(("sig", "reviewed"), [(signal.SIGTERM, False), (signal.SIGINT, False),
                                               (signal.SIGTERM, True)])
def test_signal_during_apply_stops_terraform_and_is_recorded(  # type: ignore[no-untyped-def]
    tf, tmp_path: Path, sig: signal.Signals, reviewed: bool
) -> None:
    """One run (plan, verify, apply), or the apply run of a reviewed manifest and plan."""
    work = tmp_path / "infra"
    work.mkdir()
    for name in ("main.tf", "nhi.toml"):
        shutil.copy(FIXTURES / "retire" / "conflicts" / name, work / name)
    tf.init(work)
    tf.plan(work, out="setup.tfplan")
    tf.apply(work, "setup.tfplan")
    mark = tmp_path / "mark"
    mark.mkdir()
    _wrapper(tmp_path / "bin", HEEDS.format(name="signalled"))
    env = {k: v for k, v in os.environ.items() if k not in ("NHI_NOW", "NHI_TERRAFORM_BIN")}
    env.update(PATH=f"{tmp_path / 'bin'}{os.pathsep}{env.get('PATH', '')}", MARK=str(mark))
    audit = tmp_path / "audit.jsonl"
    args = [NHI, "retire", "--terraform-dir", str(work), "--now", "2026-12-01", "--no-init",
            "--audit-log", str(audit)]
    if reviewed:
        args += ["--manifest", str(tmp_path / "m.json"), "--plan-out", str(tmp_path / "p.tfplan")]
        review = subprocess.run(args, env=env, capture_output=True, check=False, timeout=120)
        assert review.returncode == 0, review.stderr
    # The signal not ignored in the child: a test run started in the background of a shell ignores
    # SIGINT, and nhi keeps a signal its parent ignored (as under nohup), by design.
    with _not_ignored(sig):
        proc = subprocess.Popen([*args, "--apply"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
    try:
        _wait_for(mark / "sleeper")
        terraform_pid = int((mark / "pid").read_text())
        sleeper = int((mark / "sleeper").read_text())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        _leave_none(mark)
    stderr = err.decode()
    assert proc.returncode == 128 + sig, stderr
    assert (mark / "signals").read_text().split() == ["signalled"]  # forwarded, once
    assert _gone(terraform_pid) and _gone(sleeper)  # nothing of Terraform's group is left running
    assert (f"nhi retire: interrupted by {sig.name} while terraform apply in" in stderr
            and "Terraform was stopped; the audit log records it" in stderr), stderr
    assert "Traceback" not in stderr
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    events = [(e["event"], e["data"].get("stage") or e["data"].get("outcome")) for e in entries]
    assert events[-2:] == [("failed", "interrupted"), ("run-finished", "interrupted")]
    assert entries[-2]["data"]["signal"] == sig.name and entries[-2]["data"]["command"] == "terraform apply"
    assert ("applying", None) in events and not any(e == "applied" for e, _ in events)
    check = subprocess.run([NHI, "audit", "verify", str(audit)], capture_output=True, env=env, check=False)
    assert check.returncode == 0, check.stderr


def test_terraform_that_ignores_the_signal_is_killed_after_the_grace_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: this test sends itself SIGTERM while a fake Terraform that ignores it runs."""
    mark = tmp_path / "mark"
    mark.mkdir()
    fake = write_fake(tmp_path / "bin", "terraform", IGNORES)
    monkeypatch.setattr(stopping, "_GRACE", 0.5)
    runner = Terraform((str(fake),), "terraform", timeout=120, env={**os.environ, "MARK": str(mark)})
    before = signal.getsignal(signal.SIGTERM)

    def interrupt() -> None:
        _wait_for(mark / "sleeper")
        os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=interrupt)
    sender.start()
    try:
        with pytest.raises(TerraformInterrupted) as info:
            runner.run(["apply", "-input=false"], tmp_path)
    finally:
        sender.join()
    assert info.value.signum == signal.SIGTERM and info.value.exit_code == 143
    assert info.value.command.startswith("terraform apply in ")
    assert _gone(int((mark / "pid").read_text())) and _gone(int((mark / "sleeper").read_text()))
    assert signal.getsignal(signal.SIGTERM) is before  # the handlers are put back


def test_handlers_are_put_back_after_each_command(tmp_path: Path) -> None:
    fake = write_fake(tmp_path, "terraform", "echo ok")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    assert Terraform((str(fake),), "terraform").run(["version"], tmp_path).stdout == "ok\n"
    assert {s: signal.getsignal(s) for s in before} == before


def test_interruption_pickles() -> None:
    import pickle

    exc = pickle.loads(pickle.dumps(TerraformInterrupted(signal.SIGTERM, "terraform plan in x/")))
    assert (exc.signum, exc.signal_name, exc.command, exc.exit_code) == (15, "SIGTERM", "terraform plan in x/", 143)
    assert isinstance(exc, KeyboardInterrupt)  # whatever handles Ctrl-C handles it too
