"""Which identities to retire, what hangs off them, in which order, and what Terraform cannot do.

* **selection**: identities whose own expiry has passed as of ``now`` (judged by
  :mod:`nhi_toolkit.expiry`, exactly as the checker judges it), whose owner is on the leavers list
  (:func:`nhi_toolkit.checks.owner_departure`, as the ``owner-offboarded`` rule judges it), or whose
  integration is named;
* **expansion**: each selected identity takes its own credentials, attachments and secret copies
  along (the identities whose inventory parent chain leads to it); a live dependent with its own
  owner or expiry is a conflict, never taken along;
* **ordering**: credentials and secret copies first, then permissions, then principals and secret
  containers; inside a phase a child goes before the identity it hangs off;
* **manual steps**: what Terraform cannot revoke (a third-party key held in a secret, a secret's
  recovery window, sessions already issued for a role, a declared revocation path).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from nhi_toolkit.catalog import PHASE_CREDENTIAL, PHASE_PERMISSION, PHASE_PRINCIPAL
from nhi_toolkit.checks import declared_revocation_path, is_terraform_path, owner_departure
from nhi_toolkit.config import Config
from nhi_toolkit.expiry import format_instant, is_expired
from nhi_toolkit.model import Identity

__all__ = [
    "PHASE_NAMES",
    "Criteria",
    "Group",
    "Member",
    "Problem",
    "Reason",
    "expand",
    "manual_steps",
    "revocation_order",
    "select",
]


PHASE_NAMES = {
    PHASE_CREDENTIAL: "credentials",
    PHASE_PERMISSION: "permissions",
    PHASE_PRINCIPAL: "principals",
}


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


def _own_reasons(identity: Identity, criteria: Criteria, config: Config) -> list[Reason]:
    out: list[Reason] = []
    # Inherited values are judged on the parent; the child comes along through expansion.
    if identity.inherited:
        return out
    deadline = identity.deadline  # a tag or declaration earlier than the credential's own expiry counts
    if deadline is not None and is_expired(deadline, criteria.now):
        out.append(Reason("expired", f"expired at {format_instant(deadline)}"))
    left = owner_departure(identity.owner, criteria.leavers, criteria.now)
    if left is not None:
        out.append(Reason("owner-left", f"owner {identity.owner} left{left.when}"))
    if criteria.integrations:
        integ = identity.tag(config.integration_keys)
        if isinstance(integ, str) and integ in criteria.integrations:
            out.append(Reason("integration", f"integration {integ} named for retirement"))
    return out


def select(identities: Iterable[Identity], criteria: Criteria, config: Config) -> dict[str, tuple[Reason, ...]]:
    """Address -> reasons for every identity chosen on its own account (before expansion)."""
    chosen: dict[str, tuple[Reason, ...]] = {}
    for ident in identities:
        # A deposed object is destroyed by the next apply of its resource, never on its own: a
        # destroy of its address would take the live current object with it.
        if ident.resource.deleted or ident.resource.metadata.get("deposed"):
            continue
        reasons = _own_reasons(ident, criteria, config)
        if reasons:
            chosen[ident.address] = tuple(reasons)
    return chosen


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


def _shared(child: Identity, gone: Sequence[str], kept: Sequence[Identity], how: Mapping[str, str],
            root: str) -> Problem:
    live = ", ".join(f"{p.address} (owner {p.owner if isinstance(p.owner, str) else 'none'}, expires "
                     f"{p.expires if isinstance(p.expires, str) else 'none'})" for p in kept)
    links = "; ".join(how[a] for a in (*gone, *(p.address for p in kept)))
    first = kept[0].address
    return Problem(child.address, "conflict", (
        f"hangs off both {', '.join(gone)}, which is being retired, and {live}, which is not ({links}): "
        f"destroying it with {gone[0]} would cut {first}'s access without review. Resolve it: "
        f"re-point it so that it hangs off one identity only, retire {first} too, or extend "
        f"{root}'s expiry; then run retire again"))


def _groups(
    identities: Sequence[Identity], chosen: Mapping[str, tuple[Reason, ...]], config: Config,
    conflicts: list[Problem] | None, exclude: frozenset[str] = frozenset(),
) -> list[Group]:
    by_addr = {i.address: i for i in identities}
    children: dict[str, list[Identity]] = {}
    for ident in identities:
        # A deposed object goes with its address (the current object), never as a member of its own.
        if ident.parent and ident.parent != ident.address and not ident.resource.deleted \
                and not ident.resource.metadata.get("deposed"):
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
                if child.address in seen or child.address in exclude:
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


def _shared_conflicts(
    identities: Sequence[Identity], chosen: Mapping[str, tuple[Reason, ...]], groups: Sequence[Group],
    config: Config,
) -> list[Problem]:
    """Credentials and attachments that hang off an identity being retired and off another that is
    not (see :mod:`nhi_toolkit.retire.links`): destroying them would cut the live one's access."""
    from nhi_toolkit.retire.links import Links

    root_of = {m.address: g.root.address for g in groups for m in g.members}
    links = Links(identities, config)
    out: list[Problem] = []
    for child in identities:
        if child.resource.deleted or child.address in chosen or _own_lifecycle(child):
            continue  # selected on its own account, or a live identity (the conflict above)
        if child.category == "secret-copy":
            continue  # a copy goes with whatever holds it; destroying it cuts no identity's access
        how = links.of(child)
        gone = sorted(a for a in how if a in root_of)
        kept = [links.by_addr[a] for a in sorted(how) if a not in root_of and a in links.by_addr
                and not links.by_addr[a].resource.deleted]
        if gone and kept:
            out.append(_shared(child, gone, kept, how, root_of[gone[0]]))
    return out


def expand(
    identities: Sequence[Identity], chosen: Mapping[str, tuple[Reason, ...]], config: Config,
    conflicts: list[Problem] | None = None,
) -> list[Group]:
    """Group each chosen identity with its descendants; an identity inside a chosen one's group is
    not a group of its own.

    Only dependents without an owner or expiry of their own (untaggable credentials, grants, copies)
    and dependents selected on their own account ride along. A dependent that carries its own owner
    or expiry and is not itself selected is a live identity: it is left out and reported in
    ``conflicts`` (kind ``conflict``), which callers must refuse. So is a credential or attachment
    that hangs off an identity being retired and also off one that is not (an attachment binding an
    expired identity to a live one): destroying it would cut the live one's access.
    """
    groups = _groups(identities, chosen, config, conflicts)
    shared = _shared_conflicts(identities, chosen, groups, config)
    if not shared:
        return groups
    if conflicts is not None:
        conflicts.extend(shared)
    return _groups(identities, chosen, config, None, frozenset(p.address for p in shared))


def revocation_order(groups: Iterable[Group]) -> list[Member]:
    """Every member of every group: phase by phase, children before parents, then by address."""
    return sorted((m for g in groups for m in g.members), key=_order_key)


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
        declared = declared_revocation_path(ident, config.revocation_keys, own_only=True)
        if declared is not None and not is_terraform_path(declared):
            steps.append(f"{addr}: declared revocation path: {declared.strip()}")
    return tuple(steps)
