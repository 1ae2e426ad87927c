"""Strict JSON as Terraform writes it: no NaN or Infinity, no number out of range, no key repeated with
another value, bounded nesting; errors name line and column, never a value."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from json.scanner import NUMBER_RE
from typing import Any

from nhi_toolkit.errors import InputError

__all__ = ["MAX_DEPTH", "check_depth", "parse_json"]

#: Deeper than any real plan or state; beyond it input is refused rather than risking the stack.
MAX_DEPTH = 200


class _NotTerraformJson(ValueError):
    """Raised by the decoder hooks: well-formed JSON that Terraform never writes."""


def _reject_constant(name: str) -> Any:
    raise _NotTerraformJson("NaN and Infinity are not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value == math.inf or value == -math.inf:
        raise _NotTerraformJson("number out of range")
    return value


def _unique_pairs(pairs: list[tuple[str, Any]], dict: type[dict[str, Any]] = dict,
                  len: Callable[[Any], int] = len) -> dict[str, Any]:
    # Called by the C decoder once per object; the length comparison is the whole duplicate check.
    # Builtins bound as defaults: measured, this hook then costs no more than object_pairs_hook=dict.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        _check_duplicates(pairs)
    return obj


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values (``true`` is not ``1``, as it is to Python's ``==``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check_duplicates(pairs: list[tuple[str, Any]]) -> None:
    # A key repeated with the same value is unambiguous (hand-edited fixtures do this); a key
    # repeated with another value is not: the last would silently win, and could hide identities.
    first: dict[str, Any] = {}
    for key, value in pairs:
        if key in first and not _same_json(first[key], value):
            raise _NotTerraformJson("duplicate key with different values")
        first.setdefault(key, value)


_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m is not None else pos
_KEY_SHOWN = 40


def _key_label(key: str) -> str:
    shown = key if len(key) <= _KEY_SHOWN else key[:_KEY_SHOWN] + "..."
    return json.dumps(shown)


def _int_digits_limit() -> int:
    getter = getattr(sys, "get_int_max_str_digits", None)
    return int(getter()) if getter is not None else 0


_STRICT = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_float=_finite_float,
                           parse_constant=_reject_constant)


def _scalar_problem(text: str, pos: int, digits: int) -> str | None:
    if text.startswith(("NaN", "Infinity", "-Infinity"), pos):
        return "NaN and Infinity are not allowed in JSON"
    m = NUMBER_RE.match(text, pos)
    if m is None:
        return None
    integer, frac, exp = m.groups()
    if frac or exp:
        return "a number is out of range (larger than a 64-bit float can hold)"
    if digits and len(integer.lstrip("-")) > digits:
        return f"an integer has more than {digits} digits"
    return "a number is out of range"


def _locate_problem(text: str) -> tuple[str, int] | None:
    """Say what and where, in JSON text the strict decoder refused with a ValueError: a duplicate
    key, a number out of range, a NaN/Infinity literal or an integer too long to convert.

    Runs only on that error path. It walks down from the top value: the members of an object (or the
    items of an array) are each decoded by the C scanner with the same strict hooks, keys compared
    on the way, and the first member that fails is the one descended into. Each level decodes at most
    its parent's text once, so finding the spot costs a few decodes of the file, at C speed, whatever
    its size; and the walk is a loop, not recursion. Returns (message, offset) or None.
    """
    scan = _STRICT.scan_once  # type: ignore[attr-defined]
    digits = _int_digits_limit()
    pos = _skip_ws(text, 0)
    while pos < len(text):
        opener = text[pos]
        if opener not in "{[":
            problem = _scalar_problem(text, pos, digits)
            return (problem, pos) if problem else None
        closer = "}" if opener == "{" else "]"
        keys: dict[str, Any] = {}
        i = _skip_ws(text, pos + 1)
        failing = None
        while failing is None and text[i:i + 1] != closer:
            key = None
            key_at = i
            if opener == "{":
                if text[i:i + 1] != '"':
                    return None
                key, after = scanstring(text, i + 1)
                colon = _skip_ws(text, after)
                if text[colon:colon + 1] != ":":
                    return None
                i = _skip_ws(text, colon + 1)
            try:
                value, end = scan(text, i)
                if key is not None:
                    if key in keys and not _same_json(keys[key], value):
                        return (f"duplicate key {_key_label(key)} with different values in an object "
                                "(Terraform never writes one; a reader would silently keep only the "
                                "last)"), key_at
                    keys.setdefault(key, value)
            except json.JSONDecodeError:
                return None
            except ValueError:
                failing = i
                break
            except (StopIteration, RecursionError):
                return None
            i = _skip_ws(text, end)
            if text[i:i + 1] == ",":
                i = _skip_ws(text, i + 1)
        if failing is None:
            return None
        pos = failing
    return None


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _depth_ok(obj: Any) -> bool:
    stack = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return True


def parse_json(text: str, path: str) -> Any:
    """Strict JSON: no NaN/Infinity, no number out of range, no duplicate key, bounded nesting.

    Errors name line and column, never text: a duplicate is named by its key (escaped, truncated),
    never by a value.
    """
    try:
        doc = json.loads(text, object_pairs_hook=_unique_pairs, parse_float=_finite_float,
                         parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        # An unterminated string always runs to the end of the text: the file was cut off inside it.
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise InputError(path, "JSON ends early (truncated file?)", exc.lineno, exc.colno) from None
        raise InputError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError(path, "JSON nesting is too deep") from None
    except ValueError as exc:
        # Ours (duplicate key, out of range, NaN) or int()'s digit limit; say which, and where.
        try:
            found = _locate_problem(text)
        except (ValueError, RecursionError, MemoryError, IndexError):
            found = None
        if found is not None:
            message, pos = found
            line, col = _line_col(text, pos)
            raise InputError(path, f"not valid Terraform JSON: {message}", line, col) from None
        if isinstance(exc, _NotTerraformJson):
            raise InputError(path, f"not valid Terraform JSON: {exc}") from None
        raise InputError(path, "not valid Terraform JSON: a number is out of range") from None
    return doc


def check_depth(doc: Any, path: str) -> None:
    """Refuse pathologically deep nesting before any recursive walk."""
    if not _depth_ok(doc):
        raise InputError(path, f"JSON nesting is deeper than {MAX_DEPTH} levels")
