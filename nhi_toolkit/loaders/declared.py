"""A resource block's attributes as the checker keeps them: resolved statically, secrets and
meta-arguments left out, and what Terraform marks sensitive left out with its path, as a plan does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nhi_toolkit.loaders.expression_forms import MarkedTags, has_unknown
from nhi_toolkit.loaders.expression_functions import unmarked
from nhi_toolkit.loaders.expression_text import find_references, unicode_target
from nhi_toolkit.loaders.expressions import Scope
from nhi_toolkit.model import UNKNOWN

__all__ = ["declared_targets", "declared_values", "through_locals"]

_GONE = object()


def _unmarked_part(raw: Any, value: Any, path: tuple[str, ...], scope: Scope, marked: list[tuple[str, ...]]) -> Any:
    """What of ``value`` (``raw`` resolved, holding a marked value) Terraform leaves unmarked, the
    paths of the rest added to ``marked``; ``_GONE`` when it is marked whole. An object written out is
    split by entry, a nested block (a one-element list) by attribute; a map computed whole by key."""
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict) and isinstance(value, list) \
            and len(value) == 1 and isinstance(value[0], dict):
        inner = _unmarked_part(raw[0], value[0], path, scope, marked)
        return _GONE if inner is _GONE else [inner]
    if not isinstance(value, dict):
        marked.append(path)
        return _GONE
    kept: dict[str, Any] = {}
    if not isinstance(raw, dict):  # a map computed whole: its entries not known are marked
        for name in value:
            if has_unknown(value[name]):
                marked.append((*path, name))
            else:
                kept[name] = unmarked(value[name])
        return kept
    found: list[tuple[str, ...]] = []
    for k, v in raw.items():  # written out: which of its entries are marked
        if k.startswith("__") and k.endswith("__"):
            continue  # the parser's own keys (line numbers), not entries
        name = scope._key(k, 0)
        if not isinstance(name, str) or name not in value:
            marked.append(path)
            return _GONE
        item, hidden = scope.marked(v)
        if not hidden:
            kept[name] = unmarked(item)
        elif (part := _unmarked_part(v, item, (*path, name), scope, found)) is not _GONE:
            kept[name] = part
    marked.extend(found)
    return kept


def declared_values(body: Mapping[str, Any], scope: Scope, skip: frozenset[str], rtype: str,
                    default_tags: Any, marked: list[tuple[str, ...]] | None = None) -> dict[str, Any]:
    """A resource block's attributes resolved statically, secrets and meta-arguments left out.

    AWS resources get ``tags_all`` as the provider computes it: ``default_tags`` under ``tags``.
    What derives from a value Terraform marks sensitive is left out as a plan leaves it out, and its
    path (attribute, then keys of objects and attributes of nested blocks) added to ``marked``.
    """
    from nhi_toolkit.catalog import secret_fields_for

    secrets = secret_fields_for(rtype)
    values: dict[str, Any] = {}
    for key, raw in body.items():
        if key in skip or key in secrets or key.startswith("__"):
            continue
        value, hidden = scope.marked(raw)
        if not hidden:
            values[key] = unmarked(value)
            continue
        if marked is not None and (kept := _unmarked_part(raw, value, (key,), scope, marked)) is not _GONE:
            values[key] = kept
    if rtype.startswith("aws_") and default_tags:
        tag_marks = [p for p in marked or () if p[0] == "tags"]
        tags = values.get("tags")
        if tags is None:  # omitted or null: tags_all is the default tags alone
            tags = {}
        defaults_marked = default_tags.marked if isinstance(default_tags, MarkedTags) else frozenset()
        if ("tags",) in tag_marks or (isinstance(default_tags, MarkedTags) and default_tags.whole):
            if marked is not None:
                marked.append(("tags_all",))  # the provider's copy is marked as the tags are
        elif default_tags is UNKNOWN or tags is UNKNOWN:
            values["tags_all"] = UNKNOWN
        elif isinstance(default_tags, dict) and isinstance(tags, dict):
            gone = {p[1] for p in tag_marks}  # a marked tag overrides the default: never the default's
            gone.update(k for k in defaults_marked if k not in tags)  # a marked default the tags leave
            values["tags_all"] = unmarked({k: v for k, v in {**default_tags, **tags}.items() if k not in gone})
            if marked is not None:
                marked.extend(("tags_all", k) for k in sorted(gone))
    return values


def declared_targets(refs: set[str], own_address: str, module: str = "") -> tuple[str, ...]:
    """The resources a block refers to (config addresses), itself excluded, sorted.

    ``module`` is the configuration path of the module the block is in (``module.a.module.b``):
    references inside a module name resources of that module.
    """
    from nhi_toolkit.addresses import reference_target

    own = f"{module}.{own_address}" if module else own_address
    return tuple(sorted({t for r in refs if (t := reference_target(r, module) or unicode_target(r, module))
                         and t != own}))


def through_locals(refs: set[str], local_values: Mapping[str, Any]) -> set[str]:
    """``refs`` with what each ``local.x`` among them refers to, transitively: ``user = local.name``
    where ``name = aws_iam_user.u[0].name`` refers to the user, as Terraform's graph does."""
    out = set(refs)
    todo = [r for r in refs if r.startswith("local.")]
    seen: set[str] = set()
    while todo:
        name = todo.pop().split(".", 2)[1]
        if name in seen or name not in local_values:
            continue
        seen.add(name)
        found: set[str] = set()
        find_references(local_values[name], found)
        todo.extend(f for f in found - out if f.startswith("local."))
        out |= found
    return out
