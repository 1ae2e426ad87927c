"""``--format text``: a readable table of identities, then the findings."""

from __future__ import annotations

from nhi_toolkit.engine import Report
from nhi_toolkit.errors import printable
from nhi_toolkit.model import UNKNOWN, Severity

__all__ = ["render"]

_COLUMNS = ("IDENTITY", "OWNER", "EXPIRES", "STATUS", "FINDING")


# Every string from an input (addresses, tag values, messages quoting them, file names) goes through
# this: control and format characters (terminal escapes, bidi overrides) are shown escaped, never raw.
_visible = printable


def _cell(value: object) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    if value is None:
        return "-"
    return _visible(str(value))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(report: Report) -> str:
    """Identities with their worst finding, then every finding with its source."""
    worst: dict[str, tuple[Severity, str]] = {}
    for f in report.active:
        cur = worst.get(f.address)
        if cur is None or f.severity > cur[0]:
            worst[f.address] = (f.severity, f.rule)
    rows = []
    for ident in report.identities:
        sev_rule = worst.get(ident.address)
        rows.append((
            _clip(_visible(ident.address), 96),
            _clip(_cell(ident.owner), 32),
            _clip(_cell(ident.expires), 26),
            report.status_of(ident),
            f"{sev_rule[0].label}: {sev_rule[1]}" if sev_rule else "",
        ))
    lines: list[str] = []
    if rows:
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(_COLUMNS)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.append(fmt.format(*_COLUMNS).rstrip())
        lines.extend(fmt.format(*r).rstrip() for r in rows)
    else:
        lines.append("No non-human identities found.")
    if report.findings:
        lines.append("")
        lines.append("Findings:")
        for f in report.findings:
            mark = f" [suppressed until {f.suppressed_until}: {f.suppressed}]" if f.suppressed else ""
            lines.append(f"  {f.severity.label.upper():7} {f.rule_id} {f.rule}: {_visible(f.message)}"
                         f"{_visible(mark)}")
            lines.append(f"          at {_visible(str(f.source))}")
    s = report.summary()
    sev = s["by_severity"]
    lines.append("")
    lines.append(
        f"{s['identities']} identities, {s['findings']} findings "
        f"({sev['error']} error, {sev['warning']} warning, {sev['info']} info"
        + (f", {s['suppressed']} suppressed" if s["suppressed"] else "")
        + f") as of {report.now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    return "\n".join(lines) + "\n"
