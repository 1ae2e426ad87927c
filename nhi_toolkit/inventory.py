"""Which resources are non-human identities, and whose owner and expiry each one carries.

Untaggable children (an access key, a secret version, a policy attachment) inherit owner and expiry
from their parent, found through configuration references (plan, HCL, CDKTF), state dependencies,
or attribute match (state: ``key.user == user.name``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from nhi_toolkit.addresses import within_module
from nhi_toolkit.catalog import IdentityType, NoneOf, ParentLink, Prefix
from nhi_toolkit.checks import choose_expiry, parse_expiry_value
from nhi_toolkit.config import Config
from nhi_toolkit.model import UNKNOWN, Identity, Resource, Unknown
from nhi_toolkit.native_expiry import NATIVE_EXPIRY, helper_index, settle
from nhi_toolkit.records import Document
from nhi_toolkit.tags import read_path, read_tags, tags_marked_sensitive, values_at

__all__ = ["build_inventory", "link_values", "read_path", "read_tags", "values_at"]


def _condition_holds(values: Mapping[str, Any], path: str, expected: Any) -> bool:
    """Absent means no (NoneOf: yes); unknown until apply means yes: never a false pass."""
    found, unknown = values_at(values, tuple(path.split(".")))
    if isinstance(expected, NoneOf):
        return unknown or not any(v in expected.values for v in found)
    if unknown:
        return True
    if isinstance(expected, Prefix):
        return any(isinstance(v, str) and v.startswith(expected.text) for v in found)
    if isinstance(expected, bool):
        return any(v is expected or (isinstance(v, str) and v.strip().lower() == str(expected).lower())
                   for v in found)
    return expected in found


def _applies(resource: Resource, itype: IdentityType) -> bool:
    if not resource.values:
        return True  # nothing to judge by (a removed block): keep it rather than miss it
    return all(_condition_holds(resource.values, path, expected)
               for path, expected in itype.condition.items())


def _short(value: Any) -> Any:
    """The last segment of an ARN or path, so an ARN given where a name is expected still matches."""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if isinstance(value, str) else value


class _Index:
    """Lookups that keep parent resolution linear in the number of identities."""

    def __init__(self, resources: list[tuple[Resource, IdentityType]], kinds: Mapping[str, IdentityType]):
        """``kinds``: the identity types of ``resources``, by name."""
        self.own_tags: Mapping[str, Any] = {}
        """address -> the identity's own (tags, partial), filled in before parents are resolved."""
        self.by_config: dict[str, list[Resource]] = defaultdict(list)
        self.by_key: dict[tuple[str, str, Any], Resource] = {}
        self.by_value: dict[tuple[str, str, Any], list[Resource]] = defaultdict(list)
        self._members = resources
        self._referrers: dict[str, list[Resource]] | None = None
        self._refs_of: dict[str, frozenset[str]] = {}
        """config address -> what its instances reference, worked out when first asked."""
        match_attrs: dict[str, set[str]] = defaultdict(set)
        for itype in kinds.values():
            for link in itype.parents:
                for ptype in link.parent_types:
                    match_attrs[ptype].update(link.parent_attrs)
        by_config, by_key, by_value = self.by_config, self.by_key, self.by_value
        for res, _ in resources:
            cfg = res.config_address
            by_config[cfg].append(res)
            by_key.setdefault((cfg, res.module, res.index), res)
            attrs = match_attrs.get(res.type)
            if not attrs:  # no link matches this type by value
                continue
            values = res.values
            for attr in attrs:
                found = values_at(values, tuple(attr.split(".")))[0] if "." in attr else [values.get(attr)]
                for v in found:
                    if isinstance(v, str):
                        by_value[(res.type, attr, v)].append(res)
                        if ("/" in v or ":" in v) and (short := _short(v)) != v:
                            by_value[(res.type, attr, short)].append(res)
                    elif isinstance(v, int) and not isinstance(v, bool):
                        by_value[(res.type, attr, v)].append(res)

    @property
    def referrers_of(self) -> dict[str, list[Resource]]:
        """config address -> resources whose configuration references it (made when first asked:
        only an untaggable type with no parent link asks)."""
        if self._referrers is None:
            self._referrers = defaultdict(list)
            for res, _ in self._members:
                for ref in res.references:
                    self._referrers[ref].append(res)
        return self._referrers

    def holding(self, res: Resource, types: tuple[str, ...]) -> list[str]:
        """What ``res`` references that holds a resource of one of ``types`` other than itself."""
        out = []
        for ref in res.references:
            cands = self.by_config.get(ref)
            # One configuration address is one type: its first instance tells.
            if cands and cands[0].type in types and (ref != res.config_address or len(cands) > 1):
                out.append(ref)
        return out

    def closest(self, refs: list[str]) -> list[str]:
        """``refs`` without those another of them references: a child referring to ``b`` and to
        ``a`` when ``b`` refers to ``a`` (state records dependencies transitively; a redundant
        ``depends_on``) is bound to ``b``. Linear in what the referenced resources reference."""
        if len(refs) < 2:
            return refs
        wanted = set(refs)
        through: set[str] = set()
        for ref in refs:
            theirs = self._refs_of.get(ref)
            if theirs is None:
                theirs = self._refs_of[ref] = frozenset(
                    r for c in self.by_config.get(ref, ()) for r in c.references)
            if not theirs:
                continue
            if len(theirs) < len(wanted):
                through.update(r for r in theirs if r in wanted and r != ref)
            else:
                through.update(r for r in wanted if r in theirs and r != ref)
        kept = [r for r in refs if r not in through]
        return kept or refs  # each refers to the other: no closer one

    def by_values(self, link: ParentLink, wanted: list[Any]) -> list[Resource]:
        """Parents of the link's types whose match attributes equal one of ``wanted``."""
        out: list[Resource] = []
        seen: set[str] = set()
        for w in wanted:
            short = _short(w) if isinstance(w, str) and ("/" in w or ":" in w) else w
            for key in (w,) if short == w else (w, short):
                for ptype in link.parent_types:
                    for attr in link.parent_attrs:
                        for cand in self.by_value.get((ptype, attr, key), ()):
                            if cand.address not in seen:
                                seen.add(cand.address)
                                out.append(cand)
        return out


def link_values(values: Mapping[str, Any], link: ParentLink) -> tuple[list[Any], bool]:
    """The child's values naming its parent under ``link`` (prefix removed), and whether unknown."""
    steps = link.steps
    if not steps:
        return [], False
    found, unknown = values_at(values, steps)
    out = []
    for v in found:
        if isinstance(v, bool) or not isinstance(v, (str, int)) or v == "":
            continue
        if link.prefix:
            if not (isinstance(v, str) and v.startswith(link.prefix)):
                continue
            v = v[len(link.prefix):]
        out.append(v)
    return out, unknown


def _same_tags(candidates: list[Resource], index: _Index) -> bool:
    first = index.own_tags.get(candidates[0].address)
    return first is not None and first[0] is not None and all(
        index.own_tags.get(c.address) == first for c in candidates[1:])


def _within(cands: list[Resource], module: str) -> list[Resource]:
    """The candidates in module instance ``module`` or inside it: a reference made inside a module
    instance (to its own resources, or through its calls' outputs) names what that instance holds."""
    return [c for c in cands if within_module(c.module, module)]


def _one_instance(cands: list[Resource]) -> bool:
    """Whether the candidates are all in one module instance."""
    first = cands[0].module
    return all(c.module == first for c in cands)


def _decided(cands: list[Resource], res: Resource, index: _Index) -> Resource | None:
    """One parent out of ``cands`` (not empty): narrowed to the child's module instance and instance
    key; the first when one remains or all carry the same tags (any gives the same verdict); None
    when several with different tags remain (ambiguous)."""
    if len(cands) > 1:
        cands = _within(cands, res.module) or cands
    if len(cands) > 1 and res.index is not None:
        cands = [c for c in cands if c.index == res.index] or cands
    if len(cands) == 1 or _same_tags(cands, index):
        return cands[0]
    return None


def _find_parent(res: Resource, itype: IdentityType, index: _Index) -> tuple[Resource | None, bool]:
    """Return (parent, parent_expected): parent_expected is True when the type has a parent link.

    Preference: a referenced parent whose identifying attribute matches the child's (the closest
    one when several do); the referenced instance with the child's own instance key (for_each over
    one map); the only referenced instance (or any, when the child's value is unknown until apply);
    an attribute match anywhere (state). References reached only through another referenced
    candidate do not count: the closer one is the parent. When several candidates with different
    tags remain, there is no parent (nothing inherited: a finding, never a pass on the wrong one).
    """
    if not itype.parents:
        if itype.taggable or not itype.inherit_by_reference:
            return None, False
        # Untaggable copies (GitHub secrets, TLS keys): the identity they reference, else a referrer.
        for ref in res.references:
            for cand in index.by_config.get(ref, ()):
                if cand.address != res.address:
                    return cand, False
        for cand in index.referrers_of.get(res.config_address, ()):
            if cand.address != res.address:
                return cand, False
        return None, False
    for link in itype.parents:
        child_vals, unknown_val = link_values(res.values, link)
        by_value = index.by_values(link, child_vals) if child_vals else []
        matched: list[Resource] = []
        if by_value:
            refs = set(res.references)
            matched = [c for c in by_value if c.config_address in refs and c.address != res.address]
        if len(matched) == 1:
            return matched[0], True
        if matched:
            closest = set(index.closest(list(dict.fromkeys(c.config_address for c in matched))))
            found = _decided([c for c in matched if c.config_address in closest], res, index)
            return found, True
        if len(by_value) == 1 and not unknown_val and by_value[0].address != res.address:
            return by_value[0], True  # what the provider binds it to, whatever else it refers to
        # The referenced resources that hold candidates of the link's types, the closest ones.
        held = index.closest(index.holding(res, link.parent_types))
        chosen: list[Resource] = []
        undecided = False
        for ref in held:
            # The instance with the child's own key (for_each over one map); each referenced resource
            # counts, so a plain one (no key, like the child) does not hide a counted one.
            k = index.by_key.get((ref, res.module, res.index))
            if k is not None and k.type in link.parent_types and k.address != res.address:
                chosen.append(k)
            else:
                referenced = [c for c in index.by_config.get(ref, ())
                              if c.type in link.parent_types and c.address != res.address]
                # Inside an expanded module, a reference names the resource of the same module instance.
                referenced = _within(referenced, res.module) or referenced
                # A value unknown until apply names no instance: several candidates stay ambiguous,
                # unless they all carry the same tags, so that any of them gives the same verdict.
                # Nor does a reference alone name one of several module instances (a module output's
                # reference keeps no instance key).
                if len(referenced) == 1 or (not child_vals and not unknown_val and (
                        not ref.startswith("module.") or _one_instance(referenced))) or _same_tags(referenced, index):
                    chosen.append(referenced[0])
                else:
                    undecided = True
        if chosen or undecided:
            return (_decided(chosen, res, index) if chosen and not undecided else None), True
        if by_value:  # several named by value (a membership's users): one, or all alike
            return _decided(by_value, res, index), True
    return None, True


def _deposed_parent(res: Resource, itype: IdentityType, index: _Index) -> tuple[Resource | None, bool]:
    """The parent of a deposed object: found as for the current object at its address (the same
    configuration, so the same references; those of the current object when its own record none),
    but never one its own values contradict: a deposed key whose ``user`` names another user than
    the one found is not that user's (it belongs to the one it names, if that one is here)."""
    if not res.references:
        mine = [c for c in index.by_config.get(res.config_address, ()) if c.address == res.address]
        if mine and mine[0].references:
            res = replace(res, references=mine[0].references)
    parent, expected = _find_parent(res, itype, index)
    if parent is None:
        return None, expected
    for link in (link for link in itype.parents if parent.type in link.parent_types):
        wanted, unknown = link_values(res.values, link)
        have = [values_at(parent.values, tuple(attr.split("."))) for attr in link.parent_attrs]
        if wanted and not unknown and not any(u for _, u in have):  # both known: they must agree
            named = {w for v in wanted for w in (v, _short(v))}
            if named.isdisjoint(w for found, _ in have for v in found for w in (v, _short(v))):
                return None, expected
    return parent, expected


def _parsed(expires: Any, seen: dict[Any, tuple[datetime | None, str | None]]) -> tuple[datetime | None, str | None]:
    """(instant, error) of an expiry tag's value (:func:`nhi_toolkit.checks.parse_expiry_value`); a
    large input repeats few values, each parsed once."""
    key = (type(expires), expires)
    found = seen.get(key)
    if found is None:
        found = seen[key] = parse_expiry_value(expires)
    return found


def _candidates(res: Resource, itype: IdentityType, index: _Index) -> tuple[str, ...]:
    """The configuration addresses of the managed identities a parentless child refers to or names
    by value under its parent links: its parent is one of them, which one is not known here."""
    found: set[str] = set()
    for link in itype.parents:
        found.update(index.holding(res, link.parent_types))
        wanted, _ = link_values(res.values, link)
        if wanted:
            found.update(c.config_address for c in index.by_values(link, wanted))
    found.discard(res.config_address)
    return tuple(sorted(found))


def _needs_parent(itype: IdentityType) -> bool:
    """Whether :func:`_find_parent` can find a parent for this type (else it is (None, False))."""
    return bool(itype.parents) or (not itype.taggable and itype.inherit_by_reference)


def build_inventory(doc: Document, config: Config) -> list[Identity]:
    """Every identity in one document, with owner and expiry resolved (own or inherited)."""
    catalog = config.catalog
    members: list[tuple[Resource, IdentityType]] = []
    # A deposed object shares its address with the current one: it neither lends its tags nor is
    # anyone's parent, and it is judged on its own tags (or its own parent's, see _deposed_parent).
    current: list[tuple[Resource, IdentityType]] = []
    kinds: dict[str, IdentityType] = {}  # the types of ``current``, by name
    deposed = False
    for res in doc.resources:
        itype = catalog.get(res.type)
        if itype is None or res.mode != "managed" or (itype.condition and not _applies(res, itype)):
            continue
        members.append((res, itype))
        if res.metadata and res.metadata.get("deposed"):
            deposed = True
        else:
            current.append((res, itype))
            if res.type not in kinds:
                kinds[res.type] = itype
    index = _Index(current, kinds)
    own: dict[str, tuple[dict[str, Any] | Unknown | None, bool]] = {
        res.address: read_tags(res.values, itype) for res, itype in current
    }
    index.own_tags = own
    seeking = {name for name, itype in kinds.items() if _needs_parent(itype)}
    none: tuple[Resource | None, bool] = (None, False)
    parents: dict[str, tuple[Resource | None, bool]] = {
        res.address: _find_parent(res, itype, index) if res.type in seeking else none for res, itype in current
    }

    def effective(address: str, depth: int = 0) -> tuple[Any, bool, str | None]:
        """(tags, partial, inherited_from) following the parent chain for untagged identities."""
        tags, partial = own[address]
        if tags is None or (isinstance(tags, dict) and not tags and not partial):
            parent, _ = parents.get(address, none)
            if parent is not None and parent.address in own and depth < 5:
                ptags, ppartial, _ = effective(parent.address, depth + 1)
                return ptags, ppartial, parent.address
        return tags, partial, None

    by_address: dict[str, tuple[Resource, IdentityType]] = {}  # made when first needed

    def unreadable(res: Resource, itype: IdentityType, inherited_from: str | None,
                   keys: tuple[str, ...]) -> str | None:
        """The address whose tag under one of ``keys`` (the owner's, the expiry's) is marked
        sensitive, when that is why it was not read: the identity itself, else the one whose tags it
        inherited (the chain effective() follows)."""
        if not by_address:
            by_address.update((r.address, (r, t)) for r, t in current)
        for _ in range(7):
            if tags_marked_sensitive(res, itype, keys):
                return res.address
            if inherited_from is None or inherited_from not in by_address:
                return None
            res, itype = by_address[inherited_from]
            tags, partial = own[res.address]
            parent = parents[res.address][0]
            untagged = tags is None or (isinstance(tags, dict) and not tags and not partial)
            inherited_from = parent.address if untagged and parent is not None else None
        return None

    identities: list[Identity] = []
    instants: dict[Any, tuple[datetime | None, str | None]] = {}
    helpers: dict[str, Resource] | None = None  # time_rotating/time_offset a native expiry may reference
    owner_keys, expiry_keys, declared = config.owner_keys, config.expiry_keys, bool(config.declarations)
    expiry_set = frozenset(expiry_keys)

    def parse(value: Any) -> tuple[datetime | None, str | None]:
        return _parsed(value, instants)

    for res, itype in members:
        tags: Any
        if deposed and res.metadata.get("deposed"):
            (tags, partial), inherited_from = read_tags(res.values, itype), None
            parent, expected = _deposed_parent(res, itype, index)
            if parent is not None and (tags is None or (isinstance(tags, dict) and not tags and not partial)):
                tags, partial, _ = effective(parent.address)
                inherited_from = parent.address
        else:
            tags, partial = own[res.address]
            if tags is None or (isinstance(tags, dict) and not tags and not partial):
                tags, partial, inherited_from = effective(res.address)
            else:
                inherited_from = None  # its own tags: what effective() gives
            parent, expected = parents[res.address]
        hidden = hidden_expiry = None
        if tags is UNKNOWN:
            tag_map: dict[str, Any] = {}
            owner_key, owner = None, UNKNOWN
            expiry_key, expires = None, UNKNOWN
        else:
            tag_map = tags if isinstance(tags, dict) else {}
            owner_key = owner = expiry_key = expires = None
            if tag_map:  # the first of the keys present, as lookup_tag() gives it, without the calls
                for key in owner_keys:
                    if key in tag_map:
                        owner_key, owner = key, tag_map[key]
                        break
                for key in expiry_keys:
                    if key in tag_map:
                        expiry_key, expires = key, tag_map[key]
                        break
            hidden = unreadable(res, itype, inherited_from, owner_keys) if owner_key is None else None
            if owner_key is None and partial and hidden is None:  # a marked owner tag wins over defaults
                owner = UNKNOWN
            hidden_expiry = unreadable(res, itype, inherited_from, expiry_keys) if expiry_key is None else None
            if expiry_key is None and partial and hidden_expiry is None:  # and so does a marked expiry tag
                expires = UNKNOWN
        if isinstance(owner, str):
            if not owner.strip():
                owner = None
        elif owner is not None and owner is not UNKNOWN:
            owner = str(owner)
        expires_at, error = None, None
        if expires is not None and expires is not UNKNOWN:
            expires_at, error = _parsed(expires, instants)
        # choose_expiry() decides nothing for fewer than two expiry tags (most identities).
        if expiry_key is not None and len(tag_map) > 1 and len(expiry_set.intersection(tag_map)) > 1:
            # Two expiry tags: the earliest governs, and their disagreement is a finding.
            choice = choose_expiry(tag_map, expiry_keys, parse)
            if choice is not None:
                expiry_key, expires, expires_at, error = choice.key, choice.value, choice.instant, choice.error
        own_source = "inherited" if inherited_from is not None else "tag"
        # Every field by position, in their order (a call with keywords costs more, and there is one
        # per identity): resource, category, owner, expires, expires_at, parent, inherited, tags,
        # owner_key, expiry_key, expiry_error, tags_unknown, parent_missing, owner_source and
        # expiry_source (as settle() sets them, so that an identity it leaves as it is need not be
        # copied), then claimed_expires, claimed_expires_at, native_attr, native_expires_at,
        # native_lifetime and declaration (settle()'s to set), platform_managed, owner_sensitive,
        # expiry_sensitive, parent_candidates.
        identity = Identity(
            res, itype.category, owner,
            expires if isinstance(expires, (str, Unknown)) or expires is None else str(expires), expires_at,
            parent.address if parent is not None else None, inherited_from is not None, tag_map, owner_key,
            expiry_key, error, partial or tags is UNKNOWN, expected and parent is None,
            own_source if owner is not None else None, own_source if expires is not None else None,
            None, None, None, None, None, None,
            itype.platform_managed, hidden if owner is None else None,
            hidden_expiry if expires is None else None,
            _candidates(res, itype, index) if expected and parent is None and not res.metadata.get("deposed")
            else (),
        )
        # settle() leaves an identity as it is when no declaration applies (owner and expiry are
        # both set, or there are none) and its type has no native expiry.
        if (declared and (owner is None or expires is None)) or res.type in NATIVE_EXPIRY:
            if helpers is None:
                helpers = helper_index(doc.resources)
            identity = settle(identity, config, helpers)
        identities.append(identity)
    addresses = [i.resource.address for i in identities]
    if len(set(addresses)) == len(addresses):  # no ties to break: the address alone orders them
        order = sorted(range(len(identities)), key=addresses.__getitem__)
        return [identities[n] for n in order]
    identities.sort(key=lambda i: (i.address, str(i.source)))
    return identities
