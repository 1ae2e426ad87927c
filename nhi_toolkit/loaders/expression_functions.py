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
