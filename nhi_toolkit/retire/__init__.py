"""Retirement: which identities to retire, what hangs off them, in which order, and a verified destroy.

One module per job:

* :mod:`.selection`: criteria and reasons, selection (expired, owner left, integration named),
  expansion to what hangs off each identity, revocation order, and the manual steps Terraform cannot
  perform (pure);
* :mod:`.manifest`: the reviewed artefact: built from a selection, written as deterministic JSON,
  loaded back with its shape checked;
* :mod:`.verification`: ``terraform show -json`` of a plan against a manifest, every over-reach named
  and explained;
* :mod:`.rendering`: the readable summary and the refusal;
* :mod:`.run`: the orchestration (:func:`review`; :mod:`.reviewed`: :func:`apply_reviewed`, the
  second run behind an approval gate), with :mod:`.state` (state
  read through the loaders), :mod:`.files` (private files, plan copies, the directory lock) and
  :mod:`.audit_hooks` (each step appended to the audit log).

Terraform itself runs through :mod:`nhi_toolkit.terraform` (the :class:`~nhi_toolkit.terraform.TerraformRunner`
protocol), which also reads a saved plan's state and the ``nhi_now`` gate.

Secrets: state and plans hold secrets. State is read only through the loaders (which drop them); of a
plan only addresses, actions and dependency names are read. Nothing else is printed, written to the
manifest or logged.
"""

from nhi_toolkit.retire.audit_hooks import _Audit as _Audit
from nhi_toolkit.retire.files import sha256_file, write_private
from nhi_toolkit.retire.manifest import (
    MANIFEST_FORMAT,
    ROUTE_DECLARED,
    ROUTE_TARGETED,
    Manifest,
    build_manifest,
    load_manifest,
    manifest_json_text,
)
from nhi_toolkit.retire.manifest import ROUTES as ROUTES
from nhi_toolkit.retire.rendering import render_refusal, render_summary
from nhi_toolkit.retire.reviewed import apply_reviewed
from nhi_toolkit.retire.run import (
    EXIT_FAILED,
    Outcome,
    RetireFailed,
    Settings,
    review,
    terraform_log_path,
)
from nhi_toolkit.retire.selection import (
    PHASE_NAMES,
    Criteria,
    Group,
    Member,
    Problem,
    Reason,
    expand,
    manual_steps,
    revocation_order,
    select,
)
from nhi_toolkit.retire.state import _addresses_in_state as _addresses_in_state
from nhi_toolkit.retire.verification import verify_plan
from nhi_toolkit.terraform.files import declares_nhi_now, plan_file_state

__all__ = [
    "EXIT_FAILED",
    "MANIFEST_FORMAT",
    "PHASE_NAMES",
    "ROUTE_DECLARED",
    "ROUTE_TARGETED",
    "Criteria",
    "Group",
    "Manifest",
    "Member",
    "Outcome",
    "Problem",
    "Reason",
    "RetireFailed",
    "Settings",
    "apply_reviewed",
    "build_manifest",
    "declares_nhi_now",
    "expand",
    "load_manifest",
    "manifest_json_text",
    "manual_steps",
    "plan_file_state",
    "render_refusal",
    "render_summary",
    "review",
    "revocation_order",
    "select",
    "sha256_file",
    "terraform_log_path",
    "verify_plan",
    "write_private",
]
