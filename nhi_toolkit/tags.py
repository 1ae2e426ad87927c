"""How an identity's tags are read from its decoded values: the catalog's tag path and format
(maps, ``key=value`` lists and text), the provider's ``tags_all`` copy, and where Terraform marks an
owner tag sensitive."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nhi_toolkit.catalog import IdentityType
from nhi_toolkit.model import UNKNOWN, Resource, Unknown

__all__ = ["lookup_tag", "read_path", "read_tags", "tags_marked_sensitive", "values_at"]

_ABSENT = object()


def read_path(values: Mapping[str, Any], path: str) -> Any:
    """Follow a dotted path through decoded values; None when absent, UNKNOWN when unknown."""
    node: Any = values
    for step in path.split("."):
        if node is UNKNOWN:
            return UNKNOWN
        if isinstance(node, dict):
            if step not in node:
                return None
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        elif isinstance(node, list) and len(node) == 1 and isinstance(node[0], dict):
            node = node[0].get(step)  # a nested block written as a one-element list
        else:
            return None
    return node


def _parse_pairs(items: Iterable[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item is UNKNOWN:
            out["\0unknown"] = UNKNOWN
            continue
        if not isinstance(item, str):
            continue
        for sep in ("=", ":"):
            if sep in item:
                k, v = item.split(sep, 1)
                out.setdefault(k.strip(), v.strip())
                break
    return out


def read_tags(values: Mapping[str, Any], itype: IdentityType) -> tuple[dict[str, Any] | Unknown | None, bool]:
    """The identity's own tags: (tags or UNKNOWN or None when it has none, some-keys-unknown)."""
    path = itype.tags_path
    if path is None:
        return None, False
    # One step into a dict is a look-up (what read_path does, without splitting the path).
    raw = values.get(path) if "." not in path and isinstance(values, dict) else read_path(values, path)
    fresh = False  # raw is a dict made here (not the values' own): it need not be copied
    for extra in itype.extra_tags_paths:  # e.g. Kubernetes annotations over labels
        more = read_path(values, extra)
        if more is UNKNOWN:
            raw = UNKNOWN
        elif isinstance(more, dict) and raw is not UNKNOWN:
            raw, fresh = ({**raw, **more}, True) if isinstance(raw, dict) else (more, False)
    partial = False
    if path == "tags" and "tags_all" in values:
        tags_all = values["tags_all"]
        if isinstance(tags_all, dict):
            raw, fresh = ({**tags_all, **raw}, True) if isinstance(raw, dict) else (tags_all, False)
        elif tags_all is UNKNOWN:
            partial = True
    if raw is UNKNOWN:
        return UNKNOWN, True
    if raw is None:
        return ({}, True) if partial else (None, False)
    if itype.tags_format == "list" and isinstance(raw, list):
        tags = _parse_pairs(raw)
    elif itype.tags_format == "kv-text" and isinstance(raw, str):
        tags = _parse_pairs(raw.replace(",", " ").replace(";", " ").split())
    elif isinstance(raw, dict):
        tags = raw if fresh else dict(raw)
    else:
        return None, False
    if tags.pop("\0unknown", None) is UNKNOWN:
        partial = True
    if itype.ignored_tag_keys:
        tags = {k: v for k, v in tags.items()
                if not (isinstance(k, str) and any(m in k for m in itype.ignored_tag_keys))}
    return tags, partial


def lookup_tag(tags: Mapping[str, Any] | None, keys: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first of ``keys`` the tags carry, and its value; (None, None) when none is there."""
    if not tags:
        return None, None
    for key in keys:
        if key in tags:
            return key, tags[key]
    return None, None


def values_at(node: Any, steps: tuple[str, ...]) -> tuple[list[Any], bool]:
    """Every scalar at ``steps`` (each element of a list is searched), and whether any step was
    unknown. Map keys may contain dots (``kubernetes.io/service-account.name``)."""
    if len(steps) == 1 and isinstance(node, dict):  # one attribute: the common case, no stack
        cur = node.get(steps[0], _ABSENT)
        if cur is UNKNOWN:
            return [], True
        if not isinstance(cur, list):
            return ([cur] if isinstance(cur, (str, int, bool)) else []), False
    found: list[Any] = []
    unknown = False
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        cur, i = stack.pop()
        if cur is UNKNOWN:
            unknown = True
        elif isinstance(cur, list):
            stack.extend((item, i) for item in reversed(cur))
        elif i == len(steps):
            if isinstance(cur, (str, int, bool)):
                found.append(cur)
        elif isinstance(cur, dict) and steps[i] in cur:
            stack.append((cur[steps[i]], i + 1))
    return found, unknown


def tags_marked_sensitive(res: Resource, itype: IdentityType, owner_keys: tuple[str, ...]) -> bool:
    """True when Terraform marks sensitive the value of an owner tag of ``res`` (or its tag map, or
    an attribute holding it): the loader dropped it, so the owner is unreadable, not absent."""
    paths = res.metadata.get("sensitive_paths")
    if not paths or itype.tags_path is None:
        return False
    roots = [tuple(p.split(".")) for p in (itype.tags_path, *itype.extra_tags_paths)]
    if itype.tags_path == "tags":
        roots.append(("tags_all",))
    keyed = itype.tags_format not in ("list", "kv-text")
    for marked in paths:
        # a nested block is a one-element list in a plan (metadata[0].labels): its index is no step
        # of a tag path, which reads through it
        path = tuple(step for step in marked if not step.isdigit())
        for root in roots:
            if root[:len(path)] == path:
                return True  # the tag map itself, or what holds it
            if path[:len(root)] == root and (not keyed or path[len(root)] in owner_keys):
                return True
    return False
