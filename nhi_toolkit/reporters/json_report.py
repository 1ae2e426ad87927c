"""``--format json``: the documented, versioned contract other tools build on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from nhi_toolkit.expiry import format_instant
from nhi_toolkit.model import UNKNOWN, Finding, Identity
from nhi_toolkit.records import Report

__all__ = ["SCHEMA_VERSION", "finding_json", "identity_json", "render", "to_dict"]

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    return None if value is UNKNOWN else value


def identity_json(identity: Identity, report: Report) -> dict[str, Any]:
    """One entry of ``identities``."""
    unknown = [k for k, v in (("owner", identity.owner), ("expires_at", identity.expires)) if v is UNKNOWN]
    doc = {
        "address": identity.address,
        "type": identity.type,
        "category": identity.category,
        "owner": _plain(identity.owner),
        "expires_at": _plain(identity.expires),
        "expires_instant": format_instant(identity.expires_at) if identity.expires_at else None,
        "status": report.status_of(identity),
        "inherited_from": identity.parent if identity.inherited else None,
        "parent": identity.parent,
        "action": identity.resource.action,
        "unknown": unknown,
        "source": identity.source.to_json(),
        "sources": [loc.to_json() for loc in report.sources_of(identity)],
        "owner_source": identity.owner_source,
        "expiry_source": identity.expiry_source,
        "declaration": _declaration(identity),
        "native_expiry": _native(identity),
    }
    live = getattr(report, "live_of", None)  # nhi verify: what the cloud says (nhi_toolkit.live)
    if live is not None and (obj := live(identity)) is not None:
        doc["live"] = dict(obj)
    return doc


def _declaration(identity: Identity) -> dict[str, Any] | None:
    d = identity.declaration
    if d is None:
        return None
    return {"address_pattern": d.address, "reason": d.reason, "source": d.source}


def _native(identity: Identity) -> dict[str, Any] | None:
    """The credential's own expiry: attribute, instant (null when known only after apply), and the
    value a tag or declaration claims instead (null when none)."""
    if identity.native_attr is None:
        return None
    at = identity.native_expires_at
    return {"attribute": identity.native_attr, "instant": format_instant(at) if at else None,
            "claimed": _plain(identity.claimed_expires)}


def finding_json(finding: Finding) -> dict[str, Any]:
    """One entry of ``findings``."""
    return {
        "rule_id": finding.rule_id,
        "rule": finding.rule,
        "severity": finding.severity.label,
        "address": finding.address,
        "message": finding.message,
        "source": finding.source.to_json(),
        "suppressed": finding.suppressed is not None,
        "suppression": (
            {"reason": finding.suppressed, "until": finding.suppressed_until}
            if finding.suppressed is not None else None
        ),
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The whole document as plain data."""
    return {
        "version": SCHEMA_VERSION,
        "now": format_instant(report.now),
        "inputs": list(report.inputs),
        "identities": [identity_json(i, report) for i in report.identities],
        "findings": [finding_json(f) for f in report.findings],
        "summary": report.summary(),
    }


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def render(report: Report) -> str:
    """Deterministic JSON with sorted keys: one identity or finding per line.

    Records are written by the C encoder, one per line (``indent`` would switch the whole document to
    the pure-Python encoder, the slowest step of a large check); the result is the same data. Each
    record is encoded as it is built, so the whole document never exists as dicts at once.
    """
    records: dict[str, Callable[[], Iterable[Any]]] = {
        "identities": lambda: (identity_json(i, report) for i in report.identities),
        "findings": lambda: (finding_json(f) for f in report.findings),
        "inputs": lambda: iter(report.inputs),
    }
    plain = {"version": SCHEMA_VERSION, "now": format_instant(report.now), "summary": report.summary()}
    sizes = {"identities": len(report.identities), "findings": len(report.findings),
             "inputs": len(report.inputs)}
    parts = ["{"]
    keys = sorted([*plain, *records])
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        if key in records and sizes[key]:
            parts.append(f"  {json.dumps(key)}: [")
            parts.append(",\n".join(f"    {_compact(item)}" for item in records[key]()))
            parts.append(f"  ]{comma}")
        else:
            value = plain.get(key, [])
            parts.append(f"  {json.dumps(key)}: {_compact(value)}{comma}")
    parts.append("}")
    return "\n".join(parts) + "\n"
