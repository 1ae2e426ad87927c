"""Cache entries on disk, for the parse cache and the result cache (:mod:`nhi_toolkit.loaders.hcl_cache`,
:mod:`nhi_toolkit.loaders.hcl_result`): read without following a link, written whole or not at all,
and the folder kept under a size cap by removing the least recently used entries."""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from typing import Any

__all__ = ["DEFAULT_MAX_MB", "MAX_ENTRY", "cache_limit", "prune", "read_entry", "write_entry"]

MAX_ENTRY = 64 * 1024 * 1024
"""The largest entry read or written unless the caller says otherwise."""

_pruned: list[str] = []
"""Set once this process has pruned: the folder is scanned after the first write only."""


def read_entry(path: str, limit: int = MAX_ENTRY) -> Any:
    """One cache entry's JSON, or None: absent, not a regular file (a link is not followed, a FIFO not
    waited on), larger than any entry is written, or not JSON. The caller checks its shape."""
    try:
        # Not blocking: a FIFO named like an entry would wait for a writer (it is refused below).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            found = json.loads(f.read())
            with contextlib.suppress(OSError, NotImplementedError):
                os.utime(f.fileno())  # used now: the last to be pruned (see prune)
            return found
    except (OSError, ValueError, RecursionError):
        return None


def write_entry(folder: str, path: str, text: str, limit: int = MAX_ENTRY) -> bool:
    """Write one entry whole or not at all: a private temporary file in ``folder``, then renamed, so
    a concurrent reader sees the old entry or the new one, never half of one."""
    import tempfile  # only a run that writes needs it

    if len(text) > limit:
        return False
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode())
        os.replace(tmp, path)
        if not _pruned:
            _pruned.append(folder)
            prune(folder)
        return True
    except (OSError, ValueError):
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False


_ENTRY_NAME = re.compile(r"(?:root-)?[0-9a-f]{64}\.json|\.tmp-[^/]*\.json")
"""The names this cache writes (parse entries, whole loads, temporary files): nothing else is removed."""

DEFAULT_MAX_MB = 256
"""The cache folder's size cap in MiB, unless ``NHI_CACHE_MAX_MB`` sets another."""


def cache_limit() -> int:
    """The cache folder's size cap in bytes: ``NHI_CACHE_MAX_MB`` (a whole number of MiB), else 256 MiB."""
    text = os.environ.get("NHI_CACHE_MAX_MB", "").strip()
    mib = int(text) if text.isascii() and text.isdigit() else DEFAULT_MAX_MB  # not "²": int() refuses it
    return mib * 1024 * 1024


def prune(folder: str, limit: int | None = None) -> int:
    """Keep the cache folder under its size cap: when its entries pass ``limit`` bytes, remove the
    least recently used (written or read: a read touches the entry) until they hold at most
    three quarters of it. Runs once per process, after its first write; only this cache's own
    entries (regular files named as it names them, and stale temporary files) are removed, never
    another JSON file that shares the folder, and a concurrent run
    that loses an entry parses that file again. Returns how many entries were removed."""
    cap = cache_limit() if limit is None else limit
    entries: list[tuple[int, str, int]] = []
    total = 0
    try:
        with os.scandir(folder) as it:
            for e in it:
                if not _ENTRY_NAME.fullmatch(e.name) or not e.is_file(follow_symlinks=False):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                entries.append((st.st_mtime_ns, e.name, st.st_size))
                total += st.st_size
    except OSError:
        return 0
    if total <= cap:
        return 0
    removed = 0
    for _, name, size in sorted(entries):
        if total <= cap * 3 // 4:
            break
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            continue
        total -= size
        removed += 1
    return removed
