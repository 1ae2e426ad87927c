"""``nhi check`` and ``nhi rules``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from nhi_toolkit.commands.common import (
    apply_input_limit,
    fail_on_option,
    handle_errors,
    max_input_option,
    now_option,
    parse_now_value,
    write_output,
    write_stdout,
)
from nhi_toolkit.reporters import REPORTERS

__all__ = ["check", "rules"]


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--format", "-f", "fmt", type=click.Choice(sorted(REPORTERS)), default="text",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to a file instead of standard output.")
@now_option
@fail_on_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (nhi.toml or pyproject.toml with [tool.nhi]).")
@click.option("--expiring-soon-days", type=click.IntRange(min=0), default=None,
              help="Warning window before expiry, in days (default 14).")
@click.option("--leavers", type=click.Path(dir_okay=False),
              help="Leavers list (CSV with an owner column and optional left_on, or one per line).")
@click.option("--audit-log", type=click.Path(dir_okay=False),
              help="Append every grant (identity created) and revoke (deleted) seen in a checked plan "
                   "to this hash-chained audit log.")
@max_input_option
@handle_errors
def check(inputs: tuple[str, ...], fmt: str, output: str | None, now: str | None, fail_on: str | None,
          config_path: str | None, expiring_soon_days: int | None, leavers: str | None,
          audit_log: str | None, max_input_mb: float | None) -> None:
    """Check plans, state, synthesized CDKTF or HCL for unowned, unexpiring and expired identities.

    INPUTS are plan JSON ('terraform show -json'), state files, cdktf.out folders or cdk.tf.json
    files, .tf files or directories of them; each a regular file or a directory (no FIFO or device),
    at most --max-input-mb. Exit 0 clean, 1 findings at or above --fail-on, 2 bad input.
    """
    import gc

    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths

    # A check builds many small acyclic records once and exits; cyclic collection passes over them
    # cost time that grows with the input, for no memory back.
    gc.disable()
    from nhi_toolkit.reporters import render

    config = load_config(config_path, inputs, {"fail_on": fail_on, "expiring_soon_days": expiring_soon_days})
    apply_input_limit(max_input_mb, config)
    clock = parse_now_value(now) if now is not None else datetime.now(UTC).replace(microsecond=0)
    leaver_map = None
    if leavers:
        from nhi_toolkit.leavers import load_leavers

        leaver_map = load_leavers(leavers)
    report = check_paths(list(inputs), config, clock, leaver_map)
    if audit_log:
        from nhi_toolkit.engine import record_grants

        record_grants(report, audit_log)
    text = render(fmt, report)
    if output:
        write_output(output, text)
    else:
        write_stdout(text)
    sys.exit(1 if report.failed() else 0)


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules(fmt: str) -> None:
    """List every rule with its id, name, severity and summary."""
    import json

    from nhi_toolkit.rules import ALL_RULES

    items = [{"id": r.id, "name": r.name, "severity": r.severity.label, "summary": r.summary,
              "description": r.description, "fix": r.fix, "waivable": r.waivable} for r in ALL_RULES]
    if fmt == "json":
        click.echo(json.dumps(items, indent=2, sort_keys=True))
        return
    for r in items:
        click.echo(f"{r['id']}  {r['name']:<24} {r['severity']:<8} {r['summary']}")
