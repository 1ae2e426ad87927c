"""``nhi check`` on an HCL tree: serial, cold parallel (empty parse cache) and warm (cache filled).

    python benchmarks/bench_hcl.py                 # 20 modules x 100 instances = 2,000 resources
    python benchmarks/bench_hcl.py --runs 5 --modules 20 --instances 100

The tree comes from gen_hcl_tree.py --split (the root module in one file per module call). Each run
is a whole ``nhi check TREE --format json`` process timed from outside; the figure is the best of
``--runs`` rounds, the three modes interleaved within a round so a busy machine slows them alike.
Serial is one process without the cache (``NHI_PARSE_WORKERS=1 --no-cache``); cold parallel starts
each run from an empty cache folder; warm reuses a filled one. All three must print the same bytes.
Targets on 2 cores: cold parallel at least 1.7x faster than serial, warm at least 8x faster than cold.
Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NHI = [sys.executable, "-m", "nhi_toolkit.cli"]
sys.path.insert(0, str(HERE))

from gen_hcl_tree import generate  # noqa: E402


def run(tree: Path, env: dict[str, str], extra: list[str]) -> tuple[float, bytes]:
    """(seconds, stdout) of one ``nhi check`` process."""
    argv = [*NHI, "check", str(tree), "--format", "json", "--now", "2026-06-01", "--fail-on", "never", *extra]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed, proc.stdout


def cores() -> int:
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return int(count() or 1)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    base.pop("NHI_NO_CACHE", None)
    base.pop("NHI_PARSE_WORKERS", None)
    with tempfile.TemporaryDirectory(prefix="nhi-bench-hcl-") as tmp:
        tree = Path(tmp) / "tree"
        n = generate(tree, args.modules, args.instances, split=True)
        files = len(list(tree.rglob("*.tf")))
        warm_cache = Path(tmp) / "warm"
        warm_env = {**base, "NHI_CACHE_DIR": str(warm_cache)}
        run(tree, warm_env, [])  # fill the warm cache
        times: dict[str, list[float]] = {"serial": [], "cold": [], "warm": []}
        outputs: set[bytes] = set()
        for i in range(args.runs):
            serial_env = {**base, "NHI_PARSE_WORKERS": "1", "NHI_CACHE_DIR": str(Path(tmp) / "unused")}
            cold_cache = Path(tmp) / f"cold{i}"
            for mode, env, extra in (("serial", serial_env, ["--no-cache"]),
                                     ("cold", {**base, "NHI_CACHE_DIR": str(cold_cache)}, []),
                                     ("warm", warm_env, [])):
                seconds, out = run(tree, env, extra)
                times[mode].append(seconds)
                outputs.add(out)
            shutil.rmtree(cold_cache, ignore_errors=True)
        if len(outputs) != 1:
            raise SystemExit("serial, cold parallel and warm runs printed different output")
        serial, cold, warm = (min(times[m]) for m in ("serial", "cold", "warm"))
        print(f"HCL tree: {args.modules} modules, {n:,} resource instances, {files} files; "
              f"best of {args.runs}; {cores()} cores, Python {platform.python_version()}, "
              f"{platform.system()} {platform.machine()}")
        print()
        print("| run | seconds | ratio | target |")
        print("|---|---:|---:|---:|")
        print(f"| serial, no cache (`NHI_PARSE_WORKERS=1 --no-cache`) | {serial:.2f} | 1.00x | |")
        print(f"| cold, parallel (empty cache) | {cold:.2f} | {serial / cold:.2f}x faster than serial | >= 1.7x |")
        print(f"| warm (cache filled) | {warm:.2f} | {cold / warm:.2f}x faster than cold | >= 8x |")


if __name__ == "__main__":
    main()
