"""The second run of a pipeline with an approval gate: the reviewed manifest and plan file checked
against each other and against current state (same state, same selection, same plan), then exactly
that plan applied through :mod:`nhi_toolkit.retire.run`."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime

from nhi_toolkit.config import Config
from nhi_toolkit.expiry import format_instant
from nhi_toolkit.retire.audit_hooks import _Audit
from nhi_toolkit.retire.files import _directory_lock, _private_plan, sha256_file
from nhi_toolkit.retire.manifest import ROUTE_DECLARED, Manifest, build_manifest, load_manifest
from nhi_toolkit.retire.run import (
    Outcome,
    Settings,
    _apply,
    _leaver_names,
    _refuse,
    _root_module,
    _short,
    _terraform,
    _tf_error,
)
from nhi_toolkit.retire.selection import Criteria, Problem
from nhi_toolkit.retire.state import _inventory
from nhi_toolkit.retire.verification import verify_plan
from nhi_toolkit.terraform.files import plan_file_state

__all__ = ["apply_reviewed"]


def apply_reviewed(settings: Settings, criteria: Criteria | None, config: Config,
                   explicit_now: datetime | None) -> Outcome:
    """The second run of a pipeline with an approval gate: check the reviewed plan file and
    manifest against each other and against current state, then apply exactly that plan."""
    with _directory_lock(settings.terraform_dir):
        return _apply_reviewed(settings, criteria, config, explicit_now)


def _apply_reviewed(settings: Settings, criteria: Criteria | None, config: Config,
                    explicit_now: datetime | None) -> Outcome:
    from nhi_toolkit.expiry import parse_now
    from nhi_toolkit.loaders.common import read_bytes

    if not settings.manifest_path:
        raise ValueError("applying a reviewed plan needs its manifest (--manifest)")
    directory = _root_module(settings)
    # Read once: the hash the audit log records is that of the manifest this run applies.
    data = read_bytes(settings.manifest_path)
    reviewed = load_manifest(settings.manifest_path, data)
    now = parse_now(reviewed.now)
    audit = _Audit(settings.audit_log, now, "apply")
    audit("run-started", mode="apply-reviewed", now=reviewed.now,
          manifest_sha256=hashlib.sha256(data).hexdigest(), terraform_dir=directory)
    if reviewed.empty:
        audit("run-finished", outcome="nothing-to-retire")
        return Outcome(0, reviewed, f"nhi retire: nothing to retire as of {reviewed.now}")
    problems: list[Problem] = []
    if explicit_now is not None and format_instant(explicit_now) != reviewed.now:
        problems.append(Problem("(manifest)", "stale", f"the manifest was made for {reviewed.now}, "
                                                       f"not {format_instant(explicit_now)}"))
    ver = reviewed.verification or {}
    if ver.get("status") != "verified" or not reviewed.plan:
        problems.append(Problem("(manifest)", "plan", "the manifest records no verified plan"))
    given = os.path.abspath(settings.plan_out) if settings.plan_out else None
    if given is None or not os.path.isfile(given):
        problems.append(Problem("(plan)", "plan", "the reviewed plan file is missing"))
        return _refuse(settings, reviewed, problems, audit, None, None, reviewed=True)
    # Check, read back and apply one private copy: the file at --plan-out may change meanwhile.
    with _private_plan(given) as plan_path:
        return _apply_reviewed_plan(settings, criteria, config, reviewed, now, problems, plan_path, audit)


def _apply_reviewed_plan(settings: Settings, criteria: Criteria | None, config: Config,
                         reviewed: Manifest, now: datetime, problems: list[Problem], plan_path: str,
                         audit: _Audit) -> Outcome:
    from nhi_toolkit.terraform import TerraformError

    directory = _root_module(settings)
    digest = sha256_file(plan_path)
    if reviewed.plan and digest != reviewed.plan.get("sha256"):
        problems.append(Problem("(plan)", "stale", "the plan file is not the one the manifest "
                                                  "was verified with (sha256 differs)"))
    if problems:
        return _refuse(settings, reviewed, problems, audit, None, digest, reviewed=True)
    tf = _terraform(settings)
    try:
        if settings.init:
            tf.init(directory)
        identities, lineage = _inventory(settings, tf, config)
        state = {"lineage": lineage[0], "serial": lineage[1]} if lineage else None
        if state != (dict(reviewed.state) if reviewed.state else None):
            problems.append(Problem("(state)", "stale", "state changed since the review (lineage or "
                                                        "serial differs): plan again"))
        embedded = plan_file_state(plan_path)
        if embedded is None or (lineage and embedded != lineage):
            problems.append(Problem("(plan)", "stale", "the plan file was not made from the current state"))
        if problems:
            # Terraform would refuse a stale plan too; nothing else is worth comparing.
            return _refuse(settings, reviewed, problems, audit, None, digest, reviewed=True)
        # The same selection from current state must give the same addresses.
        crit = criteria or Criteria(now)
        crit = Criteria(now, crit.leavers, crit.integrations)
        fresh = build_manifest(identities, crit, config, leaver_names=_leaver_names(crit))
        problems.extend(fresh.conflicts)
        want = set(reviewed.addresses)
        for addr in sorted(set(fresh.addresses) - want):
            problems.append(Problem(addr, "selection", "is selected for retirement now but is not in "
                                                       "the reviewed manifest"))
        for addr in sorted(want - set(fresh.addresses)):
            problems.append(Problem(addr, "selection", "is in the reviewed manifest but is no longer "
                                                       "selected from current state"))
        plan_json = tf.show_json(directory, plan_path)
        problems.extend(verify_plan(
            plan_json, reviewed.addresses, identities={i.address: i for i in identities}, now=now,
            nhi_now=reviewed.now if reviewed.route == ROUTE_DECLARED else None))
        del plan_json
    except TerraformError as exc:
        audit("failed", stage="verify", error=_short(exc))
        raise _tf_error(exc, settings) from None
    if problems:
        return _refuse(settings, reviewed, problems, audit, None, digest, reviewed=True)
    for addr in reviewed.addresses:
        audit("verified", address=addr, plan_sha256=digest)
    return _apply(tf, settings, reviewed, plan_path, digest, audit, identities)
