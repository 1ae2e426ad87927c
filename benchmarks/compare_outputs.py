"""Compare ``nhi check`` output bytes between another checkout of the project and this one.

    python benchmarks/compare_outputs.py BASE_DIR FILE... [--formats json,text,sarif] [--now 2026-12-01]

BASE_DIR holds an older tree of the package (e.g. ``git archive COMMIT | tar -x -C BASE_DIR``).
Each FILE is checked by both trees (``NHI_NO_CACHE=1``, the clock pinned) in every format; standard
output, standard error and the exit code must be the same bytes. The older tree's results are kept
under BASE_DIR/.compare-cache (keyed by file content, size and format) so repeated runs only rerun
this tree. Exit 0 when everything matches, 1 otherwise (each difference named).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def run(tree: Path, path: str, fmt: str, now: str) -> tuple[bytes, bytes, int]:
    """(stdout, stderr, exit code) of ``nhi check`` from one tree."""
    env = dict(os.environ, PYTHONPATH=str(tree), NHI_NO_CACHE="1")
    proc = subprocess.run([sys.executable, "-m", "nhi_toolkit.cli", "check", path, "--format", fmt,
                           "--now", now], env=env, capture_output=True, check=False)
    return proc.stdout, proc.stderr, proc.returncode


def base_result(base: Path, path: str, fmt: str, now: str) -> tuple[bytes, bytes, int]:
    """The older tree's result, cached by the file's content digest."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    key = hashlib.sha256(f"{digest}\0{fmt}\0{now}\0{os.path.abspath(path)}".encode()).hexdigest()
    cache = base / ".compare-cache" / key
    if cache.exists():
        result: tuple[bytes, bytes, int] = pickle.loads(cache.read_bytes())
        return result
    result = run(base, path, fmt, now)
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(pickle.dumps(result))
    return result


def main() -> int:
    """Compare every file in every format; print each difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--formats", default="json,text,sarif")
    parser.add_argument("--now", default="2026-12-01")
    args = parser.parse_args()
    bad = 0
    for path in args.files:
        for fmt in args.formats.split(","):
            old = base_result(args.base, path, fmt, args.now)
            new = run(HERE, path, fmt, args.now)
            if old != new:
                bad += 1
                parts = [name for name, a, b in zip(("stdout", "stderr", "exit"), old, new, strict=True)
                         if a != b]
                print(f"DIFF {fmt} {path}: {', '.join(parts)}")
    total = len(args.files) * len(args.formats.split(","))
    print(f"{total - bad}/{total} identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
