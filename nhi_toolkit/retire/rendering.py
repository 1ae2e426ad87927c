"""What a person reads: the summary of a manifest and the refusal. Tag values come from state, so
every line is escaped: none can forge another line."""

from __future__ import annotations

from collections.abc import Sequence

from nhi_toolkit.retire.manifest import Manifest
from nhi_toolkit.retire.selection import Problem

__all__ = ["render_refusal", "render_summary"]


def render_summary(manifest: Manifest) -> str:
    """The readable summary of a manifest (deterministic). Tag values (owner, expiry, a declared
    revocation path) come from state: each line is escaped, so none can forge another line."""
    from nhi_toolkit.errors import printable

    doc = manifest.to_json()
    lines = [f"Retirement as of {doc['now']}"]
    if doc.get("route"):
        lines[0] += f" by {doc['route']}"
    if not doc["identities"]:
        lines.append("Nothing to retire.")
        return "\n".join(lines) + "\n"
    lines.append(f"{doc['summary']['identities']} identities, {doc['summary']['addresses']} addresses "
                 "to destroy")
    for ident in doc["identities"]:
        lines.append("")
        lines.append(f"* {ident['address']}")
        lines.append(f"  owner: {ident['owner'] or '(none)'}   expires: {ident['expires'] or '(none)'}")
        lines.append("  why: " + "; ".join(r["text"] for r in ident["reasons"]))
        for d in ident["destroy"]:
            via = f" (hangs off {d['via']})" if d["via"] else ""
            lines.append(f"  destroy [{d['phase']}] {d['address']}{via}")
        for step in ident["manual_steps"]:
            lines.append(f"  manual: {step}")
    lines.append("")
    lines.append("Revocation order:")
    for s in doc["revocation_order"]:
        lines.append(f"  {s['step']:>3}. [{s['phase']}] {s['address']}")
    ver = doc.get("verification")
    if ver:
        lines.append("")
        lines.append(f"Verification: {ver.get('status')}")
        for p in ver.get("problems") or ():
            lines.append(f"  {p['kind']}: {p['address']}: {p['message']}")
    if doc.get("plan"):
        lines.append(f"Plan file: {doc['plan'].get('file')} sha256 {doc['plan'].get('sha256')}")
    return "\n".join(printable(line) for line in lines) + "\n"


def render_refusal(problems: Sequence[Problem]) -> str:
    """One line per problem, for stderr (escaped: a message can quote a tag value)."""
    from nhi_toolkit.errors import printable

    out = [f"nhi retire: refused: {len(problems)} problem(s); nothing was destroyed"]
    out.extend(printable(f"refused: {p.address}: {p.message}") for p in problems)
    return "\n".join(out) + "\n"
