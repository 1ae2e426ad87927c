"""What each ``.tf`` file declares, parsed once: in parallel across cores, and cached by content.

python-hcl2 is nearly all the cost of reading an HCL tree. The files a load needs are read first,
each one's declarations are taken from the parse cache when its bytes were seen before, and the rest
are parsed in a process pool (fork) when there is enough of them to repay the pool, else in this
process. Results are keyed by path, never by completion order, so a parallel, cached or serial run
yields the same declarations and the same output bytes.

The cache lives in ``$NHI_CACHE_DIR``, else ``$XDG_CACHE_HOME/nhi-toolkit``, else
``~/.cache/nhi-toolkit`` (folder ``hcl``, private to the user). An entry is JSON (never pickle: a
writable cache must not become code execution), named by the SHA-256 of the file's bytes and of the
parser version, and holds only what the loader keeps: resources of the wanted types without their
secret attributes, sensitive variable defaults and output values left out; a file that keeps a literal
under a known secret field name elsewhere (a module argument ``password = "..."``) is not cached at
all. Entries are written to a
temporary file and renamed into place, so concurrent runs never see half an entry; a missing, partial,
corrupt or foreign entry is parsed again. A cache folder that cannot be made or written (read-only, a
file, a symbolic link, a full disk) is not used; the run goes on without it. Parse errors are never
cached: a syntax error is reported, with its line, on every run.

A directory's whole load is cached a level above, in the same folder
(:mod:`nhi_toolkit.loaders.hcl_result`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.cache_files import read_entry, write_entry

__all__ = ["Decls", "cache_dir", "caching", "declarations", "parse_count", "pooled_count", "record", "recording",
           "screened_writes", "withhold", "workers"]

FORMAT = 7
"""Version of the entry layout and of what the loader keeps; bump it when either changes (2: keys
in source order, as a fresh parse has them, not sorted; 3: a remote module source's credentials
redacted; 4: whether a variable type may reshape its value; 5: variables' nullable and plain types;
6: a resource's references name the module outputs it reads; 7: the text of a variable type that
may reshape its value, not None)."""

Decls = dict[str, Any]
"""One file's declarations as plain JSON data (see :func:`nhi_toolkit.loaders.hcl.extract`)."""
Extract = Callable[[str, bytes, Callable[[str], bool]], Decls]

MIN_PARALLEL_BYTES = 16 * 1024
"""Less HCL than this to parse is done in this process: starting workers would cost more."""

_state: dict[str, Any] = {"enabled": True, "parses": 0, "pooled": 0, "wanted": None, "extract": None,
                          "pending": None, "withheld": set(), "withhold_all": False}
_lock = threading.Lock()


@contextlib.contextmanager
def caching(enabled: bool) -> Iterator[None]:
    """Use the parse cache (or not, ``--no-cache``) for the loads inside this block."""
    before = _state["enabled"]
    _state["enabled"] = enabled
    try:
        yield
    finally:
        _state["enabled"] = before


@contextlib.contextmanager
def recording() -> Iterator[dict[str, Any]]:
    """Note, for the loads inside this block, what the result cache must know: every resource type
    met with its wanted verdict (``types``), every module folder read (``dirs``), and whether some
    input may not be stored (``unstorable``: a file the parse cache refuses, secrets in tfvars)."""
    rec: dict[str, Any] = {"types": {}, "dirs": [], "unstorable": False}
    before = _state.get("record")
    _state["record"] = rec
    try:
        yield rec
    finally:
        _state["record"] = before


@contextlib.contextmanager
def screened_writes() -> Iterator[None]:
    """Hold the parse cache's new entries until the loads inside this block have been evaluated, then
    write those that hold no value given to a sensitive variable. Such a value is known only once a
    module call meets the child's ``sensitive = true`` (the caller's file alone does not say), and the
    loader never keeps it, so neither may the cache. Outside this block nothing is written."""
    if _state["pending"] is not None:  # nested: the outermost block writes
        yield
        return
    _state["pending"], _state["withheld"], _state["withhold_all"] = [], set(), False
    try:
        yield
        _flush()
    finally:
        _state["pending"], _state["withheld"], _state["withhold_all"] = None, set(), False


# What may stand for itself in an entry's JSON text: no quote, backslash, template sign or non-ASCII,
# which the raw HCL and JSON each write their own way (such a secret withholds every entry).
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9 _.,:;/@+=~!#&*()\[\]{}?<>|^'-]+")


def _scalars(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(item.keys())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def withhold(raw: Any, value: Any) -> None:
    """A module call gives ``raw`` (resolved: ``value``) to a sensitive variable: no entry holding it
    is written. Literal text is screened for; a known value reached through any expression (a
    reference, a template, a function: its parts may be literals anywhere in the module) withholds
    every entry of the load."""
    if _state["pending"] is None:
        return
    known = [v for v in _scalars(value) if isinstance(v, str | int | float) and not isinstance(v, bool)]
    if not known:
        return  # nothing known reaches the variable: no literal of the module can be in it
    expression = any(isinstance(v, str) and ("${" in v or "%{" in v or v.startswith('"<<'))
                     for v in _scalars(raw))
    texts = [str(v) for v in known]
    if expression or not all(_PLAIN_TEXT.fullmatch(t) for t in texts):
        _state["withhold_all"] = True
        return
    _state["withheld"].update(texts)


def _flush() -> None:
    pending: list[tuple[str, str, Decls]] = _state["pending"]
    secrets: set[str] = _state["withheld"]
    if _state["withhold_all"]:
        return
    for folder, digest, decls in pending:
        if secrets:
            text = json.dumps(decls)
            if any(secret in text for secret in secrets):
                continue
        if not _write_entry(folder, digest, decls):
            return  # read-only or full: stop trying for this load


def record() -> dict[str, Any] | None:
    """The record of :func:`recording` in progress, if any."""
    found: dict[str, Any] | None = _state.get("record")
    return found


def parse_count() -> int:
    """How many files this process has parsed (or had parsed by its workers) so far."""
    return int(_state["parses"])


def pooled_count() -> int:
    """How many of those files were parsed in a parallel load (by the workers, or by this process
    beside them)."""
    return int(_state["pooled"])


def workers() -> int:
    """Worker processes for parsing: ``NHI_PARSE_WORKERS`` when set (1: serial), else the usable cores."""
    text = os.environ.get("NHI_PARSE_WORKERS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return int(count() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def cache_dir() -> str | None:
    """The folder of parse-cache entries, made private if missing; None when it cannot be used."""
    if not _state["enabled"] or os.environ.get("NHI_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = os.environ.get("NHI_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(root, "nhi-toolkit")
    folder = os.path.join(base, "hcl")
    try:
        os.makedirs(base, mode=0o700, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        st = os.lstat(folder)
    except (OSError, ValueError):
        return None
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid):
        return None  # a link to elsewhere, a file, or someone else's folder: not ours to trust
    if st.st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)
        except OSError:
            return None
    return folder


def _parser_id() -> str:
    if "parser" not in _state:
        from nhi_toolkit import __version__

        _state["parser"] = f"nhi-toolkit {__version__} format {FORMAT} python-hcl2 {_hcl2_version()}"
    return str(_state["parser"])


def _hcl2_version() -> str:
    """python-hcl2's version, read from its files: importing it (lark and all) costs a warm run more
    than the rest of the load."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("hcl2")
        where = list(spec.submodule_search_locations or ()) if spec else []
        with open(os.path.join(where[0], "version.py"), encoding="utf-8") as f:  # IndexError: none
            text = f.read()
    except (OSError, ImportError, ValueError, IndexError):
        text = ""
    m = re.search(r"""^(?:__version__|version)\b.*?=\s*['"]([^'"\n]+)['"]\s*$""", text, re.MULTILINE)
    if m:
        return m.group(1)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("python-hcl2")
    except PackageNotFoundError:
        return "unknown"


def _entry_path(folder: str, digest: str) -> str:
    name = hashlib.sha256(f"{_parser_id()}\0{digest}".encode()).hexdigest()
    return os.path.join(folder, f"{name}.json")


def _read_entry(folder: str, digest: str, wanted: Callable[[str], bool]) -> Decls | None:
    """The cached declarations for these bytes, or None (absent, unreadable, malformed, or kept
    for another set of wanted types)."""
    entry = read_entry(_entry_path(folder, digest))
    if not isinstance(entry, dict) or entry.get("parser") != _parser_id() or entry.get("sha256") != digest:
        return None
    decls = entry.get("decls")
    types = entry.get("types")
    if not isinstance(decls, dict) or not isinstance(types, dict) or not _valid(decls, types):
        return None
    if any(bool(wanted(t)) != kept for t, kept in types.items()):
        return None
    return decls


def _write_entry(folder: str, digest: str, decls: Decls) -> bool:
    entry = {"parser": _parser_id(), "sha256": digest, "types": decls["types"], "decls": decls}
    try:
        text = json.dumps(entry, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return False
    return write_entry(folder, _entry_path(folder, digest), text)


def _line(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)


def _rows(value: Any, check: Callable[[list[Any]], bool]) -> bool:
    return isinstance(value, list) and all(isinstance(r, list) and check(r) for r in value)


def _valid(decls: Any, types: Mapping[str, Any]) -> bool:
    """The shape :func:`nhi_toolkit.loaders.hcl.extract` writes, checked field by field."""
    if not isinstance(decls, dict) or decls.get("types") != types:
        return False
    if not all(isinstance(t, str) and isinstance(k, bool) for t, k in types.items()):
        return False
    s, b = str, bool
    return (
        _rows(decls.get("variables"), lambda r: len(r) == 4 and isinstance(r[0], s) and isinstance(r[1], b)
              and isinstance(r[2], b))
        and _rows(decls.get("locals"), lambda r: len(r) == 2 and isinstance(r[0], s))
        and _rows(decls.get("outputs"), lambda r: len(r) == 3 and isinstance(r[0], s) and isinstance(r[1], b))
        and _rows(decls.get("providers"), lambda r: len(r) == 2 and isinstance(r[0], s))
        and _rows(decls.get("places"), lambda r: len(r) == 4 and r[0] in ("module", "resource")
                  and isinstance(r[1], s) and isinstance(r[2], s) and _line(r[3]))
        and _rows(decls.get("calls"), lambda r: len(r) == 3 and isinstance(r[0], s) and _line(r[1])
                  and isinstance(r[2], dict))
        and _rows(decls.get("resources"), lambda r: len(r) == 5 and isinstance(r[0], s) and types.get(r[0])
                  is True and isinstance(r[1], s) and _line(r[2]) and isinstance(r[3], dict)
                  and _rows([r[4]], lambda refs: all(isinstance(x, s) for x in refs)))
        and _rows(decls.get("removed"), lambda r: len(r) == 3 and _line(r[0]))
        and isinstance(decls.get("shaping_types"), bool)
        and _rows(decls.get("nullable"), lambda r: len(r) == 2 and isinstance(r[0], s) and isinstance(r[1], b))
        and _rows(decls.get("plain_types"), lambda r: len(r) == 2 and isinstance(r[0], s)
                  and (r[1] is None or isinstance(r[1], s)))
    )


def _literal(value: Any) -> bool:
    """A raw HCL value holding literal text (``"x"``, a template, a heredoc), possibly nested."""
    if isinstance(value, str):
        return value.startswith('"') and value != '""'
    if isinstance(value, dict):
        return any(_literal(v) for v in value.values())
    if isinstance(value, list):
        return any(_literal(v) for v in value)
    return False


def _secret_literal(value: Any, skip_top: bool = False) -> bool:
    """Whether a known secret field name holds literal text anywhere in ``value`` (``skip_top``: not
    its own keys, which the loader has already judged by the resource type)."""
    from nhi_toolkit.catalog import SECRET_FIELDS

    stack: list[tuple[Any, bool]] = [(value, skip_top)]
    while stack:
        item, skip = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if not skip and isinstance(k, str) and k.strip('"') in SECRET_FIELDS and _literal(v):
                    return True
                stack.append((v, False))
        elif isinstance(item, list):
            stack.extend((v, False) for v in item)
    return False


def storable(decls: Decls) -> bool:
    """Whether these declarations may be written to disk: not when a known secret field name holds a
    literal anywhere the loader keeps raw values (a module argument ``password = "..."``, a local
    or variable default so named, a nested block of a resource). Such a file is parsed every run."""
    return not (
        _secret_literal({r[0]: r[3] for r in decls["variables"] if r[2]})
        or _secret_literal(dict(decls["locals"]))
        or _secret_literal({r[0]: r[2] for r in decls["outputs"] if not r[1]})
        or _secret_literal(dict(decls["providers"]))
        or any(_secret_literal(r[2]) for r in decls["calls"])
        or any(_secret_literal(r[3], skip_top=True) for r in decls["resources"])
    )


# -- parsing -------------------------------------------------------------------------------------

Outcome = tuple[str, Any]
"""("ok", decls) | ("error", (message, line, column)) | ("again", None): parse again here."""


def _work(job: tuple[str, bytes]) -> Outcome:
    """One file parsed in a worker process (the extractor and ``wanted`` came with the fork)."""
    try:
        return _here(job, _state["extract"], _state["wanted"])
    except Exception:  # noqa: BLE001 - this process parses it again and fails as a serial run would
        return "again", None


def _parallel(jobs: list[tuple[str, bytes]], extract: Extract, wanted: Callable[[str], bool]) -> list[Outcome]:
    """Parse ``jobs`` across the usable cores, results in job order; an empty list when no pool can run.

    One core is this process's own: it starts one worker fewer than there are cores and parses
    beside them. The workers take the jobs biggest first; this process takes them from the other
    end, claiming each job no worker has started (a pending future it can still cancel), so the
    two meet in the middle and no core waits on another's long file. What this process parses
    never crosses a pipe.
    """
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    n = min(workers(), len(jobs))
    size = sum(len(d) for _, d in jobs)
    if (n < 2 or size < MIN_PARALLEL_BYTES or "fork" not in multiprocessing.get_all_start_methods()
            or sys.platform == "darwin" or threading.active_count() > 1):
        return []
    try:
        from hcl2.parser import parser

        parser()  # build the grammar once, before the fork, rather than once per worker
    except Exception:  # noqa: BLE001, S110 - each worker builds it then
        pass
    order = sorted(range(len(jobs)), key=lambda i: (-len(jobs[i][1]), jobs[i][0]))  # big ones first
    out: list[Outcome] = [("again", None)] * len(jobs)
    with _lock:
        _state["extract"], _state["wanted"] = extract, wanted
        try:
            with ProcessPoolExecutor(n - 1, mp_context=multiprocessing.get_context("fork")) as pool:
                futures: list[Future[Outcome]] = [pool.submit(_work, jobs[i]) for i in order]
                for k in range(len(order) - 1, -1, -1):
                    if futures[k].cancel():
                        out[order[k]] = _here(jobs[order[k]], extract, wanted)
                for k, future in enumerate(futures):
                    if not future.cancelled():
                        out[order[k]] = future.result()
        except Exception:  # noqa: BLE001 - a pool that cannot start or breaks: parse here instead
            return []
        finally:
            _state["extract"] = _state["wanted"] = None
    _state["pooled"] += len(jobs)
    return out


def _here(job: tuple[str, bytes], extract: Extract, wanted: Callable[[str], bool]) -> Outcome:
    """One file parsed (in this process, or in a worker through :func:`_work`): its declarations, or
    the error that names where it fails."""
    path, data = job
    try:
        return "ok", extract(path, data, wanted)
    except InputError as exc:
        return "error", (exc.message, exc.line, exc.column)


def declarations(paths: Sequence[str], wanted: Callable[[str], bool], extract: Extract,
                 read: Callable[[str], bytes]) -> dict[str, Decls | InputError]:
    """Each file's declarations by path, or the error reading or parsing it (raised by the caller
    when it reaches that file, so errors surface in the order a serial run meets them)."""
    out: dict[str, Decls | InputError] = {}
    folder = cache_dir()
    jobs: list[tuple[str, bytes]] = []
    digests: list[str] = []
    same: dict[str, list[str]] = {}  # digest -> the other paths with those bytes (parsed once)
    results: dict[str, Decls | tuple[str, Any, Any]] = {}  # digest -> declarations or error
    for path in dict.fromkeys(paths):
        try:
            data = read(path)
        except InputError as exc:
            out[path] = exc
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in same:
            same[digest].append(path)
            continue
        same[digest] = []
        cached = _read_entry(folder, digest, wanted) if folder else None
        if cached is not None:
            out[path] = results[digest] = cached
        else:
            jobs.append((path, data))
            digests.append(digest)
    _state["parses"] += len(jobs)
    outcomes = _parallel(jobs, extract, wanted) if len(jobs) > 1 else []
    for i, (path, data) in enumerate(jobs):
        kind: str
        value: Any
        kind, value = outcomes[i] if outcomes else ("again", None)
        if kind == "again":
            kind, value = _here((path, data), extract, wanted)
        results[digests[i]] = value
        if kind == "error":
            out[path] = InputError(path, *value)
            continue
        out[path] = value
        keep = storable(value)
        if not keep and (rec := record()) is not None:
            rec["unstorable"] = True
        if folder and keep and _state["pending"] is not None:
            _state["pending"].append((folder, digests[i], value))  # written by screened_writes
    for digest, others in same.items():
        for path in others:
            found = results[digest]
            # the same bytes fail the same way under another name, as a serial run would say
            out[path] = InputError(path, *found) if isinstance(found, tuple) else found
    if (rec := record()) is not None:
        for got in out.values():
            if isinstance(got, dict):
                rec["types"].update(got["types"])
    return out
