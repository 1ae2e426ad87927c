"""What every loader shares: decoding bytes, strict JSON, and dropping secrets from values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nhi_toolkit.catalog import SECRET_FIELDS, secret_fields_for
from nhi_toolkit.errors import InputError
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource

__all__ = ["Document", "Note", "clean_values", "decode_text", "parse_json", "read_bytes"]

#: Deeper than any real plan or state; beyond it input is refused rather than risking the stack.
MAX_DEPTH = 200


@dataclass(frozen=True)
class Note:
    """Something a loader could not evaluate and a rule must report (e.g. a module not followed)."""

    rule: str
    address: str
    message: str
    source: Location


@dataclass(frozen=True)
class Document:
    """One loaded input unit: a plan, a state, one synthesized stack, or one HCL directory."""

    path: str
    kind: InputKind
    resources: tuple[Resource, ...]
    drift: tuple[Resource, ...] = ()
    """Plans: resources changed outside Terraform (``resource_drift``), values as they now are."""
    refresh_only: bool = False
    terraform_version: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    notes: tuple[Note, ...] = ()
    """What the loader left unevaluated, for the rules to report (module-not-followed)."""


def read_bytes(path: str) -> bytes:
    """Read a file, turning OS errors into a clean InputError."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or type(exc).__name__})") from None


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 (with BOM, or LE/BE without one) to text."""
    if not data.strip():
        raise InputError(path, "file is empty")
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            path,
            "this is a binary plan file; convert it first with 'terraform show -json PLANFILE > plan.json'",
        )
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if len(data) >= 2 and data[1] == 0 and data[0] != 0:
            return data.decode("utf-16-le")
        if len(data) >= 2 and data[0] == 0 and data[1] != 0:
            return data.decode("utf-16-be")
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "not text: expected UTF-8 or UTF-16 JSON or HCL") from None


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


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
    """Strict JSON: no NaN/Infinity, bounded nesting; errors name line and column, never text."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        # An unterminated string always runs to the end of the text: the file was cut off inside it.
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise InputError(path, "JSON ends early (truncated file?)", exc.lineno, exc.colno) from None
        raise InputError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except ValueError:
        raise InputError(path, "not valid JSON: NaN and Infinity are not allowed") from None
    except RecursionError:
        raise InputError(path, "JSON nesting is too deep") from None
    return doc


def check_depth(doc: Any, path: str) -> None:
    """Refuse pathologically deep nesting before any recursive walk."""
    if not _depth_ok(doc):
        raise InputError(path, f"JSON nesting is deeper than {MAX_DEPTH} levels")


_DROP = object()


def _clean(value: Any, sensitive: Any, unknown: Any, top: bool,
           secrets: frozenset[str] = SECRET_FIELDS) -> Any:
    if sensitive is True:
        return _DROP
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict):
        sens = sensitive if isinstance(sensitive, dict) else None
        unk = unknown if isinstance(unknown, dict) else None
        if not sens and not unk and not (top and not secrets.isdisjoint(value)):
            return value
        out: dict[str, Any] = {}
        for k, v in value.items():
            if top and k in secrets:
                continue
            c = _clean(v, sens.get(k) if sens else None, unk.get(k) if unk else None, False)
            if c is not _DROP:
                out[k] = c
        if unk:
            for k, flag in unk.items():
                if (flag is True and k not in out and not (top and k in secrets)
                        and not (sens and sens.get(k) is True)):
                    out[k] = UNKNOWN
        return out
    if isinstance(value, list):
        sens_l = sensitive if isinstance(sensitive, list) else None
        unk_l = unknown if isinstance(unknown, list) else None
        if not sens_l and not unk_l:
            return value
        items = []
        for i, v in enumerate(value):
            s = sens_l[i] if sens_l and i < len(sens_l) else None
            u = unk_l[i] if unk_l and i < len(unk_l) else None
            c = _clean(v, s, u, False)
            if c is not _DROP:
                items.append(c)
        return items
    return value


def clean_values(values: Any, sensitive: Any = None, unknown: Any = None, rtype: str = "") -> dict[str, Any]:
    """Attributes with sensitive values and known secret fields removed, unknowns as UNKNOWN.

    ``sensitive``/``unknown`` mirror the value's structure with ``true`` at marked paths, as in
    ``after_sensitive``/``after_unknown``/``sensitive_values``. Unmarked sub-trees are shared, not
    copied, to keep memory close to the parsed document's.
    """
    if not isinstance(values, dict):
        return {}
    if sensitive is True:
        return {}
    out = _clean(values, sensitive, unknown, True, secret_fields_for(rtype))
    return out if isinstance(out, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is a list, else an empty list (a hand-edited file may put anything there)."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """The value if it is a string, else None."""
    return value if isinstance(value, str) else None


def collect_references(expressions: Any, into: set[str]) -> None:
    """Gather every ``references`` list in a plan configuration ``expressions`` tree."""
    stack = [expressions]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            refs = item.get("references")
            if isinstance(refs, list):
                into.update(r for r in refs if isinstance(r, str))
            stack.extend(v for k, v in item.items() if k != "references" and isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))
