"""Every identity one identity hangs off, not only the parent the inventory chose for it.

An attachment or credential can bind two identities: an exclusive policy attachment naming two
roles, a grant that refers to an expired identity and a live one, a key that refers to one identity
and ``depends_on`` another. The inventory keeps one parent (the one it inherits owner and expiry
from); retirement needs all of them, so that destroying the binding with one parent never cuts
another parent's access unseen.

A link is found as the inventory finds a parent: by the catalog's parent attributes when the child
names its parent by value (an ARN or name), else by reference (configuration references, or the
dependencies Terraform records in state, narrowed to the same module and instance key). State
records dependencies transitively; the state loader keeps only those not reached through another
resource of the file (of any type, so a key that refers to ``old`` and to a non-identity that
refers to ``live`` hangs off ``old`` alone), and here a reference that another referenced identity
already makes (``c`` -> ``b`` -> ``a``, or a redundant ``depends_on``) is not a link of its own.
What state cannot tell apart from a direct dependency (a path through a data source, which records
no dependencies; through a resource only some of whose instances reach it) stays a link: a
conflict, refused, never a live identity's binding cut unseen.

Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from nhi_toolkit.addresses import within_module
from nhi_toolkit.catalog import ParentLink
from nhi_toolkit.config import Config
from nhi_toolkit.inventory import link_values, values_at
from nhi_toolkit.model import Identity

__all__ = ["Links"]


def _short(value: Any) -> Any:
    """The last segment of an ARN or path (an ARN given where a name is expected still matches)."""
    return value.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if isinstance(value, str) else value


class Links:
    """Lookups over one inventory answering :meth:`of`: what an identity hangs off, and how."""

    def __init__(self, identities: Iterable[Identity], config: Config):
        self.config = config
        self.by_addr: dict[str, Identity] = {}
        self.by_config: dict[str, list[Identity]] = defaultdict(list)
        self.refs_of: dict[str, set[str]] = defaultdict(set)
        self.by_value: dict[tuple[str, str, Any], list[Identity]] = defaultdict(list)
        wanted: dict[str, set[str]] = defaultdict(set)
        for itype in config.catalog.values():
            for link in itype.parents:
                for ptype in link.parent_types:
                    wanted[ptype].update(link.parent_attrs)
        for ident in identities:
            res = ident.resource
            self.by_addr[ident.address] = ident
            self.by_config[res.config_address].append(ident)
            self.refs_of[res.config_address].update(res.references)
            for attr in wanted.get(ident.type, ()):
                found = values_at(res.values, tuple(attr.split(".")))[0]
                for v in found:
                    if isinstance(v, (str, int)) and not isinstance(v, bool):
                        for key in dict.fromkeys((v, _short(v))):
                            self.by_value[(ident.type, attr, key)].append(ident)

    def _direct(self, refs: Sequence[str]) -> list[str]:
        """References not already made through another referenced resource (state's dependencies
        are transitive)."""
        return [r for r in refs if not any(r in self.refs_of.get(s, ()) for s in refs if s != r)]

    def _valued(self, link: ParentLink, values: list[Any]) -> list[Identity]:
        out: dict[str, Identity] = {}
        for v in values:
            for key in dict.fromkeys((v, _short(v))):
                for ptype in link.parent_types:
                    for attr in link.parent_attrs:
                        for cand in self.by_value.get((ptype, attr, key), ()):
                            out.setdefault(cand.address, cand)
        return list(out.values())

    def _referenced(self, ident: Identity, ref: str, types: Sequence[str]) -> list[Identity]:
        res = ident.resource
        cands = [c for c in self.by_config.get(ref, ()) if c.type in types and c.address != ident.address]
        cands = [c for c in cands if within_module(c.resource.module, res.module)] or cands  # or one it calls
        keyed = [c for c in cands if res.index is not None and c.resource.index == res.index]
        return keyed or cands

    def of(self, ident: Identity) -> dict[str, str]:
        """Address of every identity ``ident`` hangs off -> how, in words (names only, no values).
        Empty for a type without parent links (a secret copy goes with whatever holds it)."""
        out: dict[str, str] = {}
        itype = self.config.catalog.get(ident.type)
        if itype is None or not itype.parents:
            return out
        refs = self._direct(ident.resource.references)
        for link in itype.parents:
            values, unknown = link_values(ident.resource.values, link)
            if values:
                for cand in self._valued(link, values):
                    if cand.address != ident.address:
                        out[cand.address] = f"its {link.attr} names {cand.address}"
                continue
            if link.steps and not unknown:
                continue  # the attribute names nothing
            for ref in refs:
                for cand in self._referenced(ident, ref, link.parent_types):
                    out.setdefault(cand.address, f"it refers to {ref}")
        parent = self.by_addr.get(ident.parent) if ident.parent else None
        if parent is not None and parent.address != ident.address and not (
                parent.resource.config_address in ident.resource.references
                and parent.resource.config_address not in refs):
            # (A parent found only through a dependency that another one makes is no link.)
            out.setdefault(parent.address, f"its parent link leads to {parent.address}")
        return out
