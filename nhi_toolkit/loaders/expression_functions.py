"""The Terraform functions the static evaluator knows (``merge``, ``toset``, ``length``, ...), applied
to arguments already resolved; any other function, or an argument of the wrong shape, is UNKNOWN."""

from __future__ import annotations

from typing import Any

from nhi_toolkit.model import UNKNOWN

__all__ = ["call_function"]


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
        return merged
    if fn == "lookup" and len(args) in (2, 3) and isinstance(args[0], dict) and isinstance(args[1], str):
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
    if fn in ("toset", "tolist"):
        if isinstance(arg, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in arg):
            # A set of strings: unique, in Terraform's (lexical) order.
            return sorted({str(v) for v in arg}) if fn == "toset" else arg
        return arg if fn == "tolist" and isinstance(arg, list) else UNKNOWN
    if fn == "length":
        return len(arg) if isinstance(arg, (list, dict, str)) else UNKNOWN
    if fn == "tomap":
        return arg if isinstance(arg, dict) else UNKNOWN
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
