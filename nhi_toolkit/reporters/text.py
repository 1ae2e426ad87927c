"""``--format text``: a readable table of identities, then the findings."""

from __future__ import annotations

from nhi_toolkit.engine import Report
from nhi_toolkit.model import UNKNOWN, Severity
from nhi_toolkit.reporters import RenderOptions

__all__ = ["TAKES_OPTIONS", "render"]

TAKES_OPTIONS = True
_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}

_COLUMNS = ("IDENTITY", "OWNER", "EXPIRES", "STATUS", "FINDING")


def _visible(text: str) -> str:
    """Control characters (terminal escapes) from tag values are shown escaped, never sent raw."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _cell(value: object) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    if value is None:
        return "-"
    return _visible(str(value))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(report: Report, options: RenderOptions | None = None) -> str:
    """Identities with their worst finding, then every finding with its source."""
    options = options or RenderOptions()
    worst: dict[str, tuple[Severity, str]] = {}
    for f in report.active:
        cur = worst.get(f.address)
        if cur is None or f.severity > cur[0]:
            worst[f.address] = (f.severity, f.rule)
    rows = []
    for ident in report.identities:
        sev_rule = worst.get(ident.address)
        rows.append((
            _clip(ident.address, 96),
            _clip(_cell(ident.owner), 32),
            _clip(_cell(ident.expires), 26),
            report.status_of(ident),
            f"{sev_rule[0].label}: {sev_rule[1]}" if sev_rule else "",
        ))
    lines: list[str] = []
    if options.quiet:
        pass
    elif rows:
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(_COLUMNS)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.append(fmt.format(*_COLUMNS).rstrip())
        lines.extend(fmt.format(*r).rstrip() for r in rows)
    else:
        lines.append("No non-human identities found.")
    shown = report.active if options.quiet else report.findings
    if shown:
        if lines:
            lines.append("")
        lines.append("Findings:")
        for f in shown:
            mark = f" [suppressed until {f.suppressed_until}: {f.suppressed}]" if f.suppressed else ""
            label = f"{f.severity.label.upper():7}"
            if options.color:
                label = f"{_COLORS[f.severity]}{label}\033[0m"
            lines.append(f"  {label} {f.rule_id} {f.rule}: {_visible(f.message)}"
                         f"{_visible(mark)}")
            lines.append(f"          at {f.source}")
    s = report.summary()
    sev = s["by_severity"]
    if lines:
        lines.append("")
    lines.append(
        f"{s['identities']} {'identity' if s['identities'] == 1 else 'identities'}, "
        f"{s['findings']} {'finding' if s['findings'] == 1 else 'findings'} "
        f"({sev['error']} error, {sev['warning']} warning, {sev['info']} info"
        + (f", {s['suppressed']} suppressed" if s["suppressed"] else "")
        + f") as of {report.now.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    return "\n".join(lines) + "\n"
