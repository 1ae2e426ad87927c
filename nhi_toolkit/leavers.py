"""The leavers list: who has left, from HR exports or a plain list.

Either a CSV with an ``owner`` column (email or handle) and an optional ``left_on`` date, or one owner
per line (``#`` starts a comment). Matching is case-insensitive.
"""

from __future__ import annotations

import csv
from datetime import date

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import decode_text, read_bytes

__all__ = ["load_leavers"]


def load_leavers(path: str) -> dict[str, date | None]:
    """Map each leaver (lower-cased) to the day they left, or None when not given."""
    text = decode_text(read_bytes(path), path)
    # Line numbers count every line of the file, comments and blank lines included.
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InputError(path, "no leavers listed")
    header_line, header_text = lines[0]
    header = [h.strip().lower() for h in next(csv.reader([header_text]))]
    out: dict[str, date | None] = {}
    if "owner" in header:
        col, left_col = header.index("owner"), header.index("left_on") if "left_on" in header else None
        for n, ln in lines[1:]:
            row = next(csv.reader([ln]), [])
            if not row or col >= len(row) or not row[col].strip():
                continue
            left: date | None = None
            if left_col is not None and left_col < len(row) and row[left_col].strip():
                try:
                    left = date.fromisoformat(row[left_col].strip())
                except ValueError:
                    raise InputError(path, "left_on is not a YYYY-MM-DD date", n) from None
            out[row[col].strip().lower()] = left
        return out
    if len(header) > 1:
        raise InputError(path, "a CSV leavers file needs an 'owner' column", header_line)
    for _, ln in lines:
        out[ln.strip().lower()] = None
    return out
