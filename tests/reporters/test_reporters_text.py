"""The text report: summary wording, --quiet and colour, fitting the terminal width."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from report_samples import CHECK_NOW, HCL_CASE, _finding, _ident, _report

from nhi_toolkit.cli import main
from nhi_toolkit.reporters import RenderOptions, render


def test_text_summary_speaks_in_singular() -> None:
    report = _report([_ident("aws_iam_user.bot")], [_finding("aws_iam_user.bot")])
    assert "\n1 identity, 1 finding (1 error, 0 warning, 0 info)" in render("text", report)


def test_text_quiet_and_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["check", str(HCL_CASE), "--now", CHECK_NOW]
    quiet = CliRunner().invoke(main, [*base, "--quiet"]).stdout
    assert quiet.startswith("Findings:\n") and "IDENTITY" not in quiet
    assert quiet.rstrip().endswith("as of 2026-12-01T00:00:00Z") and "\033[" not in quiet
    plain = CliRunner().invoke(main, base).stdout  # not a terminal: no colour
    assert "\033[" not in plain and "IDENTITY" in plain
    forced = CliRunner().invoke(main, [*base, "--color"]).stdout
    assert "\033[31mERROR  \033[0m NHI004 expired" in forced
    out = CliRunner().invoke(main, [*base, "--color", "-f", "json"]).stdout
    assert "\033[" not in out  # colour is for text only
    from nhi_toolkit.commands.check import use_color

    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(None) is False and use_color(True) is True


def test_text_table_fits_the_terminal_width() -> None:
    """On a terminal the identity (then owner) column is clipped so rows fit; files and pipes are
    never fitted (no width), so saved reports do not depend on a window's size."""
    from nhi_toolkit.reporters import render

    long_address = "module.team_" + "x" * 150 + '["bot"].aws_iam_user.u'
    ident = _ident(long_address, owner="alice-with-a-rather-long-handle@example.com")
    report = _report([ident], [])
    wide = render("text", report)
    assert max(len(line) for line in wide.splitlines()) > 120
    fitted = render("text", report, RenderOptions(width=80))
    table = fitted.split("\n\n")[0].splitlines()
    assert all(len(line) <= 80 for line in table), table
    assert "…" in table[1]
    assert render("text", report, RenderOptions(width=400)) == wide
