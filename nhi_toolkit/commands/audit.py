"""``nhi audit``: verify and read the hash-chained audit log.

Exit codes: 0 the log is intact (and holds the expected head); 1 the chain is broken or the expected
head is missing; 2 the file cannot be read or an option is invalid.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from nhi_toolkit import audit as audit_log

FORMATS = ("text", "json")


def _expected_head(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> audit_log.ExpectedHead | None:
    if value is None:
        return None
    try:
        return audit_log.parse_expected_head(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def render_verify(result: audit_log.VerifyResult, fmt: str) -> str:
    """The report of ``nhi audit verify`` as text or JSON (deterministic; no entry content)."""
    if fmt == "json":
        return json.dumps(result.to_json(), sort_keys=True, indent=2)
    if result.first_broken is not None:
        return (
            f"broken at entry {result.first_broken} (line {result.first_broken}): {result.reason}\n"
            f"intact prefix: {result.entries} entries, head {result.head}"
        )
    if not result.ok:
        return (
            f"expected head not found: {result.reason}\n"
            f"chain intact: {result.entries} entries, head {result.head}"
        )
    text = f"ok: {result.entries} entries, head {result.head}"
    if result.expected_head_at is not None:
        text += f" (expected head is entry {result.expected_head_at})"
    return text


@click.group()
def audit() -> None:
    """Verify and read the hash-chained audit log of retirement runs, grants and revokes."""


@audit.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--expect-head",
    metavar="[SEQ:]HASH",
    callback=_expected_head,
    help="A head recorded earlier; fail unless the log still holds it (detects truncation). "
    "SEQ, the entry count printed with it, tells truncation from rewriting.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def verify(ctx: click.Context, file: Path, expect_head: audit_log.ExpectedHead | None, fmt: str) -> None:
    """Check the hash chain of FILE and print its head; name the first broken entry and exit 1."""
    try:
        result = audit_log.verify(file, expect_head)
    except audit_log.AuditLogAccessError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)
    click.echo(render_verify(result, fmt))
    ctx.exit(0 if result.ok else 1)


@audit.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--run-id", help="Only the entries of this run.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def show(ctx: click.Context, file: Path, run_id: str | None, fmt: str) -> None:
    """Print the entries of FILE up to the first broken one (exit 1 if there is one)."""
    entries: list[audit_log.AuditEntry] = []
    broken: audit_log.ChainBroken | None = None
    try:
        for entry in audit_log.iter_entries(file):
            if run_id is None or entry.run_id == run_id:
                entries.append(entry)
    except audit_log.AuditLogAccessError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)
    except audit_log.ChainBroken as exc:
        broken = exc
    if fmt == "json":
        click.echo(json.dumps([e.to_json() for e in entries], sort_keys=True, indent=2))
    else:
        for e in entries:
            data = json.dumps(e.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            click.echo(f"{e.seq:>6} {e.at} {e.event:<12} {e.run_id} {data}")
    if broken is not None:
        click.echo(f"error: {file}: {broken}", err=True)
        ctx.exit(1)
