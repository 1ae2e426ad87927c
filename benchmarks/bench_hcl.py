"""``nhi check`` on an HCL tree: serial, cold parallel (empty parse cache) and warm (cache filled).

    python benchmarks/bench_hcl.py                 # 20 modules x 100 instances = 2,000 resources
    python benchmarks/bench_hcl.py --runs 5 --shape foreach

Two trees of 2,000 roles in 20 modules, from gen_hcl_tree.py: ``foreach`` (--split: each module
called with for_each over a 100-entry map, one root file per call) and ``literal`` (--literal: each
module writes its 100 roles out as resource blocks). Each run
is a whole ``nhi check TREE --format json`` process timed from outside; the figure is the best of
``--runs`` rounds, the three modes interleaved within a round so a busy machine slows them alike.
Serial is one process without the cache (``NHI_PARSE_WORKERS=1 --no-cache``); cold parallel starts
each run from an empty cache folder; warm reuses a filled one. All three must print the same bytes.
Targets on 2 cores: cold parallel at least 1.7x faster than serial, warm at least 8x faster than cold.
Prints a Markdown table for the README.

Python's bytecode is cached (in a private ``PYTHONPYCACHEPREFIX`` folder, filled by the first run),
as it is for an installed package: with ``PYTHONDONTWRITEBYTECODE`` set, every process would compile
the whole package again, a fixed cost of about 0.1 s that no run of ``nhi`` pays once installed.
``--compile-every-run`` measures that way instead.
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

from gen_hcl_tree import generate, generate_literal


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


SPIN = "import time\nt = time.perf_counter()\nx = 0\nfor i in range(6_000_000):\n    x += i\nprint(time.perf_counter() - t)"


def core_scaling(runs: int) -> float:
    """How much work ``cores()`` processes do at once, against one alone: the same pure-Python loop
    run alone (best of ``runs``) and then in that many processes at once (the slowest of them, best of
    ``runs``). It is the ceiling of "cold vs serial" on this machine: virtual cores can be slower
    together than apart (shared physical cores, a busy host)."""
    n = cores()

    def spin(count: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE) for _ in range(count)]
        return max(float(p.communicate()[0]) for p in procs)

    alone = min(spin(1) for _ in range(runs))
    together = min(spin(n) for _ in range(runs))
    return n * alone / together


def measure(tree: Path, tmp: Path, base: dict[str, str], runs: int) -> tuple[float, float, float]:
    """Best (serial, cold parallel, warm) seconds of ``nhi check`` on one tree."""
    warm_env = {**base, "NHI_CACHE_DIR": str(tmp / "warm")}
    run(tree, warm_env, [])  # fill the warm cache
    times: dict[str, list[float]] = {"serial": [], "cold": [], "warm": []}
    outputs: set[bytes] = set()
    for i in range(runs):
        serial_env = {**base, "NHI_PARSE_WORKERS": "1", "NHI_CACHE_DIR": str(tmp / "unused")}
        cold_cache = tmp / f"cold{i}"
        for mode, env, extra in (("serial", serial_env, ["--no-cache"]),
                                 ("cold", {**base, "NHI_CACHE_DIR": str(cold_cache)}, []),
                                 ("warm", warm_env, [])):
            seconds, out = run(tree, env, extra)
            times[mode].append(seconds)
            outputs.add(out)
        shutil.rmtree(cold_cache, ignore_errors=True)
    if len(outputs) != 1:
        raise SystemExit(f"{tree}: serial, cold parallel and warm runs printed different output")
    if (tmp / "unused").exists():
        raise SystemExit("--no-cache wrote a cache")
    return min(times["serial"]), min(times["cold"]), min(times["warm"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compile-every-run", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE as set: each process compiles the package")
    parser.add_argument("--shape", choices=["foreach", "literal", "both"], default="both",
                        help="for_each module calls (gen_hcl_tree.py --split), resource blocks written "
                             "out (--literal), or both")
    args = parser.parse_args()
    base = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    base.pop("NHI_NO_CACHE", None)
    base.pop("NHI_PARSE_WORKERS", None)
    shapes = ["foreach", "literal"] if args.shape == "both" else [args.shape]
    rows = []
    with tempfile.TemporaryDirectory(prefix="nhi-bench-hcl-") as name:
        if not args.compile_every_run:
            base.pop("PYTHONDONTWRITEBYTECODE", None)
            base["PYTHONPYCACHEPREFIX"] = str(Path(name) / "bytecode")
        for shape in shapes:
            tmp = Path(name) / shape
            tree = tmp / "tree"
            if shape == "foreach":
                n = generate(tree, args.modules, args.instances, split=True)
                what = f"{args.modules} modules x {args.instances} for_each instances"
            else:
                n = generate_literal(tree, args.modules, args.instances)
                what = f"{args.modules} modules x {args.instances} resource blocks"
            files = list(tree.rglob("*.tf"))
            size = sum(f.stat().st_size for f in files) / 1024
            serial, cold, warm = measure(tree, tmp, base, args.runs)
            rows.append(f"| {what} ({n:,} resources, {len(files)} files, {size:,.0f} KiB) | {serial:.2f} | "
                        f"{cold:.2f} | {warm:.2f} | {serial / cold:.2f}x | {cold / warm:.2f}x |")
    compiled = "compiled every run" if args.compile_every_run else "cached"
    print(f"`nhi check TREE --format json`, whole process, best of {args.runs}; {cores()} cores, "
          f"Python {platform.python_version()}, {platform.system()} {platform.machine()}; bytecode {compiled}.")
    print("Targets: cold parallel >= 1.7x faster than serial (2 cores); warm >= 8x faster than cold.")
    print(f"{cores()} processes at once do {core_scaling(args.runs):.2f}x the work of one here "
          "(a pure-Python loop): the ceiling of cold vs serial on this machine.")
    print()
    print("| HCL tree | serial s | cold parallel s | warm s | cold vs serial | warm vs cold |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
