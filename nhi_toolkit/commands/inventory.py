"""``nhi inventory``: every identity across many states (local files or s3:// prefixes)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from nhi_toolkit.commands.common import handle_errors, no_cache_option, now_option, parse_now_value
from nhi_toolkit.commands.verify import aws_options, configure_aws

__all__ = ["inventory"]


@click.command()
@click.argument("inputs", nargs=-1)
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format; json parts can be joined with --merge.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to a file instead of standard output.")
@click.option("--shard", metavar="I/N", help="Read only shard I of N of the listing (hash of each key).")
@click.option("--merge", "merge", is_flag=True, help="INPUTS are JSON parts to join, not states.")
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True,
              help="States read at once.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (nhi.toml or pyproject.toml with [tool.nhi]).")
@now_option
@no_cache_option
@aws_options
@handle_errors
def inventory(inputs: tuple[str, ...], fmt: str, output: str | None, shard: str | None, merge: bool,
              workers: int, config_path: str | None, now: str | None, profile: str | None,
              region: str | None, endpoint_url: str | None, state_profile: str | None,
              max_attempts: int) -> None:
    """List every identity (workspace/state, owner, expiry, status) in INPUTS: state files,
    directories or s3://bucket/prefix/ (every state under it, workspaces included).

    Exit 0 listed, 2 bad input, 4 AWS could not be asked.
    """
    import gc

    from nhi_toolkit.config import load_config
    from nhi_toolkit.errors import NhiError
    from nhi_toolkit.expiry import format_instant
    from nhi_toolkit.fleet import inventory_rows, iter_render, merge_parts, parse_shard

    # Loading builds many small acyclic records; automatic cyclic collection over them costs time
    # that grows with the input (inventory_rows still collects every 256 states).
    gc.disable()
    if not inputs:
        raise click.UsageError("give state files, directories, s3:// prefixes, or --merge PART.json...")
    clock = parse_now_value(now) if now is not None else datetime.now(UTC).replace(microsecond=0)
    if merge:
        rows, states = merge_parts(list(inputs))
        shard_text = None
    else:
        try:
            shard_pair = parse_shard(shard) if shard else None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--shard") from None
        shard_text = f"{shard_pair[0]}/{shard_pair[1]}" if shard_pair else None
        config = load_config(config_path, [i for i in inputs if not i.startswith("s3://")])
        if any(i.startswith("s3://") for i in inputs):
            configure_aws(state_profile or profile, region, endpoint_url, state_profile, max_attempts)
        rows, states = inventory_rows(list(inputs), config, clock, shard=shard_pair, workers=workers)
    pieces = iter_render(rows, fmt, states=states, now=format_instant(clock), shard=shard_text)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.writelines(pieces)
        except OSError as exc:
            raise NhiError(output, f"cannot write the inventory ({exc.strerror or type(exc).__name__})") from None
    else:
        sys.stdout.writelines(pieces)
