"""The audit hooks of a run: each step appended to the hash-chained log, the log verified first."""

from __future__ import annotations

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
