"""The hash-chained, append-only audit log of retirement runs, their steps, and grants and revokes.

One job per module:

``chain``         the format: entries, canonical lines and hashes, instants, the check of a chain
``building``      the next entries: arguments checked before anything is written, stamped, hashed
``secret_guard``  nothing secret is ever written
``errors``        every error names the log (exit 2; :class:`AuditNotRecorded` exit 4)
``fileio``        low-level file operations of the file log
``appending``     :class:`AuditLog`, the file log: appends under a lock, faults rolled back
``verification``  :func:`verify` and :func:`iter_entries`, expected heads
``repair``        :func:`plan_repair` / :func:`apply_repair` of an interrupted append
``remote``        :class:`RemoteAuditLog` over a :class:`ChainStore` (S3), and :func:`open_log`

Every name below is imported from here (``from nhi_toolkit.audit import verify``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from nhi_toolkit.audit.appending import AuditLog
from nhi_toolkit.audit.building import wall_clock
from nhi_toolkit.audit.chain import ZERO_HASH, AuditEntry, Event, format_at, new_run_id
from nhi_toolkit.audit.errors import (
    AuditError,
    AuditLogAccessError,
    AuditLogCorrupt,
    AuditNotRecorded,
    AuditWriteError,
    ChainBroken,
    SecretInAuditData,
    show_path,
)
from nhi_toolkit.audit.remote import MAX_CONFLICTS, ChainStore, RemoteAuditLog, is_remote, open_log
from nhi_toolkit.audit.repair import Repair, apply_repair, plan_repair
from nhi_toolkit.audit.secret_guard import SECRET_KEY_PAIRS, SECRET_STEMS, SECRET_WORDS, check_no_secrets
from nhi_toolkit.audit.verification import (
    ExpectedHead,
    VerifyResult,
    iter_entries,
    parse_expected_head,
    verify,
)

__all__ = [
    "CLOCK",
    "MAX_CONFLICTS",
    "SECRET_KEY_PAIRS",
    "SECRET_STEMS",
    "SECRET_WORDS",
    "ZERO_HASH",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditLogAccessError",
    "AuditLogCorrupt",
    "AuditNotRecorded",
    "AuditWriteError",
    "ChainBroken",
    "ChainStore",
    "Event",
    "ExpectedHead",
    "RemoteAuditLog",
    "Repair",
    "SecretInAuditData",
    "VerifyResult",
    "apply_repair",
    "check_no_secrets",
    "format_at",
    "is_remote",
    "iter_entries",
    "new_run_id",
    "open_log",
    "parse_expected_head",
    "plan_repair",
    "show_path",
    "verify",
]

CLOCK: Callable[[], datetime] = wall_clock
"""The clock that stamps ``at`` when a log has none of its own; tests replace it here (it is read
at each append)."""
