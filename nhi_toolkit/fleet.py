"""Inventory of many states at once: each state is loaded, reduced to a few rows per identity, and
dropped, so memory stays flat however many states there are. States are read concurrently by a
bounded thread pool; ``--shard I/N`` splits the work deterministically across machines and JSON parts
are merged afterwards.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from nhi_toolkit.config import Config
from nhi_toolkit.errors import InputError
from nhi_toolkit.model import UNKNOWN
from nhi_toolkit.records import Document

__all__ = [
    "FORMAT",
    "ROW_FIELDS",
    "bounded_map",
    "in_shard",
    "inventory_rows",
    "iter_render",
    "merge_parts",
    "parse_shard",
    "render_inventory",
    "rows_of",
]

FORMAT = "nhi-inventory/1"
ROW_FIELDS = ("identity", "type", "state", "workspace", "owner", "expires_at", "status")


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` with 0 <= I < N."""
    try:
        i, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise ValueError("use I/N, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError("use I/N with 0 <= I < N")
    return i, n


def in_shard(key: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic split of a listing: ``(i, n)`` keeps the keys whose hash is i modulo n."""
    if shard is None:
        return True
    i, n = shard
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n == i


def _plain(value: Any) -> Any:
    return "(known after apply)" if value is UNKNOWN else value


Row = tuple[Any, ...]
"""One inventory row: the values of ROW_FIELDS in order (tuples of interned strings keep a large
fleet's rows small)."""


def _i(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value


def rows_of(doc: Document, config: Config, now: Any) -> list[Row]:
    """The inventory rows of one document (then the document can go)."""
    from nhi_toolkit.engine import identity_status
    from nhi_toolkit.inventory import build_inventory

    meta = doc.metadata or {}
    state = meta.get("state_key", doc.path)
    workspace = _i(meta.get("workspace", "default"))
    return [(_i(ident.address), _i(ident.type), state, workspace, _i(_plain(ident.owner)),
             _i(_plain(ident.expires)), _i(identity_status(ident, now, config.expiring_soon_days)))
            for ident in build_inventory(doc, config)]


def bounded_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int) -> Iterator[Any]:
    """``fn`` over items on a thread pool with at most ``2 * workers`` in flight, results in order."""
    pending: list[Future[Any]] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()


def _tasks(sources: Sequence[str], shard: tuple[int, int] | None) -> Iterator[tuple[str, Any]]:
    for src in sources:
        if src.startswith("s3://"):
            from nhi_toolkit.aws.s3 import list_states

            objects = list_states(src, shard=shard)
            if not objects and shard is None:
                raise InputError(src, "no Terraform state (*.tfstate) under this prefix")
            for obj in objects:
                yield ("s3", obj)
        elif in_shard(src, shard):
            yield ("path", src)


def inventory_rows(sources: Sequence[str], config: Config, now: Any, *, shard: tuple[int, int] | None = None,
                   workers: int = 8) -> tuple[list[Row], int]:
    """Rows for every identity in every state of the sources, and how many states were read."""
    wanted = config.catalog.__contains__

    def one(task: tuple[str, Any]) -> tuple[int, list[Row]]:
        kind, item = task
        if kind == "s3":
            from nhi_toolkit.aws.s3 import read_object
            from nhi_toolkit.loaders.s3 import document_from_bytes

            doc = document_from_bytes(read_object(item), item.url, wanted,
                                      {"workspace": item.workspace, "state_key": item.url})
            return 1, rows_of(doc, config, now)
        from nhi_toolkit.loaders import load_document

        docs = load_document(item, wanted)
        return len(docs), [r for d in docs for r in rows_of(d, config, now)]

    rows: list[Row] = []
    states = 0
    for count, part in bounded_map(one, _tasks(sources, shard), workers):
        states += count
        rows.extend(part)
        if states % 256 == 0 and not gc.isenabled():
            gc.collect()  # the caller switched automatic collection off for speed; cycles still go
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows, states


def merge_parts(paths: Sequence[str]) -> tuple[list[Row], int]:
    """Join the JSON parts of a sharded inventory (one per shard)."""
    from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes

    rows: dict[tuple[str, str], Row] = {}
    states = 0
    for path in paths:
        doc = parse_json(decode_text(read_bytes(path), path), path)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("rows"), list):
            raise InputError(path, f"not an inventory part ({FORMAT}; write one with --format json)")
        states += int(doc.get("states") or 0)
        for row in doc["rows"]:
            if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("identity", "state")):
                raise InputError(path, "an inventory row lacks identity or state")
            rows[(row["state"], row["identity"])] = tuple(_i(row.get(k)) for k in ROW_FIELDS)
    return [rows[k] for k in sorted(rows)], states


def render_inventory(rows: Sequence[Row], fmt: str, *, states: int, now: str,
                     shard: str | None = None) -> str:
    """table, json (mergeable parts, one row per line) or csv; deterministic."""
    return "".join(iter_render(rows, fmt, states=states, now=now, shard=shard))


def iter_render(rows: Sequence[Row], fmt: str, *, states: int, now: str,
                shard: str | None = None) -> Iterator[str]:
    """:func:`render_inventory` in pieces, so a large inventory is written without one big string."""
    if fmt == "json":
        head = {"format": FORMAT, "now": now, "shard": shard, "states": states}
        yield "{\n" + "".join(f" {json.dumps(k)}: {json.dumps(v)},\n" for k, v in sorted(head.items()))
        yield ' "rows": ['
        # One row per line through the C encoder: a pretty-printed dump of a large fleet is slow.
        for n, r in enumerate(rows):
            yield ("\n  " if n == 0 else ",\n  ") + json.dumps(dict(zip(ROW_FIELDS, r, strict=True)),
                                                              sort_keys=True, ensure_ascii=False)
        yield "\n ]\n}\n"
        return
    yield _render_rest(rows, fmt, states=states, now=now)


def _render_rest(rows: Sequence[Row], fmt: str, *, states: int, now: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(ROW_FIELDS)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
        return buf.getvalue()
    from nhi_toolkit.reporters.text import _cell

    cols = ("IDENTITY", "WORKSPACE", "STATE", "OWNER", "EXPIRES", "STATUS")
    table = [tuple(_cell(r[i]) for i in (0, 3, 2, 4, 5, 6)) for r in rows]
    lines = []
    if table:
        widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
        fmt_line = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.append(fmt_line.format(*cols).rstrip())
        lines.extend(fmt_line.format(*t).rstrip() for t in table)
    else:
        lines.append("No non-human identities found.")
    lines.append("")
    n = len(rows)
    lines.append(f"{n} identit{'y' if n == 1 else 'ies'} in {states} state{'' if states == 1 else 's'} as of {now}")
    return "\n".join(lines) + "\n"
