"""Reporters: each a pure render of a Report to a string, chosen by name from one registry."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from nhi_toolkit.records import Report
from nhi_toolkit.recordtype import record

__all__ = ["REPORTERS", "RenderOptions", "render"]

#: format name -> module whose ``render(report) -> str`` writes it. Fed to click.Choice.
#: A module that also sets ``TAKES_OPTIONS = True`` is called as ``render(report, options)``.
REPORTERS: dict[str, str] = {
    "text": "nhi_toolkit.reporters.text",
    "json": "nhi_toolkit.reporters.json_report",
    "sarif": "nhi_toolkit.reporters.sarif",
    "junit": "nhi_toolkit.reporters.junit",
    "markdown": "nhi_toolkit.reporters.markdown",
    "github": "nhi_toolkit.reporters.github",
    "gitlab": "nhi_toolkit.reporters.gitlab",
}


@record()
class RenderOptions:
    """Settings a render may need beyond the report; all optional, all inputs (no clock, no cwd)."""

    root: str | None = None
    """Directory that file paths are made relative to (``--sarif-root``); None: the working directory."""
    rule_ids: Sequence[str] | None = None
    """Ids of the rules that ran (JUnit lists a passing case for each); None: every documented rule."""
    artifact_hint: str = "the SARIF or JSON report artifact"
    """Where the full report is, named when a render has to cut (Markdown's 65,000 characters)."""
    color: bool = False
    """Colour severities with ANSI codes (text; the command decides: a TTY, no NO_COLOR, no --no-color)."""
    quiet: bool = False
    """Text: only the unsuppressed findings and the summary line, no identity table."""
    width: int | None = None
    """Text: the terminal's width, which the identity table is fitted to; None (files, pipes): no limit."""


def render(fmt: str, report: Report, options: RenderOptions | None = None) -> str:
    """Render a report in one of the registered formats."""
    module = importlib.import_module(REPORTERS[fmt])
    if getattr(module, "TAKES_OPTIONS", False):
        with_options: Callable[[Report, RenderOptions], str] = module.render
        return with_options(report, options or RenderOptions())
    func: Callable[[Report], str] = module.render
    return func(report)
