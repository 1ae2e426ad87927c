"""What is read from Terraform's own files without running it: the state a saved plan was made from,
and whether a root module declares the ``nhi_now`` gate variable."""

from __future__ import annotations

import contextlib
import json
import os
import re
import zipfile
from pathlib import Path

__all__ = ["declares_nhi_now", "plan_file_state"]


def plan_file_state(path: str | os.PathLike[str]) -> tuple[str, int] | None:
    """(lineage, serial) of the prior state saved inside a plan file; None if it cannot be read.

    Only those two fields are taken; the rest of the embedded state (which holds secrets) is dropped.
    """
    try:
        with zipfile.ZipFile(path) as zf, zf.open("tfstate") as fh:
            doc = json.load(fh)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    lineage, serial = doc.get("lineage"), doc.get("serial")
    if isinstance(lineage, str) and isinstance(serial, int):
        return lineage, serial
    return None


_NHI_NOW_HCL = re.compile(r'^[ \t]*variable[ \t]+"?nhi_now"?[ \t]*\{', re.MULTILINE)


def declares_nhi_now(directory: str | os.PathLike[str]) -> bool:
    """True when the root module in ``directory`` declares ``variable "nhi_now"``."""
    from nhi_toolkit.loaders.common import read_bytes

    root = Path(directory)
    # read_bytes refuses a FIFO, socket or device (an error naming it, never a hang) and caps size.
    for f in sorted(root.glob("*.tf")):
        with contextlib.suppress(UnicodeDecodeError):
            if _NHI_NOW_HCL.search(read_bytes(str(f)).decode("utf-8")):
                return True
    for f in sorted(root.glob("*.tf.json")):
        with contextlib.suppress(ValueError):
            doc = json.loads(read_bytes(str(f)).decode("utf-8"))
            variables = doc.get("variable") if isinstance(doc, dict) else None
            if isinstance(variables, dict) and "nhi_now" in variables:
                return True
    return False
