"""Stopping Terraform: a timeout, or a signal this process gets while Terraform runs as its child.

Terraform runs in a session (and process group) of its own, so a Ctrl-C at the terminal or a
SIGTERM from a pipeline reaches only this process. Were this process to end there, Terraform would
keep running, free to apply after the run was aborted. Instead the signal is forwarded to
Terraform's process group, Terraform gets :data:`_GRACE` seconds to stop cleanly (and release its
state lock), then the group is killed, and :class:`TerraformInterrupted` is raised here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

from nhi_toolkit.terraform.errors import TerraformInterrupted

__all__: list[str] = []

# After an interrupt Terraform tries to stop cleanly (and release the state lock); give it this long.
_GRACE = 15.0


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


#: Signals that end this process while Terraform runs: forwarded to Terraform, then raised here.
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Guard:
    """The signal handling around one Terraform command (see :func:`_forwarding`)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.proc: subprocess.Popen[bytes] | None = None
        self.pending: int | None = None
        self.stopping = False

    def handle(self, signum: int, _frame: object) -> None:
        if self.proc is None:
            self.pending = signum  # not while Popen runs: a child half started would be lost
        elif self.stopping:
            _signal_group(self.proc, signum)
        else:
            raise TerraformInterrupted(signum, self.label)

    def started(self, proc: subprocess.Popen[bytes]) -> None:
        """Terraform runs: from now on a signal is raised; one that came meanwhile is raised now."""
        self.proc = proc
        if self.pending is not None:
            raise TerraformInterrupted(self.pending, self.label)


@contextlib.contextmanager
def _forwarding(label: str) -> Iterator[_Guard]:
    """While Terraform runs, SIGINT, SIGTERM and SIGHUP raise :class:`TerraformInterrupted` here
    (so that :func:`_stop` forwards the signal to Terraform's process group, waits the grace period
    and kills it) instead of ending this process with Terraform left running in its own session,
    free to apply after the run was aborted. A signal that comes while Terraform is being stopped is
    forwarded too (Terraform stops at once on a second interrupt). Only the main thread can handle
    signals; elsewhere the handlers stay as they are."""
    guard = _Guard(label)
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous: dict[int, Any] = {}
    try:
        for sig in _FORWARDED:
            current = signal.getsignal(sig)
            if current is signal.SIG_IGN:
                continue  # ignored on purpose (nohup): keep ignoring it
            previous[sig] = current
            signal.signal(sig, guard.handle)
        yield guard
    finally:
        for restored, old in previous.items():
            signal.signal(restored, old)


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> tuple[bytes, bytes]:
    """Interrupt Terraform as Ctrl-C would (``sig``: the signal this process got, forwarded), so that
    it stops cleanly and releases its state lock; kill its whole process group if it lingers."""
    _signal_group(proc, sig)
    try:
        return proc.communicate(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        return proc.communicate()


