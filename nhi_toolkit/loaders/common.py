"""What every loader shares: reading inputs within limits, decoding bytes, and dropping secrets from
values. Strict JSON is :mod:`nhi_toolkit.loaders.strict_json` (``parse_json`` is importable here too)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from typing import Any

from nhi_toolkit.catalog import SECRET_FIELDS, secret_fields_for
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.strict_json import MAX_DEPTH, check_depth, parse_json  # re-exported
from nhi_toolkit.model import UNKNOWN
from nhi_toolkit.records import Document, Note  # re-exported: their former home

__all__ = [
    "DEFAULT_MAX_INPUT_MB", "MAX_DEPTH", "STDIN", "Document", "Note", "check_depth", "clean_values",
    "decode_text", "file_kind", "input_limit", "input_limit_set", "parse_json", "read_bytes", "read_stdin",
    "sensitive_metadata", "stat_input",
]

#: The input name that reads standard input, as it appears in reports and messages.
STDIN = "-"

#: Default cap on one input's size (``max_input_mb``, ``--max-input-mb``), in MiB.
DEFAULT_MAX_INPUT_MB = 2048
_MIB = 1024 * 1024
_max_input_mb: ContextVar[float] = ContextVar("max_input_mb", default=DEFAULT_MAX_INPUT_MB)


@contextmanager
def input_limit(max_mb: float | None) -> Iterator[None]:
    """Within the block, :func:`read_bytes` refuses inputs larger than ``max_mb`` MiB (None: default)."""
    token = _max_input_mb.set(DEFAULT_MAX_INPUT_MB if max_mb is None else max_mb)
    try:
        yield
    finally:
        _max_input_mb.reset(token)


def input_limit_set() -> bool:
    """True inside an :func:`input_limit` block (a command's flag or config already chose the cap)."""
    return _max_input_mb in copy_context()


def _mb(value: float) -> str:
    return f"{value:g} MiB"


_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


def file_kind(mode: int) -> str | None:
    """None for a regular file, else what it is instead ("is a FIFO (named pipe)", ...)."""
    if stat.S_ISREG(mode):
        return None
    for test, label in _KINDS:
        if test(mode):
            return label
    return "is not a regular file"


def stat_input(path: str) -> os.stat_result:
    """``os.stat`` of a named input (symbolic links followed), OS errors as a clean InputError."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(path, "is a broken symbolic link (its target does not exist)") from None
        raise InputError(path, "no such file or directory") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or type(exc).__name__})") from None
    except ValueError:  # an embedded NUL
        raise InputError(path, "not a valid file name") from None


def _too_big(path: str, limit_mb: float) -> InputError:
    return InputError(path, f"is larger than the input size limit of {_mb(limit_mb)} "
                            "(raise it with --max-input-mb or max_input_mb in [tool.nhi])")


def _not_a_file(path: str, kind: str) -> InputError:
    return InputError(path, f"{kind}, not a regular file")


def read_bytes(path: str, max_mb: float | None = None) -> bytes:
    """Read a regular file of at most ``max_mb`` MiB (default: the ``input_limit`` in force).

    Anything else is refused before a byte is read: a FIFO would block forever and a device like
    ``/dev/zero`` never ends. The path is checked with ``stat`` first, then opened non-blocking (a
    FIFO swapped in meanwhile cannot block the open) and the opened descriptor checked again, so what
    is read is the regular file that was checked. The read stops one byte past the cap whatever the
    size reported, so a file that grows while it is read cannot exhaust memory either.
    """
    limit_mb = _max_input_mb.get() if max_mb is None else max_mb
    cap = max(1, int(limit_mb * _MIB))
    kind = file_kind(stat_input(path).st_mode)
    if kind is not None:
        raise _not_a_file(path, kind)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        st = os.fstat(fd)
        kind = file_kind(st.st_mode)
        if kind is not None:
            raise _not_a_file(path, kind)
        if st.st_size > cap:
            raise _too_big(path, limit_mb)
        with open(fd, "rb", closefd=False) as fh:
            # One read of the announced size (plus one byte, to see whether the file ends there);
            # files that report no size or grow are read on in chunks, never past the cap.
            data = fh.read(st.st_size + 1)
            if len(data) <= st.st_size:
                return data
            data = _read_to_cap(fh, cap, data)
        if len(data) > cap:
            raise _too_big(path, limit_mb)
        return data
    except IsADirectoryError:
        raise InputError(path, "is a directory") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)


def read_stdin(max_mb: float | None = None, stream: Any = None) -> bytes:
    """Read standard input (or ``stream``) to its end, at most ``max_mb`` MiB (default: the
    ``input_limit`` in force, as for files); more is refused once the cap is passed, never buffered."""
    limit_mb = _max_input_mb.get() if max_mb is None else max_mb
    cap = max(1, int(limit_mb * _MIB))
    if stream is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError(STDIN, "standard input is a terminal: pipe a plan, state or .tf text into it")
        stream = sys.stdin.buffer
    try:
        data = _read_to_cap(stream, cap)
    except OSError as exc:
        raise InputError(STDIN, f"cannot read standard input ({exc.strerror or type(exc).__name__})") from None
    if len(data) > cap:
        raise _too_big(STDIN, limit_mb)
    return data


def _read_to_cap(stream: Any, cap: int, head: bytes = b"") -> bytes:
    """``head`` and what follows it in ``stream``, in chunks, up to ``cap`` + 1 bytes: a result
    longer than ``cap`` means the input is over the cap (nothing past that is ever buffered)."""
    chunks = [head]
    total = len(head)
    while total <= cap:
        chunk = stream.read(min(cap + 1 - total, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


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
            s, u = sens.get(k) if sens else None, unk.get(k) if unk else None
            if not s and not u:  # unmarked below: kept as it is (what _clean would return)
                out[k] = v
                continue
            c = _clean(v, s, u, False)
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


_COPIES = (("tags", "tags_all"), ("labels", "effective_labels", "terraform_labels"))
"""Attributes a provider copies into others: Terraform marks a value sensitive where the configuration
gives it (``tags``), not in the computed copy (``tags_all``), which holds the same value."""
_COPY_NAMES = frozenset(name for group in _COPIES for name in group)


def _mirrored(sensitive: dict[str, Any]) -> dict[str, Any]:
    """The sensitivity marks with each mark on one attribute of a group of copies on all of them."""
    out = sensitive
    for group in _COPIES:
        marks = [m for m in (sensitive.get(name) for name in group) if m]
        if not marks:
            continue
        merged: Any = True
        if all(isinstance(m, dict) for m in marks):
            merged = {}
            for mark in marks:
                for key, flag in mark.items():
                    if flag:
                        merged[key] = True if flag is True or merged.get(key) is True else flag
        if out is sensitive:
            out = dict(sensitive)
        for name in group:
            out[name] = merged
    return out


def _clean_top(values: dict[str, Any], sens: dict[str, Any] | None, unk: dict[str, Any] | None,
               secrets: frozenset[str]) -> dict[str, Any]:
    """What ``_clean(values, sens, unk, True, secrets)`` returns for a dict, worked out from the
    marks rather than key by key: a plan marks few attributes (``{"id": true, "arn": true}``), and
    the values of all others are kept as they are. Keys stay in the order ``_clean`` gives them:
    the values' own (those replaced keep their place), then attributes unknown until apply that
    the values lack, in the marks' order."""
    out = values
    if not secrets.isdisjoint(values):
        out = {k: v for k, v in values.items() if k not in secrets}
    if sens:
        for k, s in sens.items():
            if s and k in out:
                if out is values:
                    out = dict(values)
                if s is True:
                    del out[k]
                else:  # never dropped: only a mark of True drops a value
                    out[k] = _clean(out[k], s, unk.get(k) if unk else None, False)
    if unk:
        for k, u in unk.items():
            if not u:
                continue
            if u is True:
                if k in secrets or (sens and sens.get(k) is True):
                    continue
                if out is values:
                    out = dict(values)
                out[k] = UNKNOWN  # in its place when the values have it, else after them
            elif k in out and not (sens and sens.get(k)):  # a marked one was cleaned above
                if out is values:
                    out = dict(values)
                out[k] = _clean(out[k], None, u, False)
    return out


def clean_values(values: Any, sensitive: Any = None, unknown: Any = None, rtype: str = "") -> dict[str, Any]:
    """Attributes with sensitive values and known secret fields removed, unknowns as UNKNOWN.

    ``sensitive``/``unknown`` mirror the value's structure with ``true`` at marked paths, as in
    ``after_sensitive``/``after_unknown``/``sensitive_values``. Unmarked sub-trees are shared, not
    copied, to keep memory close to the parsed document's.
    """
    if not isinstance(values, dict) or sensitive is True or unknown is True:
        return {}
    return _clean_top(values, _marks(sensitive), unknown if isinstance(unknown, dict) else None,
                      secret_fields_for(rtype))


def _marks(sensitive: Any) -> dict[str, Any] | None:
    """The sensitivity marks ``_clean_top`` works from: None when nothing is marked (a plan writes
    ``{"tags": {}}`` for none), each group of copies' marks on all of them when one is marked."""
    if not isinstance(sensitive, dict):
        return None
    marked = [k for k, v in sensitive.items() if v]
    if not marked:
        return None
    return sensitive if _COPY_NAMES.isdisjoint(marked) else _mirrored(sensitive)


#: How deep :func:`sensitive_metadata` names marked paths: an attribute, a map key, a nested map's key
#: (``metadata.labels.owner``).
_SENSITIVE_DEPTH = 3


def sensitive_metadata(sensitive: Any, deposed: Any = None) -> dict[str, Any]:
    """A plan or state record's metadata: ``deposed``, the deposed object's key when it is one (it
    shares its address with the current object: told apart, each is judged on its own), and
    ``sensitive_paths``, where Terraform marks a value sensitive (attribute names and map keys, never
    a value), so that a missing owner can say its tag was unreadable rather than absent.
    ``sensitive`` is shaped as ``after_sensitive``."""
    meta: dict[str, Any] = {"deposed": str(deposed)} if deposed else {}
    if sensitive is True:
        meta["sensitive_paths"] = ((),)
    if not sensitive or not isinstance(sensitive, (dict, list)):
        return meta
    # The common case: attributes marked as a whole, or none.
    if isinstance(sensitive, dict) and all(v is True or not v for v in sensitive.values()):
        flat = [(str(k),) for k, v in sensitive.items() if v is True]
        if flat:
            meta["sensitive_paths"] = tuple(sorted(flat))
        return meta
    found: list[tuple[str, ...]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(sensitive, ())]
    while stack:
        node, path = stack.pop()
        if node is True:
            found.append(path)
        elif len(path) < _SENSITIVE_DEPTH and isinstance(node, (dict, list)):
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((v, (*path, str(k))) for k, v in items if v)
        elif len(path) == _SENSITIVE_DEPTH and node:
            found.append(path)  # marked somewhere below: the map at this depth is partly unreadable
    if found:
        meta["sensitive_paths"] = tuple(sorted(found))
    return meta


def as_list(value: Any) -> list[Any]:
    """The value if it is a list, else an empty list (a hand-edited file may put anything there)."""
    return value if isinstance(value, list) else []


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
