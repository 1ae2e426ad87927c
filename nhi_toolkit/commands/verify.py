"""``nhi verify``: what AWS says about every declared identity, and what nobody declared."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nhi_toolkit.commands.common import (
    fail_on_option,
    handle_errors,
    no_cache_option,
    now_option,
    parse_now_value,
    write_output,
)
from nhi_toolkit.reporters import REPORTERS

if TYPE_CHECKING:
    from nhi_toolkit.aws.session import AwsSession

__all__ = ["aws_options", "verify"]


F = TypeVar("F", bound=Callable[..., Any])


def aws_options(func: F) -> F:
    """--profile, --region, --endpoint-url, --state-profile, --max-attempts."""
    for opt in reversed((
        click.option("--profile", envvar="AWS_PROFILE", help="AWS profile of the account to read "
                                                             "(default: the standard credentials chain)."),
        click.option("--region", help="AWS region (default: from the profile or environment)."),
        click.option("--endpoint-url", help="An AWS-compatible endpoint (a local test server)."),
        click.option("--state-profile", help="AWS profile for reading s3:// state buckets, when apart "
                                             "from the scanned account (default: --profile)."),
        click.option("--max-attempts", type=click.IntRange(1, 50), default=8, show_default=True,
                     help="Attempts per AWS call, with backoff on throttling (standard retry mode)."),
    )):
        func = opt(func)
    return func


def configure_aws(profile: str | None, region: str | None, endpoint_url: str | None,
                  state_profile: str | None, max_attempts: int) -> AwsSession:
    """The scanned account's session; state buckets are read with --state-profile."""
    from nhi_toolkit.aws.s3 import set_state_options
    from nhi_toolkit.aws.session import AwsOptions, AwsSession

    options = AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url, max_attempts=max_attempts)
    set_state_options(AwsOptions(profile=state_profile or profile, region=region, endpoint_url=endpoint_url,
                                 max_attempts=max_attempts))
    return AwsSession(options)


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "-f", "fmt", type=click.Choice(sorted(REPORTERS)), default="text",
              show_default=True, help="Output format (as nhi check; JSON identities gain 'live').")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to a file instead of standard output.")
@now_option
@fail_on_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (nhi.toml or pyproject.toml with [tool.nhi]).")
@click.option("--dormant-days", type=click.IntRange(min=1), default=None,
              help="Unused for longer than this is dormant (default 90, config dormant_days).")
@click.option("--no-unmanaged", is_flag=True, help="Skip the scan for identities no input manages.")
@no_cache_option
@aws_options
@handle_errors
def verify(inputs: tuple[str, ...], fmt: str, output: str | None, now: str | None, fail_on: str | None,
           config_path: str | None, dormant_days: int | None, no_unmanaged: bool, profile: str | None,
           region: str | None, endpoint_url: str | None, state_profile: str | None, max_attempts: int) -> None:
    """Check INPUTS as nhi check does, then ask AWS about every declared identity (read-only).

    Reports identities deleted or retagged outside Terraform, keys active past expiry, inactive but
    not deleted, too old or dormant, credentials attached outside Terraform, and (unless
    --no-unmanaged) identities in the account that no input manages, most AI-like first.
    Exit 0 clean, 1 findings at or above --fail-on, 2 bad input, 4 AWS could not be asked.
    """
    from nhi_toolkit.aws.verify import inspect_live
    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.live import with_live
    from nhi_toolkit.reporters import render

    config = load_config(config_path, [i for i in inputs if not i.startswith("s3://")],
                         {"fail_on": fail_on, "dormant_days": dormant_days})
    clock = parse_now_value(now) if now is not None else datetime.now(UTC).replace(microsecond=0)
    session = configure_aws(profile, region, endpoint_url, state_profile, max_attempts)
    report = check_paths(list(inputs), config, clock)
    live = inspect_live(session, report.identities, config, clock, dormant_days=config.dormant_days,
                        unmanaged=not no_unmanaged)
    final = with_live(report, live.findings, live.live, config)
    text = render(fmt, final)
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)
    sys.exit(1 if final.failed() else 0)
