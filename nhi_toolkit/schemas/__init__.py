"""JSON schemas of the toolkit's machine-readable output, shipped as package data.

``report.schema.json`` is the ``nhi check --format json`` contract (version 1): a consumer can
validate a report against it, and the tests do.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["REPORT_SCHEMA", "load_schema"]

#: File name of the JSON report's schema (``nhi check --format json``).
REPORT_SCHEMA = "report.schema.json"


def load_schema(name: str = REPORT_SCHEMA) -> dict[str, Any]:
    """A shipped schema, parsed, by file name."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
