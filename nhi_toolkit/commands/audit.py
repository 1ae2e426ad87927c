"""``nhi audit``: verify, read and repair the hash-chained audit log.

Exit codes: 0 the log is intact (and holds the expected head), or repair mended it or found nothing
to mend; 1 the chain is broken or the expected head is missing, or repair was declined or cannot
mend the break; 2 the file cannot be read (or is not a regular file) or an option is invalid;
4 a log kept in S3 (``s3://bucket/prefix/``) cannot be read (no bucket, denied, unreachable).
Every error names the file.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import click

from nhi_toolkit import audit as audit_log
from nhi_toolkit.cli import Group
from nhi_toolkit.errors import NhiError

FORMATS = ("text", "json")
PREVIEW_BYTES = 240
"""How much of a fragment ``nhi audit repair`` shows before cutting it."""


def _expected_head(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> audit_log.ExpectedHead | None:
    if value is None:
        return None
    try:
        return audit_log.parse_expected_head(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _escape_char(c: str) -> str:
    if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return c
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _escape_text(text: str) -> str:
    """Control and invisible format characters as escapes, so log text cannot drive the terminal."""
    return "".join(_escape_char(c) for c in text)


def render_verify(result: audit_log.VerifyResult, fmt: str, file: Path | str | None = None) -> str:
    """The report of ``nhi audit verify`` as text or JSON (deterministic; no entry content)."""
    if fmt == "json":
        return json.dumps(result.to_json(), sort_keys=True, indent=2)
    if result.first_broken is not None:
        text = (
            f"broken at entry {result.first_broken} (line {result.first_broken}): {result.reason}\n"
            f"intact prefix: {result.entries} entries, head {result.head}"
        )
        if file is not None and audit_log.is_remote(file):
            text += f"\nwhere: {audit_log.show_path(file)}, object {result.first_broken:020d}"
        elif file is not None:
            shown = audit_log.show_path(file)
            text += f"\nwhere: {shown}, line {result.first_broken}, byte offset {result.first_broken_offset}"
            if result.repair == "cut":
                text += (f"\nrepair: 'nhi audit repair {shown}' cuts the {result.repair_bytes} bytes from byte "
                         f"offset {result.first_broken_offset} (an incomplete entry; no complete entry is cut)")
            elif result.repair == "complete":
                text += f"\nrepair: 'nhi audit repair {shown}' adds the newline entry {result.first_broken} lacks"
        return text
    if not result.ok:
        return (
            f"expected head not found: {result.reason}\n"
            f"chain intact: {result.entries} entries, head {result.head}"
        )
    text = f"ok: {result.entries} entries, head {result.head}"
    if result.expected_head_at is not None:
        text += f" (expected head is entry {result.expected_head_at})"
    return text


@click.group(cls=Group)
def audit() -> None:
    """Verify, read and repair the hash-chained audit log of retirement runs, grants and revokes."""


@audit.command()
@click.argument("file", type=click.Path())
@click.option(
    "--expect-head",
    metavar="[SEQ:]HASH",
    callback=_expected_head,
    help="A head recorded earlier; fail unless the log still holds it (detects truncation). "
    "SEQ, the entry count printed with it, tells truncation from rewriting.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def verify(ctx: click.Context, file: str, expect_head: audit_log.ExpectedHead | None, fmt: str) -> None:
    """Check the hash chain of FILE and print its head (exit 0); on a break, name the first broken
    entry (line and byte offset) and exit 1. FILE must be a regular file, or s3://BUCKET/PREFIX/ for a log kept in S3
    (exit 4 when S3 cannot be read)."""
    try:
        result = audit_log.verify(file if audit_log.is_remote(file) else Path(file), expect_head)
    except NhiError as exc:
        click.echo(f"nhi: error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    click.echo(render_verify(result, fmt, file))
    ctx.exit(0 if result.ok else 1)


@audit.command()
@click.argument("file", type=click.Path())
@click.option("--run-id", help="Only the entries of this run.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def show(ctx: click.Context, file: str, run_id: str | None, fmt: str) -> None:
    """Print the entries of FILE (or s3://BUCKET/PREFIX/) up to the first broken one (exit 1 if there
    is one)."""
    entries: list[audit_log.AuditEntry] = []
    broken: audit_log.ChainBroken | None = None
    try:
        for entry in audit_log.iter_entries(file if audit_log.is_remote(file) else Path(file)):
            if run_id is None or entry.run_id == run_id:
                entries.append(entry)
    except audit_log.ChainBroken as exc:
        broken = exc
    except NhiError as exc:
        click.echo(f"nhi: error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    if fmt == "json":
        click.echo(json.dumps([e.to_json() for e in entries], sort_keys=True, indent=2))
    else:
        for e in entries:
            data = json.dumps(e.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            click.echo(f"{e.seq:>6} {e.at} {e.event:<12} {e.run_id} {_escape_text(data)}")
    if broken is not None:
        click.echo(f"nhi: error: {broken}", err=True)
        ctx.exit(1)


@audit.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def repair(ctx: click.Context, file: Path, yes: bool) -> None:
    """Cut the incomplete last line an interrupted append left in FILE (after confirmation).

    Prints what it cuts: byte offset, line, length and the bytes themselves (escaped). Only an
    incomplete last line (no newline) is cut, never a complete entry; a complete, chained last entry
    that lacks only its newline gets it back. Any other break is left alone (exit 1): it is evidence.
    Writes nothing when the log is intact.
    """
    shown = audit_log.show_path(file)
    try:
        planned = audit_log.plan_repair(file)
    except audit_log.ChainBroken as exc:
        click.echo(f"nhi: error: {exc}; repair mends only an incomplete last line left by an interrupted append, "
                   "so nothing was changed (see 'nhi audit verify')", err=True)
        ctx.exit(1)
    except audit_log.AuditError as exc:
        click.echo(f"nhi: error: {exc}", err=True)
        ctx.exit(2)
    if planned.action == "none":
        click.echo(f"nothing to repair: {shown} is intact ({planned.entries} entries, head {planned.head})")
        ctx.exit(0)
    preview = planned.fragment[:PREVIEW_BYTES].decode("ascii", "backslashreplace")
    more = f" ... ({planned.length - PREVIEW_BYTES} more bytes)" if planned.length > PREVIEW_BYTES else ""
    if planned.action == "cut":
        click.echo(f"{shown}: an incomplete last line (line {planned.line}), {planned.length} bytes from byte "
                   f"offset {planned.offset}, after {planned.entries} intact entries (head {planned.head}):")
        click.echo(f"  {_escape_text(preview)}{more}")
        question = f"Cut these {planned.length} bytes?"
    else:
        click.echo(f"{shown}: entry {planned.line} at byte offset {planned.offset} is complete and chained "
                   "but lacks its newline:")
        click.echo(f"  {_escape_text(preview)}{more}")
        question = "Add the newline?"
    if not yes:
        try:
            confirmed = click.confirm(question, default=False, err=True)
        except click.Abort:
            confirmed = False
        if not confirmed:
            click.echo("nothing changed", err=True)
            ctx.exit(1)
    try:
        result = audit_log.apply_repair(file, planned)
    except audit_log.AuditError as exc:
        click.echo(f"nhi: error: {exc}", err=True)
        ctx.exit(2)
    done = (f"cut {planned.length} bytes at byte offset {planned.offset}" if planned.action == "cut"
            else f"added the newline of entry {planned.line}")
    click.echo(f"{done}; {shown}: {render_verify(result, 'text', file)}")
    ctx.exit(0 if result.ok else 1)
