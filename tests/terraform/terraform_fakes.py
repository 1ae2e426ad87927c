"""A stand-in Terraform for the terraform suites: a small shell script at a chosen path."""

from __future__ import annotations

from pathlib import Path


def write_fake(folder: Path, name: str, body: str = 'echo "$0 $*"') -> Path:
    """An executable ``folder/name`` that runs ``body`` under /bin/sh (by default, echoes its call)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path
