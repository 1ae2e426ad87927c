"""Options and error handling shared by the sub-commands."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from nhi_toolkit.config import Config

__all__ = [
    "apply_input_limit", "fail_on_option", "handle_errors", "max_input_option", "no_cache_option", "now_option",
    "parse_now_value", "write_output", "write_stdout",
]

F = TypeVar("F", bound=Callable[..., Any])

now_option = click.option(
    "--now", metavar="TIME", envvar="NHI_NOW",
    help="Judge expiry as of this time: YYYY-MM-DD (00:00 UTC) or RFC 3339. Default: the clock. "
         "Also read from NHI_NOW.")
fail_on_option = click.option(
    "--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
    help="Exit 1 when a finding is at or above this severity (default: error).")

max_input_option = click.option(
    "--max-input-mb", type=click.FloatRange(min=0, min_open=True), default=None, metavar="MIB",
    help="Refuse any input file larger than this many MiB (default: max_input_mb in [tool.nhi], "
         "else 2048).")


def _skip_cache(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        from nhi_toolkit.loaders.hcl_cache import caching

        ctx.with_resource(caching(False))  # for this command only: lifted when its context closes
    return value


no_cache_option = click.option(
    "--no-cache", is_flag=True, expose_value=False, callback=_skip_cache,
    help="Parse every .tf file afresh: neither read nor write the HCL parse cache (also NHI_NO_CACHE=1).")


def apply_input_limit(flag: float | None, config: Config) -> None:
    """Cap every input read for the rest of this command: the flag, else the config's max_input_mb.

    The cap is lifted when the command's click context closes (``with_resource``).
    """
    from nhi_toolkit.loaders.common import input_limit

    click.get_current_context().with_resource(input_limit(flag if flag is not None else config.max_input_mb))


def parse_now_value(text: str) -> datetime:
    """Parse ``--now`` or raise a click usage error (exit 2) naming where the value came from."""
    from click.core import ParameterSource

    from nhi_toolkit.expiry import InvalidExpiry, parse_now

    try:
        return parse_now(text)
    except InvalidExpiry as exc:
        hint = "" if "YYYY-MM-DD" in str(exc) else " (use YYYY-MM-DD or RFC 3339)"
        ctx = click.get_current_context(silent=True)
        from_env = ctx is not None and ctx.get_parameter_source("now") is ParameterSource.ENVIRONMENT
        raise click.BadParameter(f"{exc}{hint}", param_hint="NHI_NOW" if from_env else "--now") from None


def handle_errors(func: F) -> F:
    """Turn the toolkit's errors into one clean line on stderr and their exit code; no tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nhi_toolkit.errors import NhiError

        try:
            return func(*args, **kwargs)
        except NhiError as exc:
            # str(exc) shows file and message through errors.printable: no raw control characters.
            click.echo(f"nhi: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit,
                BrokenPipeError):  # a closed pipe ends the command quietly (cli.LazyGroup.invoke)
            raise
        except KeyboardInterrupt:
            click.echo("nhi: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("NHI_DEBUG"):
                raise
            # The exception text may carry input values; name only its type.
            click.echo(f"nhi: error: internal error ({type(exc).__name__}); "
                       "rerun with NHI_DEBUG=1 for details", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def write_output(path: str, text: str) -> None:
    """Write a report file, turning OS errors into a clean exit-2 message naming the file."""
    from nhi_toolkit.errors import NhiError

    try:
        # backslashreplace: a lone surrogate (an undecodable file name) is written as its escape.
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
    except OSError as exc:
        raise NhiError(path, f"cannot write the report ({exc.strerror or type(exc).__name__})") from None


def write_stdout(text: str) -> None:
    """Write a report to stdout as the stream's encoding; what it cannot encode (a lone surrogate
    from an undecodable file name) is written as a backslash escape, which JSON reads back as the
    same character, instead of failing the run or emitting bytes that are not valid UTF-8."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        return
    import codecs

    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.flush()
    # In pieces through one incremental encoder (the same bytes, a BOM once): a large report is
    # never held a second time as bytes.
    encoder = codecs.getincrementalencoder(encoding)("backslashreplace")
    for start in range(0, len(text), _CHUNK):
        buffer.write(encoder.encode(text[start:start + _CHUNK]))
    buffer.write(encoder.encode("", final=True))
    buffer.flush()


#: Characters encoded and written at a time by :func:`write_stdout`.
_CHUNK = 1 << 20
