"""Retirement: which identities to retire, what hangs off them, in which order, and a verified destroy.

The pure part (no I/O) turns an inventory into a :class:`Manifest`:

* **selection**: identities whose own expiry has passed as of ``now`` (judged by
  :mod:`nhi_toolkit.expiry`, exactly as the checker judges it), whose owner is on the leavers list,
  or whose integration is named;
* **expansion**: each selected identity takes its own credentials, attachments and secret copies
  along (the identities whose inventory parent chain leads to it);
* **ordering**: credentials and secret copies first, then permissions, then principals and secret
  containers; inside a phase a child goes before the identity it hangs off;
* **manual steps**: what Terraform cannot revoke (a third-party key held in a secret, a secret's
  recovery window, sessions already issued for a role).

:func:`verify_plan` compares ``terraform show -json`` of a plan with a manifest and names every
over-reach. The orchestration (:func:`review`, :func:`apply_reviewed`) reads state through
:mod:`nhi_toolkit.terraform`, plans by the declared-expiry route (``-var nhi_now=...``) or a
targeted destroy, verifies, applies the exact verified plan file, and confirms from state that every
manifest entry is gone, appending each step to the audit log.

Secrets: state and plans hold secrets. State is read only through the loaders (which drop them); of a
plan only addresses, actions and dependency names are read. Nothing else is printed, written to the
manifest or logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.addresses import AddressError, config_address, parse_address
from nhi_toolkit.catalog import PHASE_CREDENTIAL, PHASE_PERMISSION, PHASE_PRINCIPAL
from nhi_toolkit.config import Config
from nhi_toolkit.errors import InputError, NhiError
from nhi_toolkit.expiry import format_instant, is_expired
from nhi_toolkit.model import Identity

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

MANIFEST_FORMAT = "nhi-retire-manifest/1"
ROUTE_DECLARED = "declared-expiry"
ROUTE_TARGETED = "targeted-destroy"
ROUTES = (ROUTE_DECLARED, ROUTE_TARGETED)
PHASE_NAMES = {
    PHASE_CREDENTIAL: "credentials",
    PHASE_PERMISSION: "permissions",
    PHASE_PRINCIPAL: "principals",
}


# --- selection -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What to retire: expired as of ``now``; owners on ``leavers``; ``integrations`` by name."""

    now: datetime
    leavers: Mapping[str, date | None] | None = None
    integrations: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Reason:
    """Why one identity is retired: a code (``expired``, ``owner-left``, ``integration``,
    ``belongs-to``) and a sentence."""

    code: str
    text: str

    def to_json(self) -> dict[str, str]:
        """``{"code": ..., "text": ...}``."""
        return {"code": self.code, "text": self.text}


def _own_reasons(identity: Identity, criteria: Criteria, config: Config) -> list[Reason]:
    from nhi_toolkit.rules.retirement import leaver_match

    out: list[Reason] = []
    # Inherited values are judged on the parent; the child comes along through expansion.
    if identity.inherited:
        return out
    deadline = identity.deadline  # a tag or declaration earlier than the credential's own expiry counts
    if deadline is not None and is_expired(deadline, criteria.now):
        out.append(Reason("expired", f"expired at {format_instant(deadline)}"))
    if criteria.leavers and isinstance(identity.owner, str):
        entry = leaver_match(identity.owner, criteria.leavers)
        if entry is not None:
            left_on = criteria.leavers[entry]
            if left_on is None or left_on <= criteria.now.date():
                when = f" on {left_on.isoformat()}" if left_on else ""
                out.append(Reason("owner-left", f"owner {identity.owner} left{when}"))
    if criteria.integrations:
        integ = identity.tag(config.integration_keys)
        if isinstance(integ, str) and integ in criteria.integrations:
            out.append(Reason("integration", f"integration {integ} named for retirement"))
    return out


def select(identities: Iterable[Identity], criteria: Criteria, config: Config) -> dict[str, tuple[Reason, ...]]:
    """Address -> reasons for every identity chosen on its own account (before expansion)."""
    chosen: dict[str, tuple[Reason, ...]] = {}
    for ident in identities:
        if ident.resource.deleted:
            continue
        reasons = _own_reasons(ident, criteria, config)
        if reasons:
            chosen[ident.address] = tuple(reasons)
    return chosen


# --- expansion and order -------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One address to destroy: the identity, its phase, why, and the chain up to its group's root."""

    identity: Identity
    phase: int
    reasons: tuple[Reason, ...]
    via: str | None = None
    """The identity this one hangs off inside the group (None for the root)."""
    depth: int = 0

    @property
    def address(self) -> str:
        """The Terraform address."""
        return self.identity.address


@dataclass(frozen=True)
class Group:
    """A selected identity with everything that hangs off it, in revocation order."""

    root: Identity
    reasons: tuple[Reason, ...]
    members: tuple[Member, ...]
    steps: tuple[str, ...] = ()
    """Revocation steps Terraform cannot perform."""

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address of the group, in revocation order."""
        return tuple(m.address for m in self.members)


def _order_key(m: Member) -> tuple[int, int, str]:
    return (m.phase, -m.depth, m.address)


def _own_lifecycle(ident: Identity) -> bool:
    """True when the identity carries an owner or an expiry of its own (not inherited)."""
    return not ident.inherited and (ident.owner is not None or ident.expires is not None)


def _link(child: Identity, parent: Identity, config: Config) -> str:
    """How ``child`` hangs off ``parent``, in words, for a conflict report (names only, no values)."""
    target = parent.resource.config_address
    itype = config.catalog.get(child.type)
    for link in itype.parents if itype is not None else ():
        if parent.type in link.parent_types and link.attr and child.resource.values.get(link.attr):
            via = " and refers to it" if target in child.resource.references else ""
            return f"its {link.attr} names {parent.address}{via}"
    if target in child.resource.references:
        return f"it refers to {target} (a reference or depends_on recorded for it)"
    return f"its parent link leads to {parent.address}"


def _conflict(child: Identity, parent: Identity, root: Identity, config: Config) -> Problem:
    exp = child.expires if isinstance(child.expires, str) else "none"
    owner = child.owner if isinstance(child.owner, str) else "none"
    under = f"{parent.address}" + (f" (under {root.address})" if parent.address != root.address else "")
    return Problem(child.address, "conflict", (
        f"live identity (owner {owner}, expires {exp}) depends on {under}, which is being retired: "
        f"{_link(child, parent, config)}, so destroying {parent.address} would take it down too. Resolve it: "
        f"retire {child.address} explicitly (let it expire, or name its owner or integration), "
        f"re-point it to an identity that is not retired, or extend {root.address}'s expiry"))


def expand(
    identities: Sequence[Identity], chosen: Mapping[str, tuple[Reason, ...]], config: Config,
    conflicts: list[Problem] | None = None,
) -> list[Group]:
    """Group each chosen identity with its descendants; an identity inside a chosen one's group is
    not a group of its own.

    Only dependents without an owner or expiry of their own (untaggable credentials, grants, copies)
    and dependents selected on their own account ride along. A dependent that carries its own owner
    or expiry and is not itself selected is a live identity: it is left out and reported in
    ``conflicts`` (kind ``conflict``), which callers must refuse.
    """
    by_addr = {i.address: i for i in identities}
    children: dict[str, list[Identity]] = {}
    for ident in identities:
        if ident.parent and ident.parent != ident.address and not ident.resource.deleted:
            children.setdefault(ident.parent, []).append(ident)

    def ancestors(address: str) -> list[str]:
        out, seen = [], {address}
        cur = by_addr.get(address)
        while cur is not None and cur.parent and cur.parent not in seen and cur.parent in by_addr:
            out.append(cur.parent)
            seen.add(cur.parent)
            cur = by_addr[cur.parent]
        return out

    roots = sorted(a for a in chosen if not any(p in chosen for p in ancestors(a)))
    catalog = config.catalog
    groups: list[Group] = []
    for root_addr in roots:
        root = by_addr[root_addr]
        members: list[Member] = []
        seen = {root_addr}
        stack: list[tuple[Identity, str | None, int]] = [(root, None, 0)]
        while stack:
            ident, via, depth = stack.pop()
            reasons = list(chosen.get(ident.address, ()))
            if via is not None:
                reasons.append(Reason("belongs-to", f"hangs off {via}"))
            itype = catalog.get(ident.type)
            phase = itype.phase if itype is not None else PHASE_PRINCIPAL
            members.append(Member(ident, phase, tuple(reasons), via, depth))
            for child in sorted(children.get(ident.address, ()), key=lambda i: i.address):
                if child.address in seen:
                    continue
                seen.add(child.address)
                if child.address not in chosen and _own_lifecycle(child):
                    if conflicts is not None:
                        conflicts.append(_conflict(child, ident, root, config))
                    continue
                stack.append((child, ident.address, depth + 1))
        members.sort(key=_order_key)
        group = Group(root, chosen[root_addr], tuple(members))
        groups.append(Group(root, group.reasons, group.members, manual_steps(group, config)))
    return groups


def revocation_order(groups: Iterable[Group]) -> list[Member]:
    """Every member of every group: phase by phase, children before parents, then by address."""
    return sorted((m for g in groups for m in g.members), key=_order_key)


# --- steps Terraform cannot perform --------------------------------------------------------------


def _int_value(ident: Identity, attr: str, default: int) -> int:
    v = ident.resource.values.get(attr)
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def manual_steps(group: Group, config: Config) -> tuple[str, ...]:
    """What someone must still do by hand (or by another tool) for this group, in order."""
    steps: list[str] = []
    in_group = {m.address: m for m in group.members}
    catalog = config.catalog
    for m in sorted(group.members, key=_order_key):
        ident, addr = m.identity, m.address
        parent = in_group.get(ident.parent) if ident.parent else None
        note = catalog[ident.type].revocation if ident.type in catalog else ""
        if note:
            steps.append(f"{addr}: {note}")
        if ident.category == "secret":
            steps.append(f"{addr}: if it holds a third-party API key, revoke that key at the provider "
                         "that issued it; deleting the secret does not revoke it.")
            if ident.type == "aws_secretsmanager_secret":
                days = _int_value(ident, "recovery_window_in_days", 30)
                if days:
                    steps.append(f"{addr}: the deleted secret stays recoverable for its {days}-day "
                                 "recovery window; the value is not gone until the window ends.")
        elif ident.category == "secret-copy":
            covered = parent is not None and parent.identity.category in ("credential", "secret")
            if not covered:
                steps.append(f"{addr}: if it holds a third-party API key, revoke that key at the "
                             "provider that issued it; deleting this copy does not revoke it.")
        elif ident.type == "aws_iam_role":
            secs = _int_value(ident, "max_session_duration", 3600)
            steps.append(f"{addr}: temporary credentials already issued for the role stay valid until "
                         f"they expire (up to {secs} s) and keep whatever permissions the role still "
                         "has; its permissions are removed before the role. To end them at once, "
                         "revoke the role's active sessions before the destroy.")
        elif ident.type == "google_service_account":
            steps.append(f"{addr}: access tokens already issued for the service account stay valid "
                         "until they expire (up to 1 hour).")
        declared = ident.tag(config.revocation_keys) if not ident.inherited else None
        if isinstance(declared, str) and declared.strip() and declared.strip().lower() not in (
            "terraform", "terraform-destroy", "destroy", "nhi-retire",
        ):
            steps.append(f"{addr}: declared revocation path: {declared.strip()}")
    return tuple(steps)


# --- the manifest --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a plan does not match its manifest: the address and what is wrong with it."""

    address: str
    kind: str
    """``over-reach``, ``create``, ``update``, ``replace``, ``forget``, ``not-destroyed``, ``stale``,
    ``plan``, ``selection``."""
    message: str

    def to_json(self) -> dict[str, str]:
        """``{"address", "kind", "message"}``."""
        return {"address": self.address, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Manifest:
    """The reviewed artefact: what will be destroyed, why, in which order, and against which state
    and plan file. ``to_json`` is deterministic for the same inputs."""

    now: str
    groups: tuple[Group, ...]
    criteria: Mapping[str, Any]
    route: str | None = None
    terraform_dir: str | None = None
    state: Mapping[str, Any] | None = None
    plan: Mapping[str, Any] | None = None
    verification: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] | None = field(default=None, compare=False)
    """The JSON this manifest was read from (for a loaded manifest)."""
    conflicts: tuple[Problem, ...] = ()
    """Live dependents (own owner or expiry, not expired) that retiring would take down: refuse."""

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address to destroy, in revocation order."""
        if self.raw is not None:
            return tuple(s["address"] for s in self.raw.get("revocation_order", ()))
        return tuple(m.address for m in revocation_order(self.groups))

    @property
    def identity_count(self) -> int:
        """How many identities (groups) the manifest retires."""
        if self.raw is not None:
            return len(self.raw.get("identities") or ())
        return len(self.groups)

    @property
    def empty(self) -> bool:
        """True when there is nothing to retire."""
        return not self.addresses

    def to_json(self) -> dict[str, Any]:
        """The manifest document."""
        if self.raw is not None:
            return dict(self.raw)
        order = revocation_order(self.groups)
        identities = []
        for g in self.groups:
            root = g.root
            identities.append({
                "address": root.address,
                "type": root.type,
                "category": root.category,
                "owner": root.owner if isinstance(root.owner, str) else None,
                "expires": root.expires if isinstance(root.expires, str) else None,
                "expires_at": format_instant(root.expires_at) if root.expires_at else None,
                "reasons": [r.to_json() for r in g.reasons],
                "destroy": [
                    {"address": m.address, "type": m.identity.type, "category": m.identity.category,
                     "phase": PHASE_NAMES.get(m.phase, str(m.phase)), "via": m.via}
                    for m in g.members
                ],
                "manual_steps": list(g.steps),
            })
        return {
            "format": MANIFEST_FORMAT,
            "now": self.now,
            "criteria": dict(self.criteria),
            "route": self.route,
            "terraform_dir": self.terraform_dir,
            "state": dict(self.state) if self.state is not None else None,
            "plan": dict(self.plan) if self.plan is not None else None,
            "identities": identities,
            "revocation_order": [
                {"step": n, "phase": PHASE_NAMES.get(m.phase, str(m.phase)), "address": m.address,
                 "type": m.identity.type, "identity": _root_of(m, self.groups)}
                for n, m in enumerate(order, 1)
            ],
            "summary": {"identities": len(self.groups), "addresses": len(order),
                        "manual_steps": sum(len(g.steps) for g in self.groups)},
            "verification": dict(self.verification) if self.verification is not None else None,
        }

    def with_fields(self, **changes: Any) -> Manifest:
        """A copy with some fields replaced (``raw`` manifests keep their JSON in sync)."""
        from dataclasses import replace

        if self.raw is not None:
            raw = dict(self.raw)
            raw.update({k: v for k, v in changes.items() if k in raw})
            changes["raw"] = raw
        return replace(self, **changes)


def _root_of(member: Member, groups: Iterable[Group]) -> str:
    for g in groups:
        if any(m.address == member.address for m in g.members):
            return g.root.address
    return member.address


def build_manifest(
    identities: Sequence[Identity], criteria: Criteria, config: Config, *, leaver_names: Sequence[str] = ()
) -> Manifest:
    """Select, expand and order: the manifest before any plan exists."""
    chosen = select(identities, criteria, config)
    conflicts: list[Problem] = []
    groups = expand(identities, chosen, config, conflicts)
    return Manifest(
        now=format_instant(criteria.now),
        groups=tuple(groups),
        conflicts=tuple(sorted(set(conflicts), key=lambda p: (p.address, p.message))),
        criteria={
            "expired": True,
            "leavers": sorted(leaver_names) if criteria.leavers is not None else None,
            "integrations": sorted(criteria.integrations),
        },
    )


def manifest_json_text(manifest: Manifest) -> str:
    """The manifest as written to ``--manifest``: sorted keys, two-space indent, a final newline."""
    return json.dumps(manifest.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_manifest(path: str, data: bytes | None = None) -> Manifest:
    """Read a manifest written by :func:`manifest_json_text` (the reviewed artefact); ``data``, when
    given, is its bytes as already read."""
    from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes

    if data is None:
        data = read_bytes(path)
    doc = parse_json(decode_text(data, path), path)
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        raise InputError(path, f"not a retirement manifest ({MANIFEST_FORMAT})")
    order = doc.get("revocation_order")
    if not isinstance(order, list) or not all(
        isinstance(s, dict) and isinstance(s.get("address"), str) for s in order
    ):
        raise InputError(path, "manifest has no valid revocation_order")
    if not isinstance(doc.get("now"), str):
        raise InputError(path, "manifest has no 'now'")
    from nhi_toolkit.expiry import parse_now

    try:
        parse_now(doc["now"])
    except (ValueError, NhiError):
        raise InputError(path, "manifest 'now' is not an RFC 3339 instant") from None
    problem = _manifest_shape_problem(doc)
    if problem:
        raise InputError(path, f"not a valid retirement manifest: {problem}")
    return Manifest(
        now=doc["now"], groups=(), criteria=doc.get("criteria") or {}, route=doc.get("route"),
        terraform_dir=doc.get("terraform_dir"), state=doc.get("state"), plan=doc.get("plan"),
        verification=doc.get("verification"), raw=doc,
    )


def _manifest_shape_problem(doc: Mapping[str, Any]) -> str | None:
    """What is wrong with the shape of a manifest document (as :meth:`Manifest.to_json` writes it),
    or None. A reviewed manifest is input: every field retire reads must have the type it wrote."""

    def is_str_or_none(v: Any) -> bool:
        return v is None or isinstance(v, str)

    for key in ("plan", "state", "verification", "criteria"):
        if doc.get(key) is not None and not isinstance(doc.get(key), dict):
            return f"'{key}' is not an object"
    for key in ("route", "terraform_dir"):
        if not is_str_or_none(doc.get(key)):
            return f"'{key}' is not a string"
    for n, step in enumerate(doc.get("revocation_order") or (), 1):
        if not (isinstance(step.get("step"), int) and isinstance(step.get("phase"), str)
                and is_str_or_none(step.get("identity"))):
            return f"revocation_order entry {n} lacks its step, phase or identity"
    idents = doc.get("identities")
    if not isinstance(idents, list):
        return "'identities' is not a list"
    for n, ident in enumerate(idents, 1):
        ok = (isinstance(ident, dict) and isinstance(ident.get("address"), str)
              and is_str_or_none(ident.get("owner")) and is_str_or_none(ident.get("expires"))
              and isinstance(ident.get("reasons"), list)
              and all(isinstance(r, dict) and isinstance(r.get("text"), str) for r in ident["reasons"])
              and isinstance(ident.get("destroy"), list)
              and all(isinstance(d, dict) and isinstance(d.get("address"), str)
                      and isinstance(d.get("phase"), str) and is_str_or_none(d.get("via"))
                      for d in ident["destroy"])
              and isinstance(ident.get("manual_steps"), list)
              and all(isinstance(m, str) for m in ident["manual_steps"]))
        if not ok:
            return f"identities entry {n} is not an identity as retire writes it"
    summary = doc.get("summary")
    if not (isinstance(summary, dict) and isinstance(summary.get("identities"), int)
            and isinstance(summary.get("addresses"), int)):
        return "'summary' lacks its counts"
    ver = doc.get("verification") or {}
    if not isinstance(ver.get("problems") or [], list) or not all(
        isinstance(p, dict) and all(isinstance(p.get(k), str) for k in ("kind", "address", "message"))
        for p in ver.get("problems") or []
    ):
        return "'verification.problems' is not a list of problems"
    return None


def render_summary(manifest: Manifest) -> str:
    """The readable summary of a manifest (deterministic). Tag values (owner, expiry, a declared
    revocation path) come from state: each line is escaped, so none can forge another line."""
    from nhi_toolkit.errors import printable

    doc = manifest.to_json()
    lines = [f"Retirement as of {doc['now']}"]
    if doc.get("route"):
        lines[0] += f" by {doc['route']}"
    if not doc["identities"]:
        lines.append("Nothing to retire.")
        return "\n".join(lines) + "\n"
    lines.append(f"{doc['summary']['identities']} identities, {doc['summary']['addresses']} addresses "
                 "to destroy")
    for ident in doc["identities"]:
        lines.append("")
        lines.append(f"* {ident['address']}")
        lines.append(f"  owner: {ident['owner'] or '(none)'}   expires: {ident['expires'] or '(none)'}")
        lines.append("  why: " + "; ".join(r["text"] for r in ident["reasons"]))
        for d in ident["destroy"]:
            via = f" (hangs off {d['via']})" if d["via"] else ""
            lines.append(f"  destroy [{d['phase']}] {d['address']}{via}")
        for step in ident["manual_steps"]:
            lines.append(f"  manual: {step}")
    lines.append("")
    lines.append("Revocation order:")
    for s in doc["revocation_order"]:
        lines.append(f"  {s['step']:>3}. [{s['phase']}] {s['address']}")
    ver = doc.get("verification")
    if ver:
        lines.append("")
        lines.append(f"Verification: {ver.get('status')}")
        for p in ver.get("problems") or ():
            lines.append(f"  {p['kind']}: {p['address']}: {p['message']}")
    if doc.get("plan"):
        lines.append(f"Plan file: {doc['plan'].get('file')} sha256 {doc['plan'].get('sha256')}")
    return "\n".join(printable(line) for line in lines) + "\n"


def render_refusal(problems: Sequence[Problem]) -> str:
    """One line per problem, for stderr (escaped: a message can quote a tag value)."""
    from nhi_toolkit.errors import printable

    out = [f"nhi retire: refused: {len(problems)} problem(s); nothing was destroyed"]
    out.extend(printable(f"refused: {p.address}: {p.message}") for p in problems)
    return "\n".join(out) + "\n"


# --- plan verification ---------------------------------------------------------------------------


def _prior_dependencies(plan: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    prior = plan.get("prior_state")
    root = prior.get("values", {}).get("root_module") if isinstance(prior, dict) else None
    stack = [root] if isinstance(root, dict) else []
    while stack:
        mod = stack.pop()
        for res in mod.get("resources") or ():
            if isinstance(res, dict) and isinstance(res.get("address"), str):
                deps = res.get("depends_on")
                out[res["address"]] = tuple(d for d in deps if isinstance(d, str)) if isinstance(
                    deps, list) else ()
        stack.extend(c for c in mod.get("child_modules") or () if isinstance(c, dict))
    return out


def _config_of(address: str) -> str:
    try:
        return parse_address(address).config_address
    except AddressError:
        return config_address(address)


def _explain_extra(
    address: str,
    wanted: Sequence[str],
    deps: Mapping[str, tuple[str, ...]],
    identities: Mapping[str, Identity],
    now: datetime | None,
) -> str:
    text = "would be destroyed but is not in the manifest"
    ident = identities.get(address)
    if ident is not None:
        exp = format_instant(ident.expires_at) if ident.expires_at else "no expiry"
        fresh = ident.deadline is not None and now is not None and not is_expired(ident.deadline, now)
        text += f" ({'not expired: ' if fresh else ''}owner {ident.owner or 'none'}, expires {exp})"
        if _own_lifecycle(ident) and (fresh or ident.expires_at is None):
            text = (f"{text}: a live identity with its own owner or expiry; retire it explicitly, "
                    "re-point it, or extend what it depends on")
    by_config: dict[str, list[str]] = {}
    for w in wanted:
        by_config.setdefault(_config_of(w), []).append(w)
    for dep in deps.get(address, ()):
        dep_config = config_address(dep)
        if dep in wanted:
            return f"{text}; it depends on {dep}, which is being retired"
        if dep_config in by_config:
            if _config_of(address) != dep_config and any(
                parse_address(w).key is not None for w in by_config[dep_config]
            ):
                return (f"{text}; it depends on {dep_config}, some of whose instances are being "
                        "retired, and Terraform records destroy dependencies per resource, not per "
                        "instance")
            return f"{text}; it depends on {dep_config}, which is being retired"
    return text


def verify_plan(
    plan: Mapping[str, Any],
    addresses: Sequence[str],
    *,
    identities: Mapping[str, Identity] | None = None,
    now: datetime | None = None,
    nhi_now: str | None = None,
) -> list[Problem]:
    """Every way ``plan`` (``show -json`` of a plan file) differs from destroying exactly
    ``addresses``: an extra destroy (over-reach), any create, update, replace or forget, and a
    manifest entry left undestroyed. ``nhi_now``, when given, must be the plan's value of it."""
    problems: list[Problem] = []
    wanted = list(addresses)
    wanted_set = set(wanted)
    deps = _prior_dependencies(plan)
    identities = identities or {}
    if plan.get("errored"):
        problems.append(Problem("(plan)", "plan", "the plan reports errors"))
    if nhi_now is not None:
        got = (plan.get("variables") or {}).get("nhi_now", {})
        if not isinstance(got, dict) or got.get("value") != nhi_now:
            problems.append(Problem("var.nhi_now", "plan", f"the plan was not made with nhi_now = {nhi_now}"))
    deleted: set[str] = set()
    for rc in plan.get("resource_changes") or ():
        if not isinstance(rc, dict) or not isinstance(rc.get("address"), str):
            continue
        if rc.get("mode", "managed") != "managed":
            continue
        addr = rc["address"]
        actions = tuple((rc.get("change") or {}).get("actions") or ())
        if actions in ((), ("no-op",), ("read",)):
            continue
        label = addr + (f" (deposed object {rc['deposed']})" if rc.get("deposed") else "")
        if actions == ("delete",):
            if addr in wanted_set:
                # A leftover deposed object goes with its address, but destroying it alone does
                # not retire the address: only the current object's delete counts.
                if not rc.get("deposed"):
                    deleted.add(addr)
            else:
                problems.append(Problem(label, "over-reach", _explain_extra(addr, wanted, deps, identities, now)))
        elif "delete" in actions and "create" in actions:
            problems.append(Problem(label, "replace", "would be replaced (destroyed and created again)"))
        elif actions == ("create",):
            problems.append(Problem(label, "create", "would be created"))
        elif actions == ("update",):
            problems.append(Problem(label, "update", "would be updated in place"))
        elif actions == ("forget",) or "forget" in actions:
            problems.append(Problem(label, "forget", "would be removed from state but left running"))
        else:
            problems.append(Problem(label, "plan", f"unexpected plan action {'/'.join(actions)}"))
    for addr in wanted:
        if addr not in deleted:
            text = "is in the manifest but the plan does not destroy it"
            if nhi_now is not None:
                # Declared expiry destroys only what the configuration stops declaring: an owner who
                # left or a named integration does not make it stop.
                text += (f"; the configuration still declares it with nhi_now = {nhi_now}: stop "
                         "declaring it, or plan with --route targeted-destroy")
            problems.append(Problem(addr, "not-destroyed", text))
    return sorted(problems, key=lambda p: (p.kind != "over-reach", p.address, p.kind))


# --- files ---------------------------------------------------------------------------------------


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def plan_file_state(path: str | os.PathLike[str]) -> tuple[str, int] | None:
    """(lineage, serial) of the prior state saved inside a plan file; None if it cannot be read.

    Only those two fields are taken; the rest of the embedded state (which holds secrets) is dropped.
    """
    try:
        with zipfile.ZipFile(path) as zf, zf.open("tfstate") as fh:
            doc = json.load(fh)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    lineage, serial = doc.get("lineage"), doc.get("serial")
    if isinstance(lineage, str) and isinstance(serial, int):
        return lineage, serial
    return None


_NHI_NOW_HCL = re.compile(r'^[ \t]*variable[ \t]+"?nhi_now"?[ \t]*\{', re.MULTILINE)


def declares_nhi_now(directory: str | os.PathLike[str]) -> bool:
    """True when the root module in ``directory`` declares ``variable "nhi_now"``."""
    from nhi_toolkit.loaders.common import read_bytes

    root = Path(directory)
    # read_bytes refuses a FIFO, socket or device (an error naming it, never a hang) and caps size.
    for f in sorted(root.glob("*.tf")):
        with contextlib.suppress(UnicodeDecodeError):
            if _NHI_NOW_HCL.search(read_bytes(str(f)).decode("utf-8")):
                return True
    for f in sorted(root.glob("*.tf.json")):
        with contextlib.suppress(ValueError):
            doc = json.loads(read_bytes(str(f)).decode("utf-8"))
            variables = doc.get("variable") if isinstance(doc, dict) else None
            if isinstance(variables, dict) and "nhi_now" in variables:
                return True
    return False


def write_private(path: str | os.PathLike[str], text: str) -> None:
    """Write a file atomically (a new 0600 file in the same folder, then rename). A file that cannot
    be written is an :class:`InputError` naming it (exit 2)."""
    _replace_private(path, lambda fh: fh.write(text.encode("utf-8")))


def _replace_private(path: str | os.PathLike[str], write: Callable[[Any], Any]) -> None:
    target = Path(path).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise InputError(os.fspath(path), f"cannot write ({exc.strerror or type(exc).__name__})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(os.fspath(path), f"cannot write ({exc.strerror or type(exc).__name__})") from None
        raise


# --- orchestration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a run did: its exit code, the manifest it worked from, and one-line messages."""

    exit_code: int
    manifest: Manifest | None
    message: str
    problems: tuple[Problem, ...] = ()
    remaining: tuple[str, ...] = ()
    """Manifest addresses still in state after apply (a partly failed apply)."""


class _Audit:
    """Appends this run's steps to the audit log (or does nothing without one).

    Before the first step the whole log is opened for appending and verified: a log that is
    corrupt, unreadable, unwritable or not a regular file stops the run with an error naming it
    (:class:`~nhi_toolkit.audit.AuditError`, exit 2) before anything is planned or destroyed. After
    that, a step that cannot be recorded (a full disk) raises
    :class:`~nhi_toolkit.audit.AuditNotRecorded` (exit 4): the append left the log as it was, and
    the run stops there, so a destructive step whose pending entry could not be written is never
    taken. Every entry carries the run's evaluation time as ``data.now``; ``at`` is the wall clock.
    """

    def __init__(self, path: str | None, now: datetime, mode: str) -> None:
        from nhi_toolkit.audit import format_at, new_run_id, open_log

        self.log = open_log(path) if path else None
        self.path = path
        self.at = now
        self.now = format_at(now)
        self.run_id = f"retire-{mode}-{new_run_id()[:16]}"
        self._failures: dict[str, int] | None = None

    def check(self) -> None:
        """Verify the log once (see the class notes); later calls do nothing."""
        if self.log is None or self._failures is not None:
            return
        counts: dict[str, int] = {}
        for entry in self.log.check():
            if entry.event == "failed" and isinstance(entry.data.get("address"), str):
                counts[entry.data["address"]] = counts.get(entry.data["address"], 0) + 1
        self._failures = counts

    def __call__(self, event: str, **data: Any) -> None:
        if self.log is None:
            return
        from nhi_toolkit.audit import AuditError, AuditNotRecorded

        self.check()
        data["now"] = self.now  # the run's evaluation time, four-digit year whatever the caller passed
        try:
            self.log.append(event, run_id=self.run_id, data=data)
        except AuditError as exc:
            raise AuditNotRecorded(self.log.path, event, exc) from None

    def previous_failures(self) -> dict[str, int]:
        """Address -> how many earlier runs recorded it as failed (read when the log was verified)."""
        self.check()
        return dict(self._failures or {})


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


def _read_state(settings: Settings, tf: Any) -> tuple[Any, tuple[str, int] | None]:
    """(Document, (lineage, serial)) through the loaders; raw state never leaves this function."""
    from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes
    from nhi_toolkit.loaders.state import load_raw_state, load_show_state

    def everything(_: str) -> bool:
        return True

    if settings.state_file:
        path = settings.state_file
        doc = parse_json(decode_text(read_bytes(path), path), path)
        if not isinstance(doc, dict):
            raise InputError(path, "not a Terraform state")
        from nhi_toolkit.loaders.state import is_raw_state, is_show_state

        if is_raw_state(doc):
            ident = _lineage(doc)
            return load_raw_state(doc, path, everything), ident
        if is_show_state(doc):
            return load_show_state(doc, path, everything), None
        from nhi_toolkit.loaders.cdktf_json import is_json_config, load_json_config

        if is_json_config(doc):
            # A synthesized stack: preview what retiring its declared identities would destroy.
            return load_json_config(doc, path, everything), None
        raise InputError(path, "not a Terraform state (raw state or 'terraform show -json' output) "
                               "or a synthesized cdk.tf.json")
    assert settings.terraform_dir is not None
    label = f"{settings.terraform_dir} (terraform state pull)"
    raw = tf.state_pull(settings.terraform_dir)
    if not raw:
        # A wrong directory or an unconfigured backend/workspace looks exactly like "nothing to
        # retire"; say so instead.
        raise InputError(settings.terraform_dir, f"no Terraform state here ({tf.name} state pull "
                                                 "printed nothing): wrong directory, or a backend or "
                                                 "workspace that is not configured")
    ident = _lineage(raw)
    doc = load_raw_state(raw, label, everything)
    del raw
    return doc, ident


def _lineage(raw: Mapping[str, Any]) -> tuple[str, int] | None:
    lineage, serial = raw.get("lineage"), raw.get("serial")
    return (lineage, serial) if isinstance(lineage, str) and isinstance(serial, int) else None


def _terraform(settings: Settings) -> Any:
    from nhi_toolkit.terraform import TerraformError, find_terraform

    try:
        return find_terraform(settings.terraform_bin)
    except TerraformError as exc:
        if settings.terraform_bin or os.environ.get("NHI_TERRAFORM_BIN"):
            raise InputError(settings.terraform_bin or "NHI_TERRAFORM_BIN", str(exc)) from None
        raise RetireFailed("terraform", str(exc)) from None


@contextlib.contextmanager
def _directory_lock(directory: str | None) -> Any:
    """One retirement at a time per root module: a second run refuses (exit 3) at once instead of
    racing the first for the state. Terraform's own state lock still guards against everything else."""
    if directory is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: Terraform's state lock alone
        yield
        return
    from nhi_toolkit.errors import RetireRefused

    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RetireRefused(directory, "refused: another nhi retire is running in this directory; "
                                           "nothing was destroyed (run again when it has finished)") from None
        yield
    finally:
        os.close(fd)


EXIT_FAILED = 4
"""Could not complete: Terraform or the cloud failed; nothing, or only what the audit log records,
was done."""


class RetireFailed(NhiError):
    """Terraform or the cloud failed (exit 4): nothing, or only what the audit log records, was done."""

    exit_code = EXIT_FAILED


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


def _choose_route(settings: Settings) -> str:
    assert settings.terraform_dir is not None
    declared = declares_nhi_now(settings.terraform_dir)
    if settings.route == "auto":
        return ROUTE_DECLARED if declared else ROUTE_TARGETED
    if settings.route == ROUTE_DECLARED and not declared:
        raise InputError(settings.terraform_dir, "--route declared-expiry needs a root module that "
                                                 "declares variable \"nhi_now\"")
    return settings.route


def _write_outputs(settings: Settings, manifest: Manifest) -> None:
    if settings.manifest_path:
        write_private(settings.manifest_path, manifest_json_text(manifest))
    if settings.summary_path:
        write_private(settings.summary_path, render_summary(manifest))


def _inventory(settings: Settings, tf: Any, config: Config) -> tuple[list[Identity], tuple[str, int] | None]:
    from nhi_toolkit.inventory import build_inventory

    doc, lineage = _read_state(settings, tf)
    return build_inventory(doc, config), lineage


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


def _is_own_output(path: str, kind: str) -> bool:
    """True when the existing file at ``path`` is one retire writes as ``kind`` (so may replace)."""
    try:
        if kind == "plan":
            with zipfile.ZipFile(path) as zf:
                return "tfplan" in zf.namelist()
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        if kind == "summary":
            return head.startswith(b"Retirement as of ")
        doc = json.loads(head.decode("utf-8"))
        return isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def _check_outputs(settings: Settings) -> None:
    """Refuse (exit 2) an output path that names an existing file retire did not write: a slip such
    as ``--manifest terraform.tfstate`` or ``--plan-out main.tf`` must not replace the state or the
    configuration. A link there is replaced, not followed, so it is left to the writer."""
    for option, path, kind in (("--manifest", settings.manifest_path, "manifest"),
                               ("--summary", settings.summary_path, "summary"),
                               ("--plan-out", settings.plan_out, "plan")):
        if (path and os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path)
                and not _is_own_output(path, kind)):  # an empty file (mktemp) holds nothing to lose
            raise InputError(path, f"{option}: this file exists and is not a retirement {kind} "
                                   "written by nhi retire; refusing to overwrite it (choose another "
                                   "path, or remove it first)")


def _review(settings: Settings, criteria: Criteria, config: Config, *, apply: bool) -> Outcome:
    from nhi_toolkit.terraform import TerraformError

    _check_outputs(settings)
    audit = _Audit(settings.audit_log, criteria.now, "apply" if apply else "review")
    tf = _terraform(settings) if settings.terraform_dir else None
    try:
        if tf is not None and settings.init:
            settings.echo(f"nhi retire: {tf.name} init in {settings.terraform_dir}")
            tf.init(settings.terraform_dir)
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


@contextlib.contextmanager
def _private_plan(source: str | None = None) -> Any:
    """A plan file path in a new private (0700) folder, removed afterwards; with ``source``, a copy
    of that file's bytes.

    Every plan retire verifies and applies is this private file: whoever can write the folder of
    ``--plan-out`` (or plant a link there) can neither receive the plan, which holds the prior state
    and so secrets, nor put another plan in place of the verified one between check and apply.
    """
    folder = tempfile.mkdtemp(prefix="nhi-retire-")
    try:
        path = os.path.join(folder, "retire.tfplan")
        if source is not None:
            with open(source, "rb") as src, open(path, "xb") as dst:
                shutil.copyfileobj(src, dst)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _publish_plan(private: str, plan_out: str) -> None:
    """Copy the verified plan to ``plan_out``: a new 0600 file renamed over it, so a link planted
    there is replaced, never written through."""
    with open(private, "rb") as src:
        _replace_private(plan_out, lambda dst: shutil.copyfileobj(src, dst))


def _make_plan(tf: Any, settings: Settings, manifest: Manifest, route: str, plan_path: str,
               now: datetime) -> dict[str, Any]:
    assert settings.terraform_dir is not None
    Path(plan_path).parent.mkdir(parents=True, exist_ok=True)
    if route == ROUTE_DECLARED:
        settings.echo(f"nhi retire: planning with nhi_now = {manifest.now}")
        tf.plan(settings.terraform_dir, out=plan_path, variables={"nhi_now": manifest.now})
    else:
        settings.echo(f"nhi retire: planning a targeted destroy of {len(manifest.addresses)} addresses")
        tf.plan(settings.terraform_dir, out=plan_path, destroy=True, targets=list(manifest.addresses))
    result: dict[str, Any] = tf.show_json(settings.terraform_dir, plan_path)
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


def _apply(tf: Any, settings: Settings, manifest: Manifest, plan_path: str, digest: str,
           audit: _Audit, identities: Sequence[Identity] = ()) -> Outcome:
    from nhi_toolkit.terraform import TerraformError

    assert settings.terraform_dir is not None
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
        tf.apply(settings.terraform_dir, plan_path)
    except TerraformError as exc:
        error = exc
        audit("failed", stage="apply", error=_short(exc), plan_sha256=digest)
    else:
        for addr in manifest.addresses:
            audit("applied", address=addr, plan_sha256=digest)
    try:
        raw_state = tf.state_pull(settings.terraform_dir)
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
    present = _addresses_in_state(raw_state)
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


def _addresses_in_state(raw: Mapping[str, Any]) -> set[str]:
    from nhi_toolkit.addresses import join_address

    out: set[str] = set()
    for res in raw.get("resources") or ():
        if not isinstance(res, dict) or res.get("mode", "managed") != "managed":
            continue
        module = res["module"] if isinstance(res.get("module"), str) else ""
        for inst in res.get("instances") or ():
            if isinstance(inst, dict):
                key = inst.get("index_key")
                if isinstance(key, bool) or not isinstance(key, (int, str)):
                    key = None
                out.add(join_address(module, "managed", str(res.get("type")), str(res.get("name")), key))
    return out


def apply_reviewed(settings: Settings, criteria: Criteria | None, config: Config,
                   explicit_now: datetime | None) -> Outcome:
    """The second run of a pipeline with an approval gate: check the reviewed plan file and
    manifest against each other and against current state, then apply exactly that plan."""
    with _directory_lock(settings.terraform_dir):
        return _apply_reviewed(settings, criteria, config, explicit_now)


def _apply_reviewed(settings: Settings, criteria: Criteria | None, config: Config,
                    explicit_now: datetime | None) -> Outcome:
    from nhi_toolkit.expiry import parse_now

    assert settings.manifest_path and settings.terraform_dir
    from nhi_toolkit.loaders.common import read_bytes

    # Read once: the hash the audit log records is that of the manifest this run applies.
    data = read_bytes(settings.manifest_path)
    reviewed = load_manifest(settings.manifest_path, data)
    now = parse_now(reviewed.now)
    audit = _Audit(settings.audit_log, now, "apply")
    audit("run-started", mode="apply-reviewed", now=reviewed.now,
          manifest_sha256=hashlib.sha256(data).hexdigest(), terraform_dir=settings.terraform_dir)
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

    assert settings.terraform_dir
    digest = sha256_file(plan_path)
    if reviewed.plan and digest != reviewed.plan.get("sha256"):
        problems.append(Problem("(plan)", "stale", "the plan file is not the one the manifest "
                                                  "was verified with (sha256 differs)"))
    if problems:
        return _refuse(settings, reviewed, problems, audit, None, digest, reviewed=True)
    tf = _terraform(settings)
    try:
        if settings.init:
            tf.init(settings.terraform_dir)
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
        plan_json = tf.show_json(settings.terraform_dir, plan_path)
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
