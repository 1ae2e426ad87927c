"""``--format text``: a readable table of identities, then the findings."""

from __future__ import annotations

from itertools import starmap

from nhi_toolkit.errors import printable
from nhi_toolkit.model import UNKNOWN, Finding, Location, Severity
from nhi_toolkit.records import Report
from nhi_toolkit.reporters import RenderOptions
from nhi_toolkit.suppress import suppression_label

__all__ = ["TAKES_OPTIONS", "render"]

TAKES_OPTIONS = True
_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}

_COLUMNS = ("IDENTITY", "OWNER", "EXPIRES", "STATUS", "FINDING")


def _worst_first(f: Finding) -> tuple[int, str, str]:
    """The order of :meth:`Report.findings_of`."""
    return (-f.severity, f.rule_id, f.message)


# Every string from an input (addresses, tag values, messages quoting them, file names) goes through
# this: control and format characters (terminal escapes, bidi overrides) are shown escaped, never raw.
_visible = printable


def _cell(value: object) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    if value is None:
        return "-"
    return _visible(str(value))


def _mark(source: str | None) -> str:
    """Owner and expiry not read from a tag say where they came from."""
    return f" ({source})" if source in ("native", "declaration") else ""


def _value_cell(value: object, source: str | None, width: int) -> str:
    """The owner or expires cell: the value clipped to ``width``, then where it came from."""
    return _clip(_cell(value), width) + _mark(source)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


#: Narrowest the identity and owner columns get when the table is fitted to a terminal.
_MIN_FITTED = (24, 12)


def _fit(rows: list[tuple[str, str, str, str, str]], widths: list[int],
         limit: int) -> tuple[list[tuple[str, str, str, str, str]], list[int]]:
    """Clip the identity column, then the owner column, so a row fits ``limit`` characters."""
    widths = list(widths)
    for col, narrowest in zip((0, 1), _MIN_FITTED, strict=True):
        over = sum(widths) + 2 * (len(widths) - 1) - limit
        if over <= 0:
            break
        widths[col] = max(narrowest, min(widths[col], widths[col] - over))
    fitted = [(_clip(r[0], widths[0]), _clip(r[1], widths[1]), *r[2:]) for r in rows]
    return fitted, widths


def render(report: Report, options: RenderOptions | None = None) -> str:
    """Identities with every kind of active finding about them, then every finding with its source.

    An identity with several findings takes one line per rule (severity: rule), worst first; the
    continuation lines leave the identity's other cells empty.
    """
    options = options or RenderOptions()
    rows: list[tuple[str, str, str, str, str]] = []
    # Report.findings_of and status_of without their calls per row; an owner or expiry cell is
    # worked out once per distinct (value, source): a large check repeats few of them.
    about, words = report.identity_findings, report.statuses
    owners: dict[tuple[object, str | None], str] = {}
    expiries: dict[tuple[object, str | None], str] = {}
    for ident, key in zip(report.identities, report.row_keys(), strict=True):
        address = ident.address
        if not address.isprintable():
            address = _visible(address)
        if len(address) > 96:
            address = _clip(address, 96)
        owner = (ident.owner, ident.owner_source)
        owner_cell = owners.get(owner)
        if owner_cell is None:
            owner_cell = owners[owner] = _value_cell(*owner, 32)
        expires = (ident.expires, ident.expiry_source)
        expires_cell = expiries.get(expires)
        if expires_cell is None:
            expires_cell = expiries[expires] = _value_cell(*expires, 26)
        found = about.get(key)
        if found:
            # Report.findings_of: the active ones, worst first; one label per rule and severity.
            active = [f for f in found if f.suppressed is None]
            if len(active) > 1:
                active.sort(key=_worst_first)
            labels = list(dict.fromkeys(f"{f.severity.label}: {f.rule}" for f in active))
            rows.append((address, owner_cell, expires_cell, words.get(key, "ok"), labels[0] if labels else ""))
            if len(labels) > 1:
                rows.extend(("", "", "", "", label) for label in labels[1:])
        else:
            rows.append((address, owner_cell, expires_cell, words.get(key, "ok"), ""))
    lines: list[str] = []
    if options.quiet:
        pass
    elif rows:
        widths = [max(len(c), max(map(len, column))) for c, column in zip(_COLUMNS, zip(*rows, strict=True), strict=True)]
        if options.width:
            rows, widths = _fit(rows, widths, options.width)
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.append(fmt.format(*_COLUMNS).rstrip())
        lines.extend(map(str.rstrip, starmap(fmt.format, rows)))
    else:
        lines.append("No non-human identities found.")
    shown = report.active if options.quiet else report.findings
    if shown:
        if lines:
            lines.append("")
        lines.append("Findings:")
        heads: dict[tuple[Severity, str, str], str] = {}
        places: dict[int, tuple[Location, str]] = {}
        for f in shown:
            head = heads.get((f.severity, f.rule_id, f.rule))
            if head is None:
                label = f"{f.severity.label.upper():7}"
                if options.color:
                    label = f"{_COLORS[f.severity]}{label}\033[0m"
                head = heads[(f.severity, f.rule_id, f.rule)] = f"  {label} {f.rule_id} {f.rule}: "
            mark = "" if f.suppressed is None else _visible(suppression_label(f))
            place = places.get(id(f.source))
            if place is None:  # the record is kept with its text: its id is not reused meanwhile
                place = places[id(f.source)] = (f.source, f"          at {_visible(str(f.source))}")
            lines.append(f"{head}{_visible(f.message)}{mark}")
            lines.append(place[1])
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
    lines.append("")  # the final line break, without copying the whole text once more
    return "\n".join(lines)
