"""Reporters: each a pure render of a Report to a string, chosen by name from one registry."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from nhi_toolkit.engine import Report

__all__ = ["REPORTERS", "render"]

#: format name -> module whose ``render(report) -> str`` writes it. Fed to click.Choice.
REPORTERS: dict[str, str] = {
    "text": "nhi_toolkit.reporters.text",
    "json": "nhi_toolkit.reporters.json_report",
}


def render(fmt: str, report: Report) -> str:
    """Render a report in one of the registered formats."""
    module = importlib.import_module(REPORTERS[fmt])
    func: Callable[[Report], str] = module.render
    return func(report)
