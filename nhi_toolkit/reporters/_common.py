"""Helpers shared by the CI reporters: paths relative to a root, severity order, text hygiene."""

from __future__ import annotations

import os
from dataclasses import dataclass

from nhi_toolkit.model import Finding, Location, Severity
from nhi_toolkit.records import Report

__all__ = ["SEVERITY_WORD", "PlacedFile", "by_severity", "finding_location", "place", "visible"]


@dataclass(frozen=True)
class PlacedFile:
    """A source file as a CI system wants it: relative to the root when inside it."""

    path: str
    """Relative path with ``/`` separators when ``inside``; else the absolute path (or a URL)."""
    inside: bool
    url: bool = False
    """True when the input was a URL (``s3://...``), kept as given."""


def place(file: str, root: str | None) -> PlacedFile:
    """Make ``file`` relative to ``root`` (default: the working directory) when it lies inside it."""
    if "://" in file:
        return PlacedFile(file, False, url=True)
    base = os.path.abspath(root or os.getcwd())
    full = os.path.abspath(file or ".")
    if full == base or full.startswith(base.rstrip(os.sep) + os.sep):
        rel = os.path.relpath(full, base).replace(os.sep, "/")
        return PlacedFile(rel, True)
    return PlacedFile(full, False)


def finding_location(finding: Finding, report: Report) -> Location:
    """The finding's source, or the first input when a finding has none (line None: unknown)."""
    if finding.source.file:
        return finding.source
    return Location(report.inputs[0] if report.inputs else ".", None)


def by_severity(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """Most severe first, then the report's stable order."""
    return sorted(findings, key=lambda f: (-int(f.severity), f.sort_key()))


def visible(text: str) -> str:
    """Control and format characters shown escaped (``\\x1b``), never sent raw; the rest unchanged."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


#: SARIF result level per severity.
SEVERITY_WORD = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
