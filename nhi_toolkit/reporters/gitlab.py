"""``--format gitlab``: a GitLab code quality report (``artifacts:reports:codequality``).

A JSON array of issues: description, check_name, fingerprint (rule + address + file, never the
line), severity and location (path relative to ``--sarif-root``, begin line). Suppressed findings
stay in the report as ``info`` issues whose description says so.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nhi_toolkit.model import Finding, Severity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters import RenderOptions
from nhi_toolkit.reporters._common import by_severity, finding_location, place, visible

__all__ = ["TAKES_OPTIONS", "render"]

TAKES_OPTIONS = True
_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _issue(f: Finding, report: Report, root: str | None, seen: dict[str, int]) -> dict[str, Any]:
    loc = finding_location(f, report)
    path = place(loc.file, root).path
    description = f"{f.rule_id} {f.rule}: {visible(f.message)}"
    if f.suppressed is not None:
        description = (f"[suppressed until {visible(f.suppressed_until or '-')}: {visible(f.suppressed)}] "
                       + description)
    key = "\0".join((f.rule_id, f.address, path, "suppressed" if f.suppressed is not None else ""))
    # Two findings of one rule on one identity (two reasons) stay two issues, in a stable order.
    seen[key] = seen.get(key, 0) + 1
    if seen[key] > 1:
        key += f"\0{seen[key]}"
    return {
        "type": "issue",
        "check_name": f"{f.rule_id} {f.rule}",
        "description": description,
        "categories": ["Security"],
        "severity": "info" if f.suppressed is not None else _SEVERITY[f.severity],
        "fingerprint": hashlib.md5(key.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest(),
        "location": {"path": path, "lines": {"begin": loc.line or 1}},
    }


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The code quality JSON array, most severe first."""
    options = options or RenderOptions()
    seen: dict[str, int] = {}
    issues = [_issue(f, report, options.root, seen) for f in by_severity(report.findings)]
    return json.dumps(issues, indent=2, sort_keys=True) + "\n"
