"""Can each identity actually be retired? Revocation paths, drift, departed owners, shared credentials."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from nhi_toolkit.checks import (
    declared_revocation_path,
    governing_expiry,
    is_rotation_path,
    is_terraform_path,
    leaver_match,
    owner_departure,
)
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Severity
from nhi_toolkit.rules.base import Context, Rule, named_few

__all__ = ["Drift", "MissingRevocationPath", "OwnerOffboarded", "SharedIdentity", "leaver_match"]


class MissingRevocationPath(Rule):
    id = "NHI010"
    name = "missing-revocation-path"
    severity = Severity.ERROR
    summary = "Terraform cannot revoke this identity"
    description = ("prevent_destroy, a removed block with destroy = false (or a plan that forgets "
                   "the identity), a credential whose parent is not managed here, a secret copy of a "
                   "credential that would outlive it, a stored API key with no rotation, or a declared "
                   "revocation path that does not match the code.")
    fix = "Make the identity destroyable by Terraform, manage its parent, or add rotation."
    severities = (
        (Severity.ERROR, ("Terraform will not destroy it (prevent_destroy, a removed block with destroy = "
                          "false or a plan that forgets it, a declared revocation path the code blocks)")),
        (Severity.WARNING, ("destroying it may leave access behind (a parent not managed here, a secret "
                            "copy that outlives its credential, a stored secret with no rotation)")),
    )
    includes_deleted = True

    def check_all(self, ctx: Context) -> Iterator[Finding]:
        rotated = _rotated_secrets(ctx)
        declares = _keyset(ctx.config.revocation_keys)
        for identity in ctx.identities:
            res = identity.resource
            # What _check looks at, tested up front: an identity none of it applies to (most of
            # them) has nothing to find, and costs no generator.
            if res.action != "forget" and not res.prevent_destroy and not identity.parent_missing \
                    and (identity.category != "secret-copy" or _own_expiry(identity) is None) \
                    and identity.type != "aws_secretsmanager_secret" and declares.isdisjoint(identity.tags):
                continue
            yield from self._check(identity, ctx, rotated)

    def check(self, identity: Identity, ctx: Context) -> Iterator[Finding]:
        return self._check(identity, ctx, _rotated_secrets(ctx))

    def _check(self, identity: Identity, ctx: Context, rotated: frozenset[str | None]) -> Iterator[Finding]:
        res = identity.resource
        if res.action == "forget":
            how = "a removed block with destroy = false" if res.metadata.get("removed_block") else \
                "a forget action in the plan"
            yield self.finding(identity, f"{identity.address} is dropped from Terraform by {how}: "
                                         "it stays alive in the cloud with nothing to revoke it")
            return
        if res.deleted:
            return
        if res.prevent_destroy:
            yield self.finding(identity, f"{identity.address} has lifecycle prevent_destroy = true: "
                                         "retirement by Terraform will fail")
        if identity.parent_missing and identity.category in ("credential", "permission", "secret-copy"):
            why = (f"is not linked to one parent (it refers to several: {named_few(identity.parent_candidates)}), "
                   "so retiring any of them will not take it down first" if identity.parent_candidates else
                   "belongs to a parent identity that is not managed here, so retiring the parent will not revoke it")
            yield self.finding(identity, f"{identity.address} {why}", severity=Severity.WARNING)
        if identity.category == "secret-copy" and identity.parent:
            parent = ctx.by_address.get(identity.parent)
            own = _own_expiry(identity)
            if parent is not None and parent.category == "credential" and own is not None and \
                    parent.expires_at is not None and own > parent.expires_at:
                yield self.finding(identity, f"{identity.address} copies the secret of {parent.address} "
                                             "but expires after it: the copy outlives the credential",
                                   severity=Severity.WARNING)
        if identity.type == "aws_secretsmanager_secret" and not _has_rotation(identity, rotated):
            yield self.finding(identity, f"{identity.address} stores a credential with no rotation "
                                         "configured (aws_secretsmanager_secret_rotation)",
                               severity=Severity.WARNING)
        declared = declared_revocation_path(identity, ctx.config.revocation_keys)
        if declared is not None:
            if is_terraform_path(declared) and res.prevent_destroy:
                yield self.finding(identity, f"{identity.address} declares revocation path "
                                             f"'{declared}' but prevent_destroy blocks it")
            if is_rotation_path(declared) and not _has_rotation(identity, rotated):
                yield self.finding(identity, f"{identity.address} declares revocation path "
                                             f"'{declared}' but no rotation is configured")


def _own_expiry(identity: Identity):  # type: ignore[no-untyped-def]
    return None if identity.inherited else identity.expires_at


def _rotated_secrets(ctx: Context) -> frozenset[str | None]:
    """Addresses of the secrets some ``aws_secretsmanager_secret_rotation`` rotates after apply.

    A rotation the plan deletes or forgets rotates nothing.
    """
    return frozenset(i.parent for i in ctx.identities
                     if i.type == "aws_secretsmanager_secret_rotation" and i.parent
                     and not i.resource.deleted)


def _known(value: object) -> bool:
    """A value that is present: not absent, not empty, and not merely unknown until apply.

    An attribute Terraform computes during apply (``rotation_rules`` of a new secret) is no
    evidence that rotation exists: only a configured value or a rotation resource is.
    """
    if value is UNKNOWN or value in (None, "", [], {}):
        return False
    if isinstance(value, list):
        return any(_known(v) for v in value)
    if isinstance(value, dict):
        return any(_known(v) for v in value.values())
    return True


def _has_rotation(identity: Identity, rotated: frozenset[str | None]) -> bool:
    values = identity.resource.values
    if values.get("rotation_enabled") is not False and (
            _known(values.get("rotation_rules")) or _known(values.get("rotation_lambda_arn"))):
        return True
    target = identity.parent if identity.type != "aws_secretsmanager_secret" else identity.address
    return target in rotated


class Drift(Rule):
    id = "NHI011"
    name = "drift"
    severity = Severity.ERROR
    summary = "Identity changed outside Terraform"
    description = ("From plan resource_drift and refresh-only plans: owner or expiry tags changed or "
                   "removed outside Terraform, or the identity deleted outside Terraform; and, when "
                   "configuration and state are checked together, identities in state that no "
                   "configuration declares (orphans) and declared identities missing from state.")
    fix = "Restore the tags through Terraform, or import/remove the identity deliberately."
    severities = (
        (Severity.ERROR, ("owner or expiry tags changed or removed outside Terraform, an applied identity "
                          "deleted outside it, or an identity in state that no configuration declares")),
        (Severity.INFO, ("a declared identity (configuration or synthesized CDKTF) that is not in state, "
                         "or for nhi verify not in AWS: not applied yet, as before the first apply")),
    )

    def check_all(self, ctx: Context) -> Iterator[Finding]:
        yield from self._changed_outside(ctx)
        yield from self._declared_vs_state(ctx)

    def _changed_outside(self, ctx: Context) -> Iterator[Finding]:
        """What a plan's ``resource_drift`` says changed outside Terraform."""
        catalog = ctx.config.catalog
        for res in ctx.document.drift:
            if res.type not in catalog:
                continue
            if res.action == "delete":
                yield self.finding(None, f"{res.address} was deleted outside Terraform",
                                   address=res.address, source=res.source)
                continue
            before = res.metadata.get("before") or {}
            from nhi_toolkit.tags import lookup_tag, read_tags

            old, _ = read_tags(before, catalog[res.type])
            new, _ = read_tags(res.values, catalog[res.type])
            if old is UNKNOWN or new is UNKNOWN:
                continue
            old_tags = old if isinstance(old, dict) else {}
            new_tags = new if isinstance(new, dict) else {}
            for label, keys in (("owner", ctx.config.owner_keys), ("expiry", ctx.config.expiry_keys)):
                if label == "expiry":  # the tag that governs, as the checker chooses it among several
                    ov, nv = governing_expiry(old_tags, keys)[1], governing_expiry(new_tags, keys)[1]
                else:
                    ov, nv = lookup_tag(old_tags, keys)[1], lookup_tag(new_tags, keys)[1]
                if ov != nv:
                    change = "removed" if nv is None else ("added" if ov is None else "changed")
                    yield self.finding(None, f"{res.address} {label} tag {change} outside Terraform"
                                             + (f" ({ov} -> {nv})" if ov is not None and nv is not None
                                                else ""),
                                       address=res.address, source=res.source)

    def _declared_vs_state(self, ctx: Context) -> Iterator[Finding]:
        """Drift between declared configuration (HCL, CDKTF) and state, when both are checked.

        It compares documents, so it is judged once, in the context of the first state document.
        """
        states = [d for d in ctx.documents if d.kind in _STATE_KINDS]
        declared = [d for d in ctx.documents if d.kind in _DECLARED_KINDS]
        if not declared or not states or ctx.document is not states[0]:
            return
        catalog = ctx.config.catalog
        decl = {r.config_address: r for d in declared for r in d.resources
                if r.type in catalog and r.action not in ("delete", "forget")}
        seen_state: set[str] = set()
        for doc in states:
            for res in doc.resources:
                if res.type not in catalog:
                    continue
                seen_state.add(res.config_address)
                if res.config_address not in decl:
                    yield self.finding(None, f"{res.address} is in state but no configuration declares "
                                             "it (orphan)", address=res.address, source=res.source)
        for addr, res in sorted(decl.items()):
            if addr not in seen_state:
                yield self.finding(None, f"{addr} is declared but not in state (not applied yet, or "
                                         "deleted outside Terraform)",
                                   address=addr, source=res.source, severity=Severity.INFO)


_DECLARED_KINDS = (InputKind.HCL, InputKind.CDKTF)
_STATE_KINDS = (InputKind.STATE, InputKind.SHOW_STATE)


class OwnerOffboarded(Rule):
    id = "NHI012"
    name = "owner-offboarded"
    severity = Severity.ERROR
    summary = "Identity's owner has left"
    description = "The owner appears in the leavers list (--leavers) with a leaving date at or before now."
    fix = "Hand the identity to a current owner through Terraform, or retire it (nhi retire --leavers)."

    def check(self, identity: Identity, ctx: Context) -> Iterable[Finding]:
        left = owner_departure(identity.owner, ctx.leavers, ctx.now)
        if left is not None:
            return (self.finding(identity, f"{identity.address} is owned by {identity.owner}, who left{left.when}"),)
        return ()


class SharedIdentity(Rule):
    id = "NHI013"
    name = "shared-identity"
    severity = Severity.WARNING
    summary = "One identity serves several integrations"
    description = ("A credential or principal whose dependants (keys, attachments, secret copies) "
                   "carry their own integration tags naming more than one integration, or whose own "
                   "integration tag lists several: revoking it for one breaks the others.")
    fix = "Give each integration its own identity."

    def check_all(self, ctx: Context) -> Iterator[Finding]:
        keys = ctx.config.integration_keys
        index: _Instances | None = None  # built on the first reference followed
        users: dict[str, set[str]] = {}
        several = False  # some integration tag lists more than one name
        for ident in ctx.identities:
            res = ident.resource
            if res.action in _GONE:
                continue
            tags = ident.tags
            integ = None  # Identity.tag(keys), without its call
            for key in keys:
                if key in tags:
                    integ = tags[key]
                    break
            if isinstance(integ, str) and ("," in integ or ";" in integ):
                several = True
            if ident.inherited or not (ident.parent or res.references):
                continue  # nothing it uses, or not its own integration tag
            if not (isinstance(integ, str) and integ.strip()):
                continue
            # Per instance: a for_each'd key uses its own user, not every user of that resource.
            targets = {ident.parent} if ident.parent else set()
            if res.references:
                index = index or _Instances(ctx.identities)
                for ref in res.references:
                    cands = index.by_config.get(ref, [])
                    if len(cands) == 1:
                        targets.add(cands[0].address)
                    else:
                        targets.update(c.address for c in index.by_instance.get((ref, res.index, res.module), ()))
            for target in targets - {ident.address, None}:
                users.setdefault(target, set()).add(integ.strip())
        if not users and not several:
            return  # no identity is used by another, nor names several integrations itself
        for ident in ctx.identities:
            if ident.resource.action in _GONE:
                continue
            own = ident.tag(keys)
            used = users.get(ident.address)
            if used is None and not (isinstance(own, str) and ("," in own or ";" in own)):
                continue  # one integration at most: its own tag, a single name
            found = set(used or ())
            if isinstance(own, str) and own:
                found.update(p.strip() for p in own.replace(";", ",").split(",") if p.strip())
            if len(found) > 1:
                yield self.finding(ident, f"{ident.address} is used by {len(found)} integrations "
                                          f"({', '.join(sorted(found))}); revoking it breaks all of them")


#: Plan actions after which the resource is gone (Resource.deleted).
_GONE = ("delete", "forget")


@lru_cache(maxsize=8)
def _keyset(keys: tuple[str, ...]) -> frozenset[str]:
    """Tag keys as a set: whether an identity carries any of them is one test at C speed."""
    return frozenset(keys)


class _Instances:
    """Identities by configuration address, and by (configuration address, instance key, module
    instance), so that a for_each'd child finds its own parent instance without scanning every
    instance."""

    def __init__(self, identities: Iterable[Identity]):
        self.by_config: dict[str, list[Identity]] = {}
        self.by_instance: dict[tuple[str, int | str | None, str], list[Identity]] = {}
        for ident in identities:
            res = ident.resource
            self.by_config.setdefault(res.config_address, []).append(ident)
            self.by_instance.setdefault((res.config_address, res.index, res.module), []).append(ident)
