"""``nhi check`` and ``nhi rules``."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

import click

from nhi_toolkit.commands.common import (
    apply_input_limit,
    fail_on_option,
    handle_errors,
    max_input_option,
    no_cache_option,
    now_option,
    parse_now_value,
    write_output,
    write_stdout,
)
from nhi_toolkit.reporters import REPORTERS

if TYPE_CHECKING:
    from nhi_toolkit.config import Config
    from nhi_toolkit.records import Report
    from nhi_toolkit.reporters import RenderOptions

__all__ = ["check", "enabled_rule_ids", "end_process", "pair_outputs", "rules", "terminal_width", "use_color",
           "write_step_summary"]


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--format", "-f", "fmt", type=click.Choice(sorted(REPORTERS)), multiple=True,
              help="Output format (default text). Repeat with --output for several reports from one "
                   "analysis: the n-th --format goes to the n-th --output, one at most to standard output.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), multiple=True,
              help="Write the report to a file instead of standard output (repeatable, paired with --format).")
@click.option("--quiet", "-q", is_flag=True,
              help="Text: only the unsuppressed findings and the summary line.")
@click.option("--color/--no-color", default=None,
              help="Colour severities in text on standard output (default: on a terminal, off under NO_COLOR).")
@click.option("--sarif-root", type=click.Path(file_okay=False), default=None,
              help="Make file paths in sarif, github, gitlab and markdown reports relative to this "
                   "directory (default: the working directory).")
@click.option("--source-dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Terraform configuration that plan and state inputs were made from: each identity is "
                   "located at the .tf block declaring it, through local module calls (default: the "
                   "plan's or state's own directory when it holds .tf files).")
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
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Report only findings not in this earlier JSON report (matched by rule, address and "
                   "file); those it holds are shown as suppressed and do not fail the check.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, writable=True),
              help="Also write this run's JSON report as a baseline (needs --baseline-until).")
@click.option("--baseline-until", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="End date of the baseline written (YYYY-MM-DD); after it the baseline hides nothing.")
@no_cache_option
@max_input_option
@handle_errors
def check(inputs: tuple[str, ...], fmt: tuple[str, ...], output: tuple[str, ...], quiet: bool,
          color: bool | None, sarif_root: str | None, source_dir: str | None,
          now: str | None, fail_on: str | None, config_path: str | None, expiring_soon_days: int | None,
          leavers: str | None, audit_log: str | None, baseline_path: str | None,
          write_baseline: str | None, baseline_until: datetime | None, max_input_mb: float | None) -> None:
    """Check plans, state, synthesized CDKTF or HCL for unowned, unexpiring and expired identities.

    INPUTS are plan JSON ('terraform show -json'), state files, cdktf.out folders or cdk.tf.json
    files, .tf files or directories of them; each a regular file or a directory (no FIFO or device),
    at most --max-input-mb; '-' reads one input (JSON, or the text of a .tf file) from standard
    input; or s3://bucket/prefix/ (every state under it, read with the standard AWS credentials
    chain). Exit 0 clean, 1 findings at or above --fail-on, 2 bad input, 4 an s3:// input could not
    be read (no credentials, unreachable, denied).
    """
    import gc

    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_paths

    # A check builds many small acyclic records once and exits; cyclic collection passes over them
    # cost time that grows with the input, for no memory back.
    gc.disable()
    from nhi_toolkit.reporters import RenderOptions, render

    targets = pair_outputs(fmt, output)
    if (write_baseline is None) != (baseline_until is None):
        raise click.UsageError("--write-baseline and --baseline-until go together: a baseline needs an end date")
    if list(inputs).count("-") > 1:
        raise click.UsageError("'-' (standard input) can be given once")
    config = load_config(config_path, inputs, {"fail_on": fail_on, "expiring_soon_days": expiring_soon_days})
    apply_input_limit(max_input_mb, config)
    clock = parse_now_value(now) if now is not None else datetime.now(UTC).replace(microsecond=0)
    leaver_map = None
    if leavers:
        from nhi_toolkit.leavers import load_leavers

        leaver_map = load_leavers(leavers)
    baseline = None
    if baseline_path:
        from nhi_toolkit.baseline import load_baseline

        baseline = load_baseline(baseline_path)
    report = check_paths(list(inputs), config, clock, leaver_map, baseline=baseline,
                         map_sources=True, source_dir=source_dir)
    if write_baseline and baseline_until is not None:
        from nhi_toolkit.baseline import baseline_document

        write_output(write_baseline, baseline_document(report, baseline_until.date()))
    if audit_log:
        from nhi_toolkit.commands.grants import record_grants

        record_grants(report, audit_log)
    options = RenderOptions(root=sarif_root, rule_ids=enabled_rule_ids(config), quiet=quiet)
    for target_fmt, target in targets:
        on_tty = target is None and use_color(color)
        width = terminal_width() if target is None else None
        text = render(target_fmt, report, replace(options, color=on_tty, width=width))
        if target:
            write_output(target, text)
        else:
            write_stdout(text)
    if any(f == "github" for f, _ in targets):
        write_step_summary(report, options)
    end_process(1 if report.failed() else 0)


def end_process(code: int) -> NoReturn:
    """Exit with ``code``. When this process is the ``nhi`` program itself (``nhi`` or ``python -m
    nhi_toolkit.cli``, its real standard streams, one thread, no exit handlers), standard output and
    error are flushed and the process ends at once: freeing every record of a large check one by
    one would cost more than a tenth of the check. A caller that imported the command (a test, a
    script catching SystemExit) gets the ordinary SystemExit."""
    if _whole_process_is_nhi():
        # A reader that went away fails this flush with BrokenPipeError: cli.LazyGroup handles it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _whole_process_is_nhi() -> bool:
    import atexit

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    started_as_nhi = (getattr(spec, "name", None) == "nhi_toolkit.cli"
                      or (spec is None and os.path.basename(sys.argv[0]) == "nhi"
                          and getattr(main, "__file__", None) == sys.argv[0]))
    threading = sys.modules.get("threading")
    callbacks = getattr(atexit, "_ncallbacks", None)  # CPython; without it, never end early
    # Real streams only: not a test runner's capture, nor None (a descriptor closed at start).
    return (started_as_nhi and sys.stdout is sys.__stdout__ and sys.stderr is sys.__stderr__
            and sys.stdout is not None and sys.stderr is not None
            and (threading is None or threading.active_count() == 1)
            and callbacks is not None and callbacks() == 0)


def pair_outputs(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair each --format with its --output in order; one format at most goes to standard output."""
    formats = formats or ("text",)
    if len(outputs) > len(formats):
        raise click.UsageError(f"{len(outputs)} --output given for {len(formats)} --format; "
                               "give one --format per --output")
    if len(formats) - len(outputs) > 1:
        raise click.UsageError(f"{len(formats)} --format for {len(outputs)} --output: only one report "
                               "can go to standard output; add an --output for each other --format")
    seen: set[str] = set()
    for out in outputs:
        key = os.path.abspath(out)
        if key in seen:
            raise click.UsageError(f"--output {out} given twice")
        seen.add(key)
    return [(f, outputs[n] if n < len(outputs) else None) for n, f in enumerate(formats)]


def terminal_width() -> int | None:
    """The width of the terminal standard output goes to; None when it is a file or a pipe, so
    saved and piped reports never depend on a window's size."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def use_color(flag: bool | None) -> bool:
    """--color/--no-color when given; else colour on a terminal unless NO_COLOR is set (no-color.org)."""
    if flag is not None:
        return flag
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def enabled_rule_ids(config: Config) -> tuple[str, ...]:
    """Ids of the rules a check runs under this config (the rule-error pseudo-rule included)."""
    from nhi_toolkit.rules import ALL_RULES, RULE_ERROR_ID

    off = set(config.disable)
    return (RULE_ERROR_ID, *(r.id for r in ALL_RULES if r.id not in off and r.name not in off))


def write_step_summary(report: Report, options: RenderOptions) -> None:
    """Append the Markdown report to GitHub's job summary when $GITHUB_STEP_SUMMARY names a file."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    from nhi_toolkit.errors import NhiError
    from nhi_toolkit.reporters import render

    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render("markdown", report, options))
    except OSError as exc:
        raise NhiError(path, f"cannot write the job summary ({exc.strerror or type(exc).__name__})") from None


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format; json adds each rule's description, fix, severities (which condition "
                   "gives which), waivable and help_uri.")
@handle_errors
def rules(fmt: str) -> None:
    """List every rule with its id, name, severity and summary, ordered by id (NHI000 rule-error too)."""
    import json

    from nhi_toolkit.rules.guide import documented_rules
    from nhi_toolkit.suppress import waivable_by_default

    items = [{"id": r.id, "name": r.name, "severity": r.severity.label, "summary": r.summary,
              "description": r.description, "fix": r.fix, "waivable": waivable_by_default(r),
              "severities": [{"severity": sev.label, "when": when}
                             for sev, when in r.severities or ((r.severity, "every finding"),)],
              "help_uri": r.help_uri} for r in documented_rules()]
    if fmt == "json":
        click.echo(json.dumps(items, indent=2, sort_keys=True))
        return
    width = max(len(r.name) for r in documented_rules())
    for r in items:
        click.echo(f"{r['id']}  {r['name']:<{width}}  {r['severity']:<8} {r['summary']}")
