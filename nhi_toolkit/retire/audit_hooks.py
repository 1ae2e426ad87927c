"""The audit hooks of a run: each step appended to the hash-chained log, the log verified first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

__all__: list[str] = []


class _Audit:
    """Appends this run's steps to the audit log (or does nothing without one).

    Before the first step the whole log is opened for appending and verified: a log that is
    corrupt, unreadable, unwritable or not a regular file stops the run with an error naming it
    (:class:`~nhi_toolkit.audit.AuditError`, exit 2) before anything is planned or destroyed. After
    that, a step that cannot be recorded (a full disk) raises
    :class:`~nhi_toolkit.audit.AuditNotRecorded` (exit 4): the append left the log as it was, and
    the run stops there, so a destructive step whose pending entry could not be written is never
    taken. Every entry carries the run's evaluation time as ``data.now``; ``at`` is the wall clock.
    """

    def __init__(self, path: str | None, now: datetime, mode: str) -> None:
        from nhi_toolkit.audit import format_at, new_run_id, open_log

        self.log = open_log(path) if path else None
        self.path = path
        self.at = now
        self.now = format_at(now)
        self.run_id = f"retire-{mode}-{new_run_id()[:16]}"
        self._failures: dict[str, int] | None = None

    def check(self) -> None:
        """Verify the log once (see the class notes); later calls do nothing."""
        if self.log is None or self._failures is not None:
            return
        counts: dict[str, int] = {}
        for entry in self.log.check():
            if entry.event == "failed" and isinstance(entry.data.get("address"), str):
                counts[entry.data["address"]] = counts.get(entry.data["address"], 0) + 1
        self._failures = counts

    def __call__(self, event: str, **data: Any) -> None:
        if self.log is None:
            return
        from nhi_toolkit.audit import AuditError, AuditNotRecorded

        self.check()
        data["now"] = self.now  # the run's evaluation time, four-digit year whatever the caller passed
        try:
            self.log.append(event, run_id=self.run_id, data=data)
        except AuditError as exc:
            raise AuditNotRecorded(self.log.path, event, exc) from None

    def previous_failures(self) -> dict[str, int]:
        """Address -> how many earlier runs recorded it as failed (read when the log was verified)."""
        self.check()
        return dict(self._failures or {})

    @contextlib.contextmanager
    def interruption(self) -> Iterator[None]:
        """A signal while Terraform ran (it has been stopped): recorded as a ``failed`` step and the
        run's end, then passed on. The log names every address a destroy may have reached already
        (``applying`` entries are written before the destroy)."""
        from nhi_toolkit.terraform.errors import TerraformInterrupted

        try:
            yield
        except TerraformInterrupted as exc:
            command = exc.command.split(" in ", 1)[0]
            with contextlib.suppress(Exception):  # an unwritable log must not hide the interruption
                self("failed", stage="interrupted", signal=exc.signal_name, command=command)
                self("run-finished", outcome="interrupted", signal=exc.signal_name)
            raise
