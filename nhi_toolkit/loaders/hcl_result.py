"""The loaded result of a whole HCL tree, cached: a warm run neither parses nor evaluates.

The parse cache (:mod:`nhi_toolkit.loaders.hcl_cache`) saves python-hcl2's work file by file; what is
left on a warm run is evaluating every module instance again. This second level keeps the Documents
a directory load returned, keyed by everything that can change them:

- this code (version, entry format, python-hcl2's version, and the size and time of every module the
  load runs), the directory as given (locations name files by it);
- a snapshot of the tree: every folder the load walks (its real path and every entry's name and kind)
  and the SHA-256 of every ``.tf``, ``.tf.json`` and ``.tfvars`` file in it; folders outside the
  tree that module calls reach are snapshotted the same way and checked when the entry is read;
- the wanted-type verdict of every resource type the load met (a config naming another identity
  type changes what is kept).

Entries are JSON (never pickle) in the parse cache's folder, under its rules: private folder and
files, written to a temporary file and renamed, a damaged or foreign entry ignored, ``--no-cache`` /
``NHI_NO_CACHE`` bypass it. Only what the loader kept is stored, and not even that when some input
held a literal under a known secret field name the per-file cache refuses, a ``.tfvars`` file did,
or a module was read from Terraform JSON: such a tree is loaded (from the parse cache) every run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders import cache_files, hcl_cache
from nhi_toolkit.loaders.common import read_bytes
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource
from nhi_toolkit.records import Document, Note

__all__ = ["load_count", "load_dir", "result_hits"]

FORMAT = 5
"""Version of the entry layout; bump it when the records or their encoding change (2: where values
are marked sensitive; 3: marked as Terraform marks them through conditionals, sensitive(), each.value
and provider default tags, a known part of a partly marked value not marked; 4: references made
through locals; 5: values converted through object() variable types)."""

ENABLED = True
"""False: directory loads are evaluated every run (the parse cache still serves the files)."""

_MAX_ENTRY = 256 * 1024 * 1024
_HASHED = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
_counts = {"loads": 0, "hits": 0}

Wanted = Callable[[str], bool]


def load_count() -> int:
    """How many directory loads this process evaluated (parse cache or parser, then evaluation)."""
    return _counts["loads"]


def result_hits() -> int:
    """How many directory loads this process took whole from the result cache."""
    return _counts["hits"]


def load_dir(directory: str, wanted: Wanted) -> list[Document]:
    """:func:`nhi_toolkit.loaders.hcl.load_hcl_dir`, from the result cache when the tree is unchanged."""
    folder = hcl_cache.cache_dir() if ENABLED else None
    snap = _snapshot(directory) if folder else None
    if folder and snap is not None:
        records, walked = snap
        name = _digest([_code_id(), directory, records])
        found = _read(folder, name, wanted)
        if found is not None:
            _counts["hits"] += 1
            return found
    from nhi_toolkit.loaders.hcl import load_hcl_dir

    _counts["loads"] += 1
    if not folder or snap is None:
        return load_hcl_dir(directory, wanted)
    seen: dict[str, bool] = {}

    def recorded(rtype: str) -> bool:
        seen[rtype] = verdict = bool(wanted(rtype))
        return verdict

    with hcl_cache.recording() as rec:
        docs = load_hcl_dir(directory, recorded)
    if rec["unstorable"] or not docs:
        return docs
    types = {**rec["types"], **seen}
    extra = _extras(rec["dirs"], walked)
    # Stored only when nothing changed while it loaded: the entry must be what those bytes give.
    if extra is not None and _snapshot(directory) == snap:
        _write(folder, name, types, extra, docs)
    return docs


# -- what the result depends on -----------------------------------------------------------------

def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()


def _code_id() -> list[Any]:
    """The loader's identity: versions and the size and time of the modules it runs."""
    here = os.path.dirname(os.path.abspath(__file__))
    pkg = os.path.dirname(here)
    stamps: list[Any] = [FORMAT, hcl_cache._parser_id()]
    for folder, names in ((here, None), (os.path.join(pkg, "catalog"), None),
                          (pkg, ("model.py", "records.py", "addresses.py", "native_expiry.py", "errors.py"))):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            stamps.append([folder, None])
            continue
        for e in entries:
            if e.name.endswith(".py") and (names is None or e.name in names):
                try:
                    st = e.stat()
                except OSError:
                    st = None
                stamps.append([e.path, st.st_size if st else None, st.st_mtime_ns if st else None])
    return stamps


def _listing(d: str) -> tuple[list[Any], list[str]]:
    """One folder: every entry's name and kind, ``.tf``/``.tf.json``/``.tfvars`` files by content
    hash; and the sub-folders a walk enters (not hidden ones, as the loader's walk)."""
    out: list[Any] = []
    subdirs: list[str] = []
    for e in sorted(os.scandir(d), key=lambda e: e.name):
        try:
            is_dir = e.is_dir()
        except OSError:
            is_dir = False
        is_link = e.is_symlink()
        if is_dir:
            out.append([e.name, "d", is_link])
            if not e.name.startswith("."):
                subdirs.append(e.path)
        elif e.name.endswith(_HASHED):
            out.append([e.name, "f", is_link, hashlib.sha256(read_bytes(e.path)).hexdigest()])
        else:
            out.append([e.name, "o", is_link])
    return out, subdirs


def _snapshot(root: str) -> tuple[list[Any], set[str]] | None:
    """Every folder under ``root`` the loader walks, with its real path and listing; None when some
    part cannot be read (the load itself then says what, or reads it as it always did)."""
    records: list[Any] = []
    seen: set[str] = set()
    stack = [root]
    try:
        while stack:
            d = stack.pop()
            real = os.path.realpath(d)
            records.append([d, real])
            if real in seen:
                continue
            seen.add(real)
            listing, subdirs = _listing(d)
            records.append(listing)
            stack.extend(reversed(subdirs))
    except (OSError, InputError, ValueError):
        return None
    return records, seen


def _extras(dirs: list[str], walked: set[str]) -> list[Any] | None:
    """Folders the load read outside the walked tree (module sources elsewhere), with snapshots."""
    out: list[Any] = []
    done: set[str] = set()
    for d in dirs:
        real = os.path.realpath(d)
        if real in walked or d in done:
            continue
        done.add(d)
        try:
            out.append([d, real, _listing(d)[0]])
        except (OSError, InputError, ValueError):
            return None
    return out


# -- entries ------------------------------------------------------------------------------------

def _path(folder: str, name: str) -> str:
    return os.path.join(folder, f"root-{name}.json")


def _read(folder: str, name: str, wanted: Wanted) -> list[Document] | None:
    entry = cache_files.read_entry(_path(folder, name), _MAX_ENTRY)
    try:
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("name") != name:
            return None
        types, extra, docs = entry["types"], entry["extra"], entry["docs"]
        if not isinstance(types, dict) or not isinstance(extra, list) or not isinstance(docs, list):
            return None
        if any(not isinstance(t, str) or not isinstance(k, bool) or bool(wanted(t)) != k for t, k in types.items()):
            return None
        for item in extra:
            d, real, listing = item
            if not isinstance(d, str) or os.path.realpath(d) != real or _listing(d)[0] != listing:
                return None
        return [_document(d) for d in docs]
    except (OSError, InputError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None


def _write(folder: str, name: str, types: dict[str, bool], extra: list[Any], docs: list[Document]) -> None:
    try:
        text = json.dumps({"format": FORMAT, "name": name, "types": types, "extra": extra,
                           "docs": [_doc_data(d) for d in docs]}, separators=(",", ":"), allow_nan=False)
    except (_Unstorable, ValueError, TypeError, RecursionError):
        return
    cache_files.write_entry(folder, _path(folder, name), text, _MAX_ENTRY)


# -- records as JSON data, and back ---------------------------------------------------------------

class _Unstorable(Exception):
    """A value that JSON cannot carry exactly, or one that may be secret."""


def _plain(value: Any, path: list[Any], unknowns: list[list[Any]]) -> Any:
    """A value as plain JSON, each UNKNOWN written as null and its path noted in ``unknowns``;
    anything JSON cannot carry exactly (a tuple, a non-text key, a non-finite number, another
    object) refuses the whole entry, and so does a value under a known secret field name."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _Unstorable
        return value
    if value is UNKNOWN:
        unknowns.append(path)
        return None
    if kind is list:
        return [_plain(v, [*path, i], unknowns) for i, v in enumerate(value)]
    if kind is dict:
        out: dict[str, Any] = {}
        for k, v in value.items():
            if type(k) is not str:
                raise _Unstorable
            if _secret_key(k) and v is not None and v is not UNKNOWN and not isinstance(v, bool):
                raise _Unstorable  # a value under a secret field name is not written to disk
            out[k] = _plain(v, [*path, k], unknowns)
        return out
    raise _Unstorable


def _secret_key(key: str) -> bool:
    from nhi_toolkit.catalog import SECRET_FIELDS

    return key in SECRET_FIELDS


def _mapping(value: Any, unknowns: Any) -> dict[str, Any]:
    """A stored mapping with its UNKNOWNs put back (each path must lead to a null)."""
    if not isinstance(value, dict) or not isinstance(unknowns, list):
        raise TypeError("expected a mapping")
    for path in unknowns:
        if not isinstance(path, list) or not path:
            raise TypeError("bad path")
        at: Any = value
        for step in path[:-1]:
            at = at[_step(at, step)]
        last = _step(at, path[-1])
        if at[last] is not None:
            raise TypeError("bad path")
        at[last] = UNKNOWN
    return value


def _step(at: Any, step: Any) -> Any:
    """``step`` when it names an entry of ``at`` (a key of a mapping, an index of a list)."""
    if isinstance(at, dict) and isinstance(step, str) and step in at:
        return step
    if isinstance(at, list) and type(step) is int and 0 <= step < len(at):
        return step
    raise TypeError("bad path")


def _loc_data(loc: Location) -> list[Any]:
    calls = None if loc.module_call is None else [_loc_data(c) for c in loc.module_call]
    return [loc.file, loc.line, loc.column, calls, loc.construct_path, loc.input]


def _res_data(r: Resource) -> list[Any]:
    if r.index is not None and (isinstance(r.index, bool) or not isinstance(r.index, (int, str))):
        raise _Unstorable
    if type(r.values) is not dict or type(r.metadata) is not dict:
        raise _Unstorable  # read back as plain dicts: store only what already is one
    values_unknown: list[list[Any]] = []
    meta_unknown: list[list[Any]] = []
    metadata = dict(r.metadata)
    marked = metadata.pop("sensitive_paths", ())  # names and keys, never values: a tuple of tuples
    if type(marked) is not tuple or any(type(p) is not tuple or not all(type(k) is str for k in p) for p in marked):
        raise _Unstorable
    return [r.address, r.type, r.name, _loc_data(r.source), r.kind.value, r.module, r.index, r.mode,
            r.provider, _plain(r.values, [], values_unknown), values_unknown, list(r.references),
            r.action, r.prevent_destroy, _plain(metadata, [], meta_unknown), meta_unknown,
            [list(p) for p in marked]]


def _doc_data(d: Document) -> list[Any]:
    return [d.path, d.kind.value, [_res_data(r) for r in d.resources], [_res_data(r) for r in d.drift],
            d.refresh_only, d.terraform_version, _metadata_data(d.metadata),
            [[n.rule, n.address, n.message, _loc_data(n.source)] for n in d.notes]]


def _metadata_data(metadata: Any) -> Any:
    if type(metadata) is not dict:
        raise _Unstorable
    unknowns: list[list[Any]] = []
    return [_plain(metadata, [], unknowns), unknowns]


def _s(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("expected text")
    return v


def _opt_s(v: Any) -> str | None:
    return None if v is None else _s(v)


def _opt_i(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("expected a number")
    return v


def _b(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError("expected true or false")
    return v


def _location(data: Any, seen: dict[tuple[Any, ...], Location]) -> Location:
    """A stored location; equal ones (every instance of a module block shares its block's) come back
    as one record, which the reporters then write once."""
    file, line, column, calls, construct, origin = data
    chain = None if calls is None else tuple(_location(c, seen) for c in calls)
    # The numbers' types are in the key: a damaged 1.0 or true is equal to 1, never of its type. A
    # key is stored only once its fields are checked, and no text equals a value of another type.
    key = (file, type(line), line, type(column), column, None if chain is None else tuple(map(id, chain)),
           construct, origin)
    try:
        return seen[key]
    except KeyError:
        loc = seen[key] = Location(_s(file), _opt_i(line), _opt_i(column), chain, _opt_s(construct),
                                   _opt_s(origin))
        return loc


_KINDS = {k.value: k for k in InputKind}


def _resource(data: Any, seen: dict[tuple[Any, ...], Location]) -> Resource:
    (address, rtype, name, source, kind, module, index, mode, provider, values, values_unknown, refs, action,
     prevent, metadata, meta_unknown, marked) = data
    if index is not None and (isinstance(index, bool) or not isinstance(index, (int, str))):
        raise TypeError("bad index")
    if not isinstance(refs, list):
        raise TypeError("bad references")
    # Every field by position, in Resource's order (tests pin it): one record per resource read.
    return Resource(_s(address), _s(rtype), _s(name), _location(source, seen), _KINDS[kind], _s(module), index,
                    _s(mode), _s(provider), _mapping(values, values_unknown), tuple(map(_s, refs)),
                    _opt_s(action), _b(prevent), _marked(_mapping(metadata, meta_unknown), marked))


def _marked(metadata: dict[str, Any], marked: Any) -> dict[str, Any]:
    """Metadata with its ``sensitive_paths`` back as the loader made them (tuples of names)."""
    if not isinstance(marked, list) or "sensitive_paths" in metadata:
        raise TypeError("bad sensitive paths")
    if marked:
        metadata["sensitive_paths"] = tuple(tuple(_s(k) for k in _list(p)) for p in marked)
    return metadata


def _list(v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise TypeError("expected a list")
    return v


def _document(data: Any) -> Document:
    path, kind, resources, drift, refresh_only, tf_version, metadata, notes = data
    if not isinstance(resources, list) or not isinstance(drift, list) or not isinstance(notes, list):
        raise TypeError("bad document")
    seen: dict[tuple[Any, ...], Location] = {}
    return Document(_s(path), InputKind(kind), tuple(_resource(r, seen) for r in resources),
                    drift=tuple(_resource(r, seen) for r in drift), refresh_only=_b(refresh_only),
                    terraform_version=_opt_s(tf_version), metadata=_mapping(metadata[0], metadata[1]),
                    notes=tuple(_note(n, seen) for n in notes))


def _note(data: Any, seen: dict[tuple[Any, ...], Location]) -> Note:
    rule, address, message, source = data
    return Note(_s(rule), _s(address), _s(message), _location(source, seen))
