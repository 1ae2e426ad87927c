"""The owners' digest (``nhi owners``): identities grouped by owner, a pure render like the reporters.

For each owner: what is already expired, what expires within the warning window, what has no valid
expiry; then the identities with no owner and those whose owner is known only after apply. Owners
are grouped case-insensitively (``Alice@x`` and ``alice@x`` are one person). Identities a plan
deletes or forgets are left out: they are on their way out. Not a ``--format`` of ``nhi check``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from nhi_toolkit.checks import expiring_soon
from nhi_toolkit.expiry import format_instant, is_expired
from nhi_toolkit.model import UNKNOWN, Identity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters._common import visible
from nhi_toolkit.reporters.markdown import escape

__all__ = ["DIGEST_FORMATS", "SCHEMA_VERSION", "build_digest", "render"]

SCHEMA_VERSION = 1
DIGEST_FORMATS = ("text", "markdown", "json")
_GROUPS = ("expired", "expiring_soon", "no_expiry")
_LABELS = {"expired": "expired", "expiring_soon": "expiring soon", "no_expiry": "no valid expiry"}


def _state(ident: Identity, now: datetime, soon_days: int) -> str:
    if ident.expires_at is None:
        return "unknown_expiry" if ident.expires is UNKNOWN and not ident.expiry_error else "no_expiry"
    if is_expired(ident.expires_at, now):
        return "expired"
    if expiring_soon(ident.expires_at, now, soon_days):
        return "expiring_soon"
    return "ok"


def _entry(ident: Identity, now: datetime, state: str) -> dict[str, Any]:
    days = None
    if ident.expires_at is not None:
        days = int((ident.expires_at - now).total_seconds() // 86400)
    return {
        "address": ident.address,
        "type": ident.type,
        "expires_at": None if ident.expires is UNKNOWN else ident.expires,
        "days_left": days,
        "state": state,
        "source": ident.source.to_json(),
    }


def build_digest(report: Report, soon_days: int) -> dict[str, Any]:
    """The digest as plain data (the JSON output)."""
    now = report.now
    owners: dict[str, dict[str, Any]] = {}
    no_owner: list[dict[str, Any]] = []
    unknown_owner: list[dict[str, Any]] = []
    for ident in report.identities:
        if ident.resource.deleted:
            continue
        state = _state(ident, now, soon_days)
        entry = _entry(ident, now, state)
        if ident.owner is None or (isinstance(ident.owner, str) and not ident.owner.strip()):
            no_owner.append(entry)
            continue
        if ident.owner is UNKNOWN:
            unknown_owner.append(entry)
            continue
        name = str(ident.owner).strip()
        group = owners.setdefault(name.casefold(), {"owner": name, "identities": 0,
                                                    **{g: [] for g in _GROUPS}})
        group["owner"] = min(group["owner"], name)
        group["identities"] += 1
        if state in _GROUPS:
            group[state].append(entry)
    ordered = [owners[k] for k in sorted(owners)]
    return {
        "version": SCHEMA_VERSION,
        "now": format_instant(now),
        "expiring_soon_days": soon_days,
        "inputs": list(report.inputs),
        "owners": ordered,
        "no_owner": no_owner,
        "unknown_owner": unknown_owner,
        "summary": {
            "owners": len(ordered),
            "expired": sum(len(o["expired"]) for o in ordered),
            "expiring_soon": sum(len(o["expiring_soon"]) for o in ordered),
            "no_expiry": sum(len(o["no_expiry"]) for o in ordered),
            "no_owner": len(no_owner),
            "unknown_owner": len(unknown_owner),
        },
    }


def _when(e: dict[str, Any]) -> str:
    days = e["days_left"]
    if days is None:
        return "known after apply" if e["state"] == "unknown_expiry" else "no valid expiry"
    if days < 0:
        return f"{-days} day{'' if days == -1 else 's'} ago"
    return f"in {days} day{'' if days == 1 else 's'}"


def _where(e: dict[str, Any]) -> str:
    src = e["source"]
    return f"{src['file']}:{src['line']}" if src["line"] is not None else src["file"]


def _count(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _text(d: dict[str, Any]) -> str:
    lines = [f"Owners' digest as of {d['now']} (expiring within {d['expiring_soon_days']} days)"]

    def items(entries: list[dict[str, Any]], label: str | None = None) -> None:
        for e in entries:
            tag = label or e["state"].replace("_", " ")
            lines.append(f"  {tag.upper():<16} {visible(e['address'])}  {visible(str(e['expires_at'] or '-'))} "
                         f"({_when(e)})  {visible(_where(e))}")

    for o in d["owners"]:
        due = ", ".join(f"{len(o[g])} {_LABELS[g]}" for g in _GROUPS)
        lines += ["", f"{visible(o['owner'])}: {due} (of {_count(o['identities'], 'identity', 'identities')})"]
        for g in _GROUPS:
            items(o[g], _LABELS[g])
    if d["no_owner"]:
        lines += ["", f"(no owner): {_count(len(d['no_owner']), 'identity', 'identities')}"]
        items(d["no_owner"])
    if d["unknown_owner"]:
        lines += ["", f"(owner known after apply): {_count(len(d['unknown_owner']), 'identity', 'identities')}"]
        items(d["unknown_owner"])
    s = d["summary"]
    lines += ["", (f"{_count(s['owners'], 'owner')}: {s['expired']} expired, {s['expiring_soon']} expiring soon, "
                   f"{s['no_expiry']} with no valid expiry; {_count(s['no_owner'], 'identity', 'identities')} "
                   f"with no owner, {s['unknown_owner']} with the owner known after apply")]
    return "\n".join(lines) + "\n"


def _markdown(d: dict[str, Any]) -> str:
    lines = ["<!-- nhi-toolkit:owners -->",
             f"## Owners' digest as of {d['now']} (expiring within {d['expiring_soon_days']} days)"]
    header = ["| Identity | State | Expires | When | Source |", "|---|---|---|---|---|"]

    def table(entries: list[dict[str, Any]]) -> None:
        lines.extend(["", *header])
        lines.extend(f"| {escape(e['address'])} | {e['state'].replace('_', ' ')} | "
                     f"{escape(str(e['expires_at'] or '-'))} | {_when(e)} | {escape(_where(e))} |"
                     for e in entries)

    for o in d["owners"]:
        due = ", ".join(f"{len(o[g])} {_LABELS[g]}" for g in _GROUPS)
        lines += ["", f"### {escape(o['owner'])}", "",
                  f"{due} (of {_count(o['identities'], 'identity', 'identities')})"]
        entries = [e for g in _GROUPS for e in o[g]]
        if entries:
            table(entries)
    for key, title in (("no_owner", "No owner"), ("unknown_owner", "Owner known after apply")):
        if d[key]:
            lines += ["", f"### {title} ({len(d[key])})"]
            table(d[key])
    s = d["summary"]
    lines += ["", (f"**{_count(s['owners'], 'owner')}**: {s['expired']} expired, {s['expiring_soon']} expiring "
                   f"soon, {s['no_expiry']} with no valid expiry; {s['no_owner']} with no owner, "
                   f"{s['unknown_owner']} with the owner known after apply.")]
    return "\n".join(lines) + "\n"


def render(report: Report, soon_days: int, fmt: str = "text") -> str:
    """The digest in ``text``, ``markdown`` or ``json``."""
    digest = build_digest(report, soon_days)
    if fmt == "json":
        return json.dumps(digest, indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
        return _markdown(digest)
    return _text(digest)
