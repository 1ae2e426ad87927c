"""The manifest: the reviewed artefact naming what will be destroyed, why, in which order, and against
which state and plan file. Built from a selection, written as deterministic JSON, and read back (a
reviewed manifest is input: every field retire reads is checked for the type it wrote)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nhi_toolkit.config import Config
from nhi_toolkit.errors import InputError, NhiError
from nhi_toolkit.expiry import format_instant
from nhi_toolkit.model import Identity
from nhi_toolkit.retire.selection import (
    PHASE_NAMES,
    Criteria,
    Group,
    Member,
    Problem,
    expand,
    revocation_order,
    select,
)

__all__ = [
    "MANIFEST_FORMAT",
    "ROUTES",
    "ROUTE_DECLARED",
    "ROUTE_TARGETED",
    "Manifest",
    "build_manifest",
    "load_manifest",
    "manifest_json_text",
]


MANIFEST_FORMAT = "nhi-retire-manifest/1"


ROUTE_DECLARED = "declared-expiry"


ROUTE_TARGETED = "targeted-destroy"


ROUTES = (ROUTE_DECLARED, ROUTE_TARGETED)


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
