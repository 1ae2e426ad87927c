"""``--format markdown``: a pull-request comment a bot can post and later update in place.

A hidden marker (:data:`MARKER`) first, so the bot finds its own comment; a one-line verdict; a table
of identities (problems first); findings grouped by severity; suppressed findings with their reason.
Tables show 50 rows and collapse the rest in ``<details>``. The comment never exceeds
:data:`MAX_CHARS` (GitHub's limit is 65,536): past it, rows are cut with a count and a pointer to the
full report. Every value from the input is escaped, so tags cannot inject Markdown, HTML or mentions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from nhi_toolkit.expiry import format_instant
from nhi_toolkit.model import UNKNOWN, Finding, Identity, Severity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters import RenderOptions
from nhi_toolkit.reporters._common import finding_location, place, visible
from nhi_toolkit.rules.base import help_uri

__all__ = ["COLLAPSE_AFTER", "MARKER", "MAX_CHARS", "TAKES_OPTIONS", "escape", "render"]

TAKES_OPTIONS = True
MARKER = "<!-- nhi-toolkit:check -->"
MAX_CHARS = 65_000
COLLAPSE_AFTER = 50
#: Room kept for the truncation notice and closing tags.
_RESERVE = 600

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_STATUS_RANK = {"expired": 0, "no-owner": 1, "invalid-expiry": 2, "no-expiry": 3, "forgotten": 4,
                "expiring-soon": 5, "unknown": 6, "deleting": 7, "ok": 9}
_HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}

# (text, kind): kind is "row-identity", "row-finding", "open", "close" or "" for any other line.
_Line = tuple[str, str]


def escape(text: str) -> str:
    """Input text made inert: no HTML, no Markdown syntax, no @mentions, no line breaks."""
    text = visible(str(text))
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _value(value: object) -> str:
    if value is UNKNOWN:
        return "_known after apply_"
    if value is None or value == "":
        return "-"
    return escape(str(value))


def _where(file: str, line: int | None, root: str | None) -> str:
    placed = place(file, root)
    return escape(f"{placed.path}:{line}" if line is not None else placed.path)


def _table(header: list[str], rows: list[str], kind: str, what: tuple[str, str]) -> Iterator[_Line]:
    head = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    yield from ((h, "") for h in head)
    for row in rows[:COLLAPSE_AFTER]:
        yield row, kind
    rest = rows[COLLAPSE_AFTER:]
    if rest:
        yield "", ""
        yield f"<details><summary>{_plural(len(rest), 'more ' + what[0], 'more ' + what[1])}</summary>", "open"
        yield "", ""
        yield from ((h, "") for h in head)
        yield from ((row, kind) for row in rest)
        yield "", ""
        yield "</details>", "close"


def _identity_rows(report: Report, root: str | None) -> list[str]:
    def order(ident: Identity) -> tuple[int, str, str]:
        return (_STATUS_RANK.get(report.status_of(ident), 8), ident.address, str(ident.source))

    return [f"| {escape(i.address)} | {_value(i.owner)} | {_value(i.expires)} | "
            f"{escape(report.status_of(i))} | {_where(i.source.file, i.source.line, root)} |"
            for i in sorted(report.identities, key=order)]


def _rule_link(f: Finding) -> str:
    return f"[{f.rule_id} {escape(f.rule)}]({help_uri(f.rule_id, f.rule)})"


def _finding_row(f: Finding, report: Report, root: str | None) -> str:
    loc = finding_location(f, report)
    return (f"| {_rule_link(f)} | {escape(f.address) or '-'} | {escape(f.message)} | "
            f"{_where(loc.file, loc.line, root)} |")


def _suppressed_row(f: Finding, report: Report, root: str | None) -> str:
    loc = finding_location(f, report)
    return (f"| {_rule_link(f)} | {escape(f.address) or '-'} | {escape(f.suppressed or '')} | "
            f"{_value(f.suppressed_until)} | {_where(loc.file, loc.line, root)} |")


def _verdict(report: Report) -> str:
    s = report.summary()
    sev = s["by_severity"]
    counts = (f"{_plural(sev['error'], 'error')}, {_plural(sev['warning'], 'warning')}, "
              f"{sev['info']:,} info")
    if s["suppressed"]:
        counts += f", {s['suppressed']:,} suppressed"
    mark = "❌ **nhi check failed**" if s["failed"] else "✅ **nhi check passed**"
    return (f"{mark}: {counts} across {_plural(s['identities'], 'identity', 'identities')} "
            f"(fail on {s['fail_on']}; as of {format_instant(report.now)})")


def _identity_lines(report: Report, root: str | None) -> Iterator[_Line]:
    yield "### Non-human identities", ""
    yield "", ""
    if report.identities:
        yield from _table(["Identity", "Owner", "Expires", "Status", "Source"],
                          _identity_rows(report, root), "row-identity", ("identity", "identities"))
    else:
        yield "No non-human identities found.", ""


def _finding_lines(report: Report, root: str | None) -> Iterator[_Line]:
    for sev in sorted(Severity, reverse=True):
        group = [f for f in report.active if f.severity == sev]
        if not group:
            continue
        yield "", ""
        yield f"### {_HEADINGS[sev]} ({len(group):,})", ""
        yield "", ""
        yield from _table(["Rule", "Identity", "Finding", "Source"],
                          [_finding_row(f, report, root) for f in group], "row-finding",
                          ("finding", "findings"))
    waived = [f for f in report.findings if f.suppressed is not None]
    if waived:
        yield "", ""
        yield f"### Suppressed ({len(waived):,})", ""
        yield "", ""
        yield from _table(["Rule", "Identity", "Reason", "Until", "Source"],
                          [_suppressed_row(f, report, root) for f in waived], "row-finding",
                          ("finding", "findings"))


def render(report: Report, options: RenderOptions | None = None) -> str:
    """The comment body, at most :data:`MAX_CHARS` characters.

    When it would be longer, the identity table takes at most half of the room (so findings still
    show), then rows are cut wherever the room ends, with a count of what was left out.
    """
    options = options or RenderOptions()
    out = [MARKER, _verdict(report), ""]
    size = sum(len(x) + 1 for x in out)
    cut = {"row-identity": 0, "row-finding": 0}
    full = MAX_CHARS - _RESERVE
    sections = [(_identity_lines(report, options.root), full // 2 if report.findings else full),
                (_finding_lines(report, options.root), full)]
    for lines, limit in sections:
        is_open = False
        for text, kind in lines:
            if size + len(text) + 1 > limit:
                for _, rest_kind in [(text, kind), *lines]:
                    if rest_kind in cut:
                        cut[rest_kind] += 1
                if is_open:
                    out += ["", "</details>"]
                    size += len("</details>") + 2
                break
            out.append(text)
            size += len(text) + 1
            is_open = kind == "open" or (is_open and kind != "close")
    if any(cut.values()):
        out += ["", (f"**Truncated:** {_plural(cut['row-identity'], 'identity row', 'identity rows')} and "
                     f"{_plural(cut['row-finding'], 'finding row')} not shown (a comment holds at most "
                     f"{MAX_CHARS:,} characters). The full report is in {options.artifact_hint}.")]
    return "\n".join(out) + "\n"
