"""``nhi retire``: plan, verify and apply the destroy of expired and departed identities.

Exit codes: 0 done or nothing to retire; 2 bad input or usage; 3 refused (a live identity depends on
one being retired, the plan over-reaches, is stale or does not match the manifest, another retirement
holds the directory, or the destroy was not confirmed): nothing was destroyed; 4 could not complete:
Terraform or the cloud failed; nothing, or only what the audit log records, was done (a re-run
resumes). Retire never exits 1.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from nhi_toolkit.commands.common import (
    apply_input_limit,
    handle_errors,
    max_input_option,
    now_option,
    parse_now_value,
)

if TYPE_CHECKING:
    from nhi_toolkit.retire import Manifest

__all__ = ["retire"]


def _stdin_is_terminal() -> bool:
    """True on an interactive terminal, where --apply asks before destroying."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _ask(manifest: Manifest, digest: str) -> bool:
    """Show what is about to be destroyed, then ask as ``terraform apply`` does: only "yes" proceeds."""
    from nhi_toolkit.errors import printable
    from nhi_toolkit.retire import PHASE_NAMES, revocation_order

    addresses = manifest.addresses
    click.echo(f"nhi retire: about to destroy {len(addresses)} addresses of {manifest.identity_count} "
               f"identities (plan sha256 {digest}):", err=True)
    if manifest.raw is not None:
        steps = [(str(s.get("phase", "")), s["address"]) for s in manifest.raw.get("revocation_order", ())]
    else:
        steps = [(PHASE_NAMES.get(m.phase, str(m.phase)), m.address) for m in revocation_order(manifest.groups)]
    for n, (phase, address) in enumerate(steps, 1):
        click.echo(printable(f"  {n:>3}. [{phase}] {address}"), err=True)  # a reviewed file's text
    try:
        answer = click.prompt("Destroy these addresses? Only 'yes' will be accepted", default="",
                              show_default=False, err=True)
    except click.Abort:  # end of input or Ctrl-C at the question: not a yes
        click.echo("", err=True)
        return False
    return bool(answer.strip() == "yes")


@click.command()
@click.option("--terraform-dir", type=click.Path(file_okay=False, exists=True),
              help="Root module to read state from, plan in and apply in.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False),
              help="Read this state file instead (manifest only: no plan is made). A synthesized "
                   "cdk.tf.json previews the manifest of its declared identities.")
@now_option
@click.option("--leavers", type=click.Path(dir_okay=False),
              help="Also retire identities whose owner is on this leavers list.")
@click.option("--integration", "integrations", multiple=True, metavar="NAME",
              help="Also retire the identities of this integration (integration tag). Repeatable.")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False),
              help="Write the manifest (JSON) here; with --apply, the reviewed manifest to apply.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False),
              help="Also write the readable summary here (it is always printed).")
@click.option("--plan-out", type=click.Path(dir_okay=False),
              help="Save the verified plan file here (0600); with --apply, the reviewed plan file. It "
                   "holds prior state, so secrets: never publish it. If Terraform fails, its full "
                   "output goes to FILE.log (0600).")
@click.option("--audit-log", type=click.Path(dir_okay=False),
              help="Append every step to this hash-chained audit log (a file, or s3://BUCKET/PREFIX/: "
                   "one object per entry, written with conditional puts).")
@click.option("--terraform-bin", metavar="PATH",
              help="Terraform executable (default: terraform or tofu on PATH, else the embedded one; "
                   "'embedded' forces it).")
@click.option("--route", type=click.Choice(["auto", "declared-expiry", "targeted-destroy"]),
              default="auto", show_default=True,
              help="How to plan: declared-expiry (-var nhi_now) when the root module declares "
                   "nhi_now, else a targeted destroy.")
@click.option("--init/--no-init", "do_init", default=True, show_default=True,
              help="Run terraform init first.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (nhi.toml or pyproject.toml with [tool.nhi]).")
@click.option("--apply", "do_apply", is_flag=True,
              help="Apply: the reviewed --plan-out and --manifest when both exist, else plan, verify "
                   "and apply in this run; then confirm from state that every entry is gone.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, envvar="NHI_ASSUME_YES",
              help="With --apply on an interactive terminal: do not ask for confirmation before the "
                   "destroy (also NHI_ASSUME_YES=1). Non-interactive runs never ask.")
@click.option("--verify-live", is_flag=True,
              help="With --apply: once the apply is confirmed from state, confirm in AWS that every "
                   "retired key, user, role and secret is gone (a secret pending deletion counts) and "
                   "record each answer in the audit log; anything still there fails the run (exit 4).")
@click.option("--profile", envvar="AWS_PROFILE", help="AWS profile for --verify-live and an s3:// "
                                                      "--audit-log (default: the standard credentials chain).")
@click.option("--region", help="AWS region (default: from the profile or environment).")
@click.option("--endpoint-url", help="An AWS-compatible endpoint (a local test server).")
@click.option("--quiet", "-q", is_flag=True, help="Do not print the summary.")
@max_input_option
@handle_errors
def retire(terraform_dir: str | None, state_file: str | None, now: str | None, leavers: str | None,
           integrations: tuple[str, ...], manifest_path: str | None, summary_path: str | None,
           plan_out: str | None, audit_log: str | None, terraform_bin: str | None, route: str,
           do_init: bool, config_path: str | None, do_apply: bool, assume_yes: bool, verify_live: bool,
           profile: str | None, region: str | None, endpoint_url: str | None, quiet: bool,
           max_input_mb: float | None = None) -> None:
    """Retire expired identities (and those of leavers or named integrations) with a verified
    Terraform destroy plan.

    Without --apply: select, expand, order, write the manifest, make the plan file and verify it.
    With --apply: apply exactly the verified plan and confirm the identities are gone; on an
    interactive terminal it first lists what is about to be destroyed and asks (unless --yes).
    With --apply --verify-live: then confirm in AWS too (read-only calls).

    Exit codes: 0 retired, verified for review, or nothing to retire; 2 bad input or usage (also an
    --integration naming no identity, a --terraform-dir without state); 3 refused, nothing destroyed
    (a live identity depends on one being retired, the plan over-reaches or is stale, not confirmed);
    4 could not complete: Terraform or the cloud failed, or (--verify-live) AWS still holds a
    retired identity; nothing, or only what the audit log records, was done.
    """
    from nhi_toolkit.config import load_config
    from nhi_toolkit.retire import Criteria, Settings, apply_reviewed, render_summary, review

    if bool(terraform_dir) == bool(state_file):
        raise click.UsageError("give exactly one of --terraform-dir or --state")
    if state_file and (plan_out or do_apply):
        raise click.UsageError("--plan-out and --apply need --terraform-dir")
    if verify_live and not do_apply:
        raise click.UsageError("--verify-live needs --apply")
    after_apply = None
    if verify_live or (audit_log or "").startswith("s3://"):
        # Only then is boto3 loaded: a retirement without AWS needs none of it.
        from nhi_toolkit.aws.audit_store import set_audit_options
        from nhi_toolkit.aws.retirement import live_confirmation
        from nhi_toolkit.aws.session import AwsOptions, AwsSession

        options = AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url)
        set_audit_options(options)
        if verify_live:
            after_apply = live_confirmation(AwsSession(options), lambda m: click.echo(m, err=True))
    explicit_now = parse_now_value(now) if now else None
    clock = explicit_now or datetime.now(UTC).replace(microsecond=0)
    leaver_map = None
    if leavers:
        from nhi_toolkit.leavers import load_leavers

        leaver_map = load_leavers(leavers)
    config = load_config(config_path, [terraform_dir or state_file or "."])
    apply_input_limit(max_input_mb, config)
    settings = Settings(
        terraform_dir=terraform_dir, state_file=state_file, manifest_path=manifest_path,
        summary_path=summary_path, plan_out=plan_out, audit_log=audit_log, terraform_bin=terraform_bin,
        route=route, init=do_init, echo=lambda m: click.echo(m, err=True),
        confirm=_ask if do_apply and not assume_yes and _stdin_is_terminal() else None,
        after_apply=after_apply,
    )
    criteria = Criteria(clock, leaver_map, tuple(integrations))
    # --apply with an existing manifest is the second run of a reviewed retirement: it applies that
    # manifest's plan file or refuses; it never plans afresh behind the reviewer's back.
    if do_apply and manifest_path and os.path.exists(manifest_path):
        outcome = apply_reviewed(settings, criteria, config, explicit_now)
    else:
        outcome = review(settings, criteria, config, apply=do_apply)
    if outcome.manifest is not None and not quiet and not outcome.manifest.empty:
        click.echo(render_summary(outcome.manifest), nl=False)
    click.echo(outcome.message, err=outcome.exit_code != 0)
    sys.exit(outcome.exit_code)

