"""``nhi owners``: each owner's expired and expiring identities, before anything is retired."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from nhi_toolkit.commands.common import (
    handle_errors,
    no_cache_option,
    now_option,
    parse_now_value,
    write_output,
)
from nhi_toolkit.reporters.owners import DIGEST_FORMATS

__all__ = ["owners"]


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--format", "-f", "fmt", type=click.Choice(DIGEST_FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the digest to a file instead of standard output.")
@now_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (nhi.toml or pyproject.toml with [tool.nhi]).")
@click.option("--expiring-soon-days", type=click.IntRange(min=0), default=None,
              help="Warning window before expiry, in days (default 14).")
@no_cache_option
@handle_errors
def owners(inputs: tuple[str, ...], fmt: str, output: str | None, now: str | None, config_path: str | None,
           expiring_soon_days: int | None) -> None:
    """Group identities by owner: already expired, expiring within the warning window, no owner.

    INPUTS are what 'nhi check' reads. Exit 0 with the digest, 2 on bad input.
    """
    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.reporters.owners import render

    config = load_config(config_path, inputs, {"expiring_soon_days": expiring_soon_days})
    clock = parse_now_value(now) if now is not None else datetime.now(UTC).replace(microsecond=0)
    report = check_paths(list(inputs), config, clock)
    text = render(report, config.expiring_soon_days, fmt)
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)
