"""``nhi check --audit-log``: record the grants and revokes a checked plan makes in the audit log."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nhi_toolkit.audit import Event, format_at, new_run_id, open_log
from nhi_toolkit.errors import InputError
from nhi_toolkit.model import InputKind

if TYPE_CHECKING:
    from nhi_toolkit.records import Report

__all__ = ["GRANT_ACTIONS", "REVOKE_ACTIONS", "record_grants"]

GRANT_ACTIONS = ("create", "replace")
"""Plan actions that hand out access."""

REVOKE_ACTIONS = ("delete", "forget")
"""Plan actions that take it away."""


def record_grants(report: Report, log_path: str) -> int:
    """Append one ``grant`` or ``revoke`` audit entry per identity a checked plan creates or deletes,
    once per plan: a plan whose entries are already in the log adds nothing.

    Entries carry the address, type, owner, expiry, action, input file, the plan's content hash
    (``plan_sha256``: SHA-256 of the plan file's bytes) and the evaluation time (``now``): never
    attribute values. ``at`` is the wall clock when the entry was written. An entry is skipped when
    the log already holds a grant or revoke with the same ``plan_sha256`` and address, so rerunning a
    check of the same plan (a PR pipeline) records nothing new, while a changed plan is recorded
    again. The check and the append happen under the log's lock, against the whole verified chain:
    a corrupt, unreadable or unwritable log, or one that is not a regular file, is an error naming it
    (exit 2), and so is a plan file that can no longer be read to hash it. A plan read from standard
    input (``-``) has no file to hash: its entries carry no ``plan_sha256`` and are recorded on every
    run. Returns how many entries were written.
    """
    hashes: dict[str, str | None] = {}
    items: list[tuple[Event, dict[str, Any]]] = []
    for ident in report.identities:
        res = ident.resource
        if res.kind is not InputKind.PLAN or res.action not in GRANT_ACTIONS + REVOKE_ACTIONS:
            continue
        source = res.source.origin
        if source not in hashes:
            hashes[source] = _plan_sha256(source)
        event = Event.GRANT if res.action in GRANT_ACTIONS else Event.REVOKE
        items.append((event, {
            "address": ident.address, "type": ident.type, "action": res.action,
            "owner": ident.owner if isinstance(ident.owner, str) else None,
            "expires": ident.expires if isinstance(ident.expires, str) else None,
            "input": source, "plan_sha256": hashes[source],
        }))
    written = open_log(log_path).extend(items, run_id=new_run_id(), now=format_at(report.now),
                                        skip=_grant_key)
    return len(written)


def _grant_key(event: str, data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """Grants and revokes of one plan are recorded once: keyed by plan hash and address."""
    digest, address = data.get("plan_sha256"), data.get("address")
    if event not in ("grant", "revoke") or not isinstance(digest, str) or not isinstance(address, str):
        return None
    return (event, digest, address)


def _plan_sha256(path: str) -> str | None:
    """SHA-256 of a plan file's bytes (None for standard input or anything but a regular file)."""
    if path == "-":
        return None
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block
        with open(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(path, f"cannot read the plan again to record its hash in the audit log "
                               f"({exc.strerror or type(exc).__name__})") from None
    return digest.hexdigest()
