"""A retirement run: select from state, plan by the declared-expiry route (``-var nhi_now=...``) or a
targeted destroy, verify, apply the exact verified plan file, and confirm from state that every
manifest entry is gone, appending each step to the audit log.

:func:`review` does it in one run (``--apply`` included); :mod:`nhi_toolkit.retire.reviewed` is the
second run of a pipeline with an approval gate, applying exactly the reviewed plan. Exit codes: 0 done, 3
refused (nothing destroyed), 4 could not complete (:class:`RetireFailed`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.config import Config
from nhi_toolkit.errors import InputError, NhiError
from nhi_toolkit.model import Identity
from nhi_toolkit.retire.audit_hooks import _Audit
from nhi_toolkit.retire.files import (
    _check_outputs,
    _directory_lock,
    _private_plan,
    _publish_plan,
    sha256_file,
    write_private,
)
from nhi_toolkit.retire.manifest import (
    ROUTE_DECLARED,
    ROUTE_TARGETED,
    Manifest,
    build_manifest,
    manifest_json_text,
)
from nhi_toolkit.retire.rendering import render_refusal, render_summary
from nhi_toolkit.retire.selection import PHASE_NAMES, Criteria, Problem, revocation_order
from nhi_toolkit.retire.state import _addresses_in_state, _inventory
from nhi_toolkit.retire.verification import verify_plan
from nhi_toolkit.terraform.files import declares_nhi_now, plan_file_state
from nhi_toolkit.terraform.interface import TerraformRunner

__all__ = [
    "EXIT_FAILED",
    "Outcome",
    "RetireFailed",
    "Settings",
    "review",
    "terraform_log_path",
]


@dataclass(frozen=True)
class Outcome:
    """What a run did: its exit code, the manifest it worked from, and one-line messages."""

    exit_code: int
    manifest: Manifest | None
    message: str
    problems: tuple[Problem, ...] = ()
    remaining: tuple[str, ...] = ()
    """Manifest addresses still in state after apply (a partly failed apply)."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs besides the selection criteria."""

    terraform_dir: str | None = None
    state_file: str | None = None
    manifest_path: str | None = None
    summary_path: str | None = None
    plan_out: str | None = None
    audit_log: str | None = None
    terraform_bin: str | None = None
    route: str = "auto"
    init: bool = True
    echo: Callable[[str], None] = field(default=lambda _m: None, compare=False)
    confirm: Callable[[Manifest, str], bool] | None = field(default=None, compare=False)
    """Asked (manifest, plan sha256) right before the destroy; None proceeds (pipelines, --yes)."""
    after_apply: Callable[[Sequence[Identity], Manifest, Callable[..., None]], str | None] | None = field(
        default=None, compare=False)
    """Called (identities read before the apply, manifest, audit recorder) once the apply is confirmed
    from state; a message it returns fails the run (exit 4). ``--verify-live`` asks AWS here."""


EXIT_FAILED = 4
"""Could not complete: Terraform or the cloud failed; nothing, or only what the audit log records,
was done."""


class RetireFailed(NhiError):
    """Terraform or the cloud failed (exit 4): nothing, or only what the audit log records, was done."""

    exit_code = EXIT_FAILED


def _terraform(settings: Settings) -> TerraformRunner:
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        return find_terraform(settings.terraform_bin)
    except TerraformError as exc:
        if settings.terraform_bin or os.environ.get("NHI_TERRAFORM_BIN"):
            raise InputError(settings.terraform_bin or "NHI_TERRAFORM_BIN", str(exc)) from None
        raise RetireFailed("terraform", str(exc)) from None


def terraform_log_path(settings: Settings) -> str:
    """Where Terraform's full output goes when it fails: next to the plan file (``PLAN.log``), or a
    private temporary folder when the plan is not kept."""
    if settings.plan_out:
        return os.path.abspath(settings.plan_out) + ".log"
    return os.path.join(tempfile.mkdtemp(prefix="nhi-retire-"), "terraform.log")


def _tf_error(exc: Exception, settings: Settings | None = None) -> RetireFailed:
    """The error to show: Terraform's diagnostic summaries and locations only. The full output (whose
    details can quote values) goes to a private 0600 log, named in the message."""
    from nhi_toolkit.terraform import TerraformError

    message = str(exc)
    if settings is not None and isinstance(exc, TerraformError) and (exc.stderr or exc.stdout):
        path = terraform_log_path(settings)
        try:
            exc.write_log(path)
        except OSError as err:
            message += f"; Terraform's full output could not be saved to {path} ({err.strerror})"
        else:
            message += f"; Terraform's full output (private, may quote values): {path}"
    return RetireFailed("terraform", message)


def _root_module(settings: Settings) -> str:
    """The root module a run plans and applies in; only called once one is known to be given."""
    if not settings.terraform_dir:
        raise ValueError("planning needs a Terraform directory (--terraform-dir)")
    return settings.terraform_dir


def _choose_route(settings: Settings) -> str:
    directory = _root_module(settings)
    declared = declares_nhi_now(directory)
    if settings.route == "auto":
        return ROUTE_DECLARED if declared else ROUTE_TARGETED
    if settings.route == ROUTE_DECLARED and not declared:
        raise InputError(directory, "--route declared-expiry needs a root module that "
                                    "declares variable \"nhi_now\"")
    return settings.route


def _write_outputs(settings: Settings, manifest: Manifest) -> None:
    if settings.manifest_path:
        write_private(settings.manifest_path, manifest_json_text(manifest))
    if settings.summary_path:
        write_private(settings.summary_path, render_summary(manifest))


def _leaver_names(criteria: Criteria) -> list[str]:
    return sorted(criteria.leavers) if criteria.leavers else []


def review(settings: Settings, criteria: Criteria, config: Config, *, apply: bool = False) -> Outcome:
    """Select, plan and verify (and, with ``apply``, apply and confirm) in one run."""
    with _directory_lock(settings.terraform_dir):
        return _review(settings, criteria, config, apply=apply)


def _unknown_integrations(identities: Sequence[Identity], criteria: Criteria, config: Config) -> list[str]:
    if not criteria.integrations:
        return []
    present: set[str] = set()
    for ident in identities:
        value = ident.tag(config.integration_keys)
        if isinstance(value, str) and not ident.resource.deleted:
            present.add(value)
    return sorted(set(criteria.integrations) - present)


def _review(settings: Settings, criteria: Criteria, config: Config, *, apply: bool) -> Outcome:
    from nhi_toolkit.terraform import TerraformError

    _check_outputs(settings)
    audit = _Audit(settings.audit_log, criteria.now, "apply" if apply else "review")
    tf = _terraform(settings) if settings.terraform_dir else None
    try:
        if tf is not None and settings.init:
            settings.echo(f"nhi retire: {tf.name} init in {settings.terraform_dir}")
            tf.init(_root_module(settings))
        identities, lineage = _inventory(settings, tf, config)
    except TerraformError as exc:
        audit("failed", stage="read-state", error=_short(exc))
        raise _tf_error(exc, settings) from None
    unknown = _unknown_integrations(identities, criteria, config)
    if unknown:
        where = settings.terraform_dir or settings.state_file or "."
        raise InputError(where, f"--integration {', '.join(unknown)}: no identity carries this "
                                f"integration tag ({', '.join(config.integration_keys)}); nothing to "
                                "select by it")
    manifest = build_manifest(identities, criteria, config, leaver_names=_leaver_names(criteria))
    state = {"lineage": lineage[0], "serial": lineage[1]} if lineage else None
    manifest = manifest.with_fields(terraform_dir=settings.terraform_dir, state=state)
    audit("run-started", mode="apply" if apply else "review", now=manifest.now,
          terraform_dir=settings.terraform_dir, state_file=settings.state_file,
          identities=len(manifest.groups), addresses=len(manifest.addresses))
    if manifest.conflicts:
        # A live dependent would be destroyed with its parent: refuse before any plan exists.
        return _refuse(settings, manifest, manifest.conflicts, audit, None, None)
    if manifest.empty:
        _write_outputs(settings, manifest)
        audit("run-finished", outcome="nothing-to-retire")
        return Outcome(0, manifest, f"nhi retire: nothing to retire as of {manifest.now}")
    failures = audit.previous_failures()
    for m in revocation_order(manifest.groups):
        audit("planned", address=m.address, type=m.identity.type, phase=PHASE_NAMES.get(m.phase),
              reasons=[r.code for r in m.reasons])
        if m.address in failures:
            audit("retried", address=m.address, attempt=failures[m.address] + 1)
    if tf is None:
        _write_outputs(settings, manifest)
        audit("run-finished", outcome="manifest-only")
        return Outcome(0, manifest, f"nhi retire: {len(manifest.addresses)} addresses to retire; "
                                    "no plan made (give --terraform-dir to plan)")
    route = _choose_route(settings)
    manifest = manifest.with_fields(route=route)
    with _private_plan() as plan_path:
        try:
            plan_json = _make_plan(tf, settings, manifest, route, plan_path, criteria.now)
        except TerraformError as exc:
            audit("failed", stage="plan", error=_short(exc))
            _write_outputs(settings, manifest)
            raise _tf_error(exc, settings) from None
        digest = sha256_file(plan_path)
        # Only the name: where the file sits differs between the review and the apply runner.
        shown_name = os.path.basename(settings.plan_out) if settings.plan_out else None
        manifest = manifest.with_fields(plan={"file": shown_name, "sha256": digest})
        problems = verify_plan(plan_json, manifest.addresses, identities={i.address: i for i in identities},
                               now=criteria.now,
                               nhi_now=manifest.now if route == ROUTE_DECLARED else None)
        embedded = plan_file_state(plan_path)
        if lineage and embedded and embedded != lineage:
            problems.append(Problem("(state)", "stale", "the plan was made from another state"))
        del plan_json
        if problems:
            return _refuse(settings, manifest, problems, audit, plan_path, digest)
        manifest = manifest.with_fields(verification={"status": "verified", "problems": []})
        for addr in manifest.addresses:
            audit("verified", address=addr, plan_sha256=digest)
        if settings.plan_out:
            _publish_plan(plan_path, settings.plan_out)
        _write_outputs(settings, manifest)
        if not apply:
            audit("run-finished", outcome="verified", plan_sha256=digest)
            where = f" to {settings.plan_out}" if settings.plan_out else ""
            return Outcome(0, manifest, f"nhi retire: verified a plan{where} destroying exactly "
                                        f"{len(manifest.addresses)} addresses of "
                                        f"{len(manifest.groups)} identities; review it, then apply "
                                        "with --apply")
        return _apply(tf, settings, manifest, plan_path, digest, audit, identities)


def _make_plan(tf: TerraformRunner, settings: Settings, manifest: Manifest, route: str, plan_path: str,
               now: datetime) -> dict[str, Any]:
    directory = _root_module(settings)
    Path(plan_path).parent.mkdir(parents=True, exist_ok=True)
    if route == ROUTE_DECLARED:
        settings.echo(f"nhi retire: planning with nhi_now = {manifest.now}")
        tf.plan(directory, out=plan_path, variables={"nhi_now": manifest.now})
    else:
        settings.echo(f"nhi retire: planning a targeted destroy of {len(manifest.addresses)} addresses")
        tf.plan(directory, out=plan_path, destroy=True, targets=list(manifest.addresses))
    result: dict[str, Any] = tf.show_json(directory, plan_path)
    return result


def _short(exc: Exception) -> str:
    """An error for the audit log: the command and exit code only, never Terraform's diagnostics."""
    rc = getattr(exc, "returncode", None)
    head = str(exc).split(" failed", 1)[0].split(" in ", 1)[0][:80]
    return f"{head} failed" + (f" (exit {rc})" if rc is not None else "")


def _refuse(settings: Settings, manifest: Manifest, problems: Sequence[Problem], audit: _Audit,
            plan_path: str | None, digest: str | None, *, reviewed: bool = False) -> Outcome:
    problems = tuple(problems)
    manifest = manifest.with_fields(verification={
        "status": "refused", "problems": [p.to_json() for p in problems]})
    if not reviewed and plan_path:
        # A refused plan must not be applied by accident (nor an earlier one left at --plan-out);
        # it also holds prior state.
        for path in (plan_path, os.path.abspath(settings.plan_out) if settings.plan_out else None):
            if path and os.path.lexists(path):
                os.unlink(path)
        manifest = manifest.with_fields(plan=None)
    for p in problems:
        audit("refused", address=p.address, kind=p.kind, reason=p.message, plan_sha256=digest)
    if not reviewed:
        # The reviewed manifest of an apply run stays as it was approved; the refusal goes to the
        # report and the audit log.
        _write_outputs(settings, manifest)
    audit("run-finished", outcome="refused", problems=len(problems))
    return Outcome(3, manifest, render_refusal(problems).rstrip("\n"), problems)


def _apply(tf: TerraformRunner, settings: Settings, manifest: Manifest, plan_path: str, digest: str,
           audit: _Audit, identities: Sequence[Identity] = ()) -> Outcome:
    from nhi_toolkit.terraform import TerraformError

    directory = _root_module(settings)
    if settings.confirm is not None and not settings.confirm(manifest, digest):
        audit("run-finished", outcome="not-confirmed", plan_sha256=digest)
        return Outcome(3, manifest, "nhi retire: not confirmed; nothing was destroyed")
    settings.echo(f"nhi retire: applying the verified plan (sha256 {digest[:12]})")
    # The pending entries go first: whatever happens to this process during the destroy, the log
    # names every address it may have destroyed.
    for addr in manifest.addresses:
        audit("applying", address=addr, plan_sha256=digest)
    error: TerraformError | None = None
    try:
        tf.apply(directory, plan_path)
    except TerraformError as exc:
        error = exc
        audit("failed", stage="apply", error=_short(exc), plan_sha256=digest)
    else:
        for addr in manifest.addresses:
            audit("applied", address=addr, plan_sha256=digest)
    try:
        raw_state = tf.state_pull(directory)
    except TerraformError as exc:
        audit("failed", stage="confirm", error=_short(exc))
        raise _tf_error(exc, settings) from None
    if not raw_state:
        # No state at all after an apply is not proof that anything is gone (a backend or workspace
        # that changed under the run reads the same): nothing is confirmed.
        audit("failed", stage="confirm", reason="state pull printed nothing after apply")
        audit("run-finished", outcome="failed", remaining=len(manifest.addresses))
        return Outcome(EXIT_FAILED, manifest, f"nhi retire: cannot confirm the retirement: {tf.name} "
                                    "state pull printed nothing after the apply; none of "
                                    f"{len(manifest.addresses)} addresses is confirmed gone",
                       remaining=tuple(manifest.addresses))
    present = _addresses_in_state(raw_state, f"{directory} (terraform state pull)")
    del raw_state
    remaining = tuple(a for a in manifest.addresses if a in present)
    for addr in manifest.addresses:
        if addr in present:
            audit("failed", address=addr, stage="confirm", reason="still in state after apply")
        else:
            audit("confirmed", address=addr)
    if error is not None or remaining:
        audit("run-finished", outcome="failed", remaining=len(remaining))
        detail = f"; {_tf_error(error, settings).message}" if error is not None else ""
        return Outcome(EXIT_FAILED, manifest, f"nhi retire: apply failed: {len(remaining)} of "
                                    f"{len(manifest.addresses)} addresses still in state; run retire "
                                    f"again to resume{detail}", remaining=remaining)
    failure = settings.after_apply(identities, manifest, audit) if settings.after_apply else None
    if failure:
        audit("run-finished", outcome="failed", stage="confirm-live", plan_sha256=digest)
        return Outcome(EXIT_FAILED, manifest, failure)
    audit("run-finished", outcome="retired", addresses=len(manifest.addresses), plan_sha256=digest)
    return Outcome(0, manifest, f"nhi retire: retired {manifest.identity_count} identities; "
                                f"{len(manifest.addresses)} addresses confirmed gone from state")
