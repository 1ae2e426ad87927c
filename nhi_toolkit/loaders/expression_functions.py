"""The Terraform functions the static evaluator knows (``merge``, ``toset``, ``length``, ...), applied
to arguments already resolved; any other function, or an argument of the wrong shape, is UNKNOWN."""

from __future__ import annotations

import re
from typing import Any

from nhi_toolkit.model import UNKNOWN

__all__ = ["TfMap", "TfSet", "call_function", "convert", "one_primitive", "primitive", "same_type", "unmarked"]


class TfSet(list):  # type: ignore[type-arg]
    """A set value (``toset()``), its elements in Terraform's order. Terraform refuses to index a set
    or to read it with ``element()``, ``index()`` or ``concat()``; a variable typed ``list(...)``
    turns it back into a list. Which of the two a value passed to a module became, only the types
    say, so reading it by position is never known here."""


class TfMap(dict):  # type: ignore[type-arg]
    """A map value (``tomap()``, a variable typed ``map(...)``), not an object: its elements have
    one type, and a default ``lookup()`` gives it must convert to that type."""


def unmarked(value: Any) -> Any:
    """``value`` with every :class:`TfSet` and :class:`TfMap` a plain list or dict again (what a
    resource's values hold once evaluated); the same object when there is none (nothing copied)."""
    kind = type(value)
    if kind is dict or kind is TfMap:
        changed = {k: u for k, v in value.items() if type(v) in _MARKED and (u := unmarked(v)) is not v}
        return {**value, **changed} if changed or kind is TfMap else value
    if kind is list or kind is TfSet:
        if kind is list and not any(type(v) in _MARKED for v in value):
            return value
        items = [unmarked(v) for v in value]
        return items if kind is TfSet or any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


_MARKED = frozenset({dict, list, TfSet, TfMap})
"""Value types :func:`unmarked` looks into."""


def same_type(a: Any, b: Any) -> bool:
    """Whether two values are known to unify into one Terraform type with neither converted (as a
    conditional's results must): the same primitive type; objects with the same attributes, or
    whose values are all of one primitive type (a map); tuples alike. Anything else (a typed null,
    a set, numbers meeting strings) is not known to, so a conditional inside try() is unknown."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, TfSet) or isinstance(b, TfSet):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() == b.keys():
            return all(same_type(a[k], b[k]) for k in a)
        return one_primitive([*a.values(), *b.values()])
    if isinstance(a, list) and isinstance(b, list):
        if len(a) == len(b):
            return all(same_type(x, y) for x, y in zip(a, b, strict=True))
        return one_primitive([*a, *b])
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return primitive(a) is primitive(b) is not None


def primitive(value: Any) -> type | None:
    """A value's primitive Terraform type (``str``, ``float`` for any number, ``bool``); None else."""
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float)):
        return float
    return str if isinstance(value, str) else None


def one_primitive(values: list[Any]) -> bool:
    """Whether ``values`` are all strings, all numbers or all bools (no null, no collection): what
    Terraform unifies into one element type without converting any of them."""
    kinds = {primitive(v) for v in values}
    return len(kinds) <= 1 and None not in kinds


_INTEGER = re.compile(r"-?[0-9]+")
_PRIMITIVES = frozenset({"string", "number", "bool"})


def convert(value: Any, plain: str) -> Any:
    """``value`` converted to a variable's type, as Terraform converts what a variable is given;
    what it would refuse, or what is not worked out here, is UNKNOWN. ``string``, ``number``,
    ``bool`` and ``any`` here; collections and objects by :func:`type_convert.convert_type`, which
    converts their primitive elements here."""
    if value is UNKNOWN or value is None or plain == "any":
        return value
    if plain not in _PRIMITIVES:
        from nhi_toolkit.loaders.type_convert import convert_type

        return convert_type(value, plain)
    if plain == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        return value if isinstance(value, str) else UNKNOWN
    if plain == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else UNKNOWN
    if isinstance(value, bool):  # bool
        return value
    return value == "true" if value in ("true", "false") else UNKNOWN


def call_function(fn: str, args: list[Any]) -> Any:
    """``fn(*args)`` as Terraform computes it, or UNKNOWN (no argument may be UNKNOWN)."""
    if fn == "merge":
        merged: dict[str, Any] = {}
        for v in args:
            if v is None:
                continue
            if not isinstance(v, dict):
                return UNKNOWN
            merged.update(v)
        maps = [v for v in args if v is not None]
        return TfMap(merged) if maps and all(isinstance(v, TfMap) for v in maps) else merged
    if any(isinstance(a, TfSet) for a in args) and fn in ("element", "index", "concat"):
        return UNKNOWN  # a set: an error, unless a list(...) type made it a list again
    if fn == "lookup" and len(args) in (2, 3) and isinstance(args[0], dict) and isinstance(args[1], str):
        if len(args) == 3 and isinstance(args[2], (dict, list)) and isinstance(args[0], TfMap):
            return UNKNOWN  # converted to the map's element type (an error for a string map)
        if args[1] in args[0]:
            return args[0][args[1]]
        return args[2] if len(args) == 3 else UNKNOWN  # Terraform: an error without a default
    if fn == "coalesce" and args and all(v is None or isinstance(v, str) for v in args):
        # the first argument that is neither null nor an empty string (all of them: an error)
        return next((v for v in args if v), UNKNOWN)
    if fn == "element" and len(args) == 2 and isinstance(args[0], list) and args[0] \
            and isinstance(args[1], int) and not isinstance(args[1], bool) and args[1] >= 0:
        return args[0][args[1] % len(args[0])]  # Terraform wraps the index around the list
    if fn == "index" and len(args) == 2 and isinstance(args[0], list) and isinstance(args[1], (str, int)):
        # the first position of the value (a value not in the list is an error)
        return next((i for i, v in enumerate(args[0]) if v == args[1] and type(v) is type(args[1])), UNKNOWN)
    if fn == "concat" and args and all(isinstance(v, list) for v in args):
        return [v for lst in args for v in lst]
    if fn == "join" and len(args) >= 2 and isinstance(args[0], str) and all(isinstance(v, list) for v in args[1:]):
        items = [v for lst in args[1:] for v in lst]
        return args[0].join(items) if all(isinstance(v, str) for v in items) else UNKNOWN
    if len(args) != 1:
        return UNKNOWN
    (arg,) = args
    if fn == "toset":
        if isinstance(arg, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in arg) \
                and (not arg or any(isinstance(v, str) for v in arg)):
            # A set of strings: unique, in Terraform's (lexical) order (numbers alone stay numbers).
            return TfSet(sorted({str(v) for v in arg}))
        return UNKNOWN
    if fn == "tolist":  # the elements unified into one type: mixed ones may convert or fail
        return list(arg) if isinstance(arg, list) and one_primitive(arg) else UNKNOWN
    if fn == "length":
        return len(arg) if isinstance(arg, (list, dict, str)) else UNKNOWN
    if fn == "tomap":  # the values unified into one type: mixed ones may convert or fail
        return TfMap(arg) if isinstance(arg, dict) and one_primitive(list(arg.values())) else UNKNOWN
    if fn in ("keys", "values"):
        if not isinstance(arg, dict):
            return UNKNOWN
        return sorted(arg) if fn == "keys" else [arg[k] for k in sorted(arg)]
    if fn in ("tostring", "lower", "upper", "trimspace"):
        if not isinstance(arg, str):
            return UNKNOWN
        return {"tostring": arg, "lower": arg.lower(), "upper": arg.upper(),
                "trimspace": arg.strip()}[fn]
    return UNKNOWN
