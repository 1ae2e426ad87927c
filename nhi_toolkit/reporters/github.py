"""``--format github``: GitHub Actions workflow-command annotations, errors first.

GitHub shows at most 10 annotations per level per step: the first 10 of each level are commands,
the rest plain log lines, and a last summary line says how many were not annotated. ``nhi check``
also appends the Markdown report to ``$GITHUB_STEP_SUMMARY`` when that variable names a file (this
render stays pure). Data is escaped as the runner expects (``%``, CR, LF; in properties also ``:``
and ``,``); other control characters are shown escaped, so input text can never start a command.
"""

from __future__ import annotations

from nhi_toolkit.model import Finding, Severity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters import RenderOptions
from nhi_toolkit.reporters._common import by_severity, finding_location, place, visible

__all__ = ["PER_LEVEL", "TAKES_OPTIONS", "escape_data", "escape_property", "render"]

TAKES_OPTIONS = True
#: GitHub displays this many annotations per level per step.
PER_LEVEL = 10
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message: ``%``, CR and LF as the runner decodes them; other controls shown."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a command property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _where(f: Finding, report: Report, root: str | None) -> tuple[str, int, int]:
    loc = finding_location(f, report)
    column = loc.column if loc.line is not None and loc.column is not None else 1
    return place(loc.file, root).path, loc.line or 1, column


def render(report: Report, options: RenderOptions | None = None) -> str:
    """Annotations, then plain lines for what GitHub would not show, then one summary line."""
    options = options or RenderOptions()
    lines: list[str] = []
    shown = dict.fromkeys(Severity, 0)
    hidden = 0
    for f in by_severity(report.active):
        file, line, col = _where(f, report, options.root)
        title = f"{f.rule_id} {f.rule}"
        message = f"{f.message} [{f.address}]" if f.address and f.address not in f.message else f.message
        if shown[f.severity] < PER_LEVEL:
            shown[f.severity] += 1
            lines.append(f"::{_COMMAND[f.severity]} file={escape_property(file)},line={line},col={col},"
                         f"title={escape_property(title)}::{escape_data(message)}")
        else:
            hidden += 1
            lines.append(f"nhi: {f.severity.label}: {visible(file)}:{line}: {visible(title)}: "
                         f"{visible(message)}")
    for f in report.findings:
        if f.suppressed is not None:
            file, line, _ = _where(f, report, options.root)
            lines.append(f"nhi: suppressed until {visible(f.suppressed_until or '-')}: {visible(file)}:{line}: "
                         f"{f.rule_id} {f.rule}: {visible(f.message)} (reason: {visible(f.suppressed)})")
    s = report.summary()
    sev = s["by_severity"]
    summary = (f"nhi check {'failed' if s['failed'] else 'passed'} (fail on {s['fail_on']}): "
               f"{_plural(sev['error'], 'error')}, {_plural(sev['warning'], 'warning')}, {sev['info']:,} info, "
               f"{s['suppressed']:,} suppressed across {_plural(s['identities'], 'identity', 'identities')}")
    if hidden:
        summary += (f"; {_plural(hidden, 'finding')} not annotated (GitHub shows {PER_LEVEL} per level "
                    "per step): listed above and in the job summary")
    lines.append(summary)
    return "\n".join(lines) + "\n"
