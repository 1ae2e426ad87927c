"""Whole-process wall time and peak memory of ``nhi check`` against a bare ``json.load`` of the same plan.

    python benchmarks/bench_check.py            # 1,000 and 5,000 integrations (6,000 / 30,000 resources)
    python benchmarks/bench_check.py 200 1000   # other sizes

Each process is measured from outside (wall clock, and ru_maxrss of the child), best of three runs.
Targets: at most 5x the bare parse's time and 1.5x its peak memory at 6,000 resources; linear growth.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NHI = [sys.executable, "-m", "nhi_toolkit.cli"]


def measure(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak MiB) of one child process."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvp(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024


def best(argv: list[str], runs: int = 3) -> tuple[float, float]:
    results = [measure(argv) for _ in range(runs)]
    return min(r[0] for r in results), min(r[1] for r in results)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000]
    print(f"{'resources':>10} {'MB':>6} {'parse s':>8} {'parse MiB':>9} {'nhi s':>7} {'nhi MiB':>8} "
          f"{'time x':>7} {'mem x':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"plan-{n}.json"
            with path.open("w") as fh:
                subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(n)], stdout=fh, check=True)
            bare = best([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"])
            nhi = best(NHI + ["check", str(path), "--now", "2026-11-22", "--format", "json",
                              "--fail-on", "never"])
            size = path.stat().st_size / 1e6
            print(f"{n * 6:>10} {size:>6.1f} {bare[0]:>8.2f} {bare[1]:>9.0f} {nhi[0]:>7.2f} {nhi[1]:>8.0f} "
                  f"{nhi[0] / bare[0]:>7.2f} {nhi[1] / bare[1]:>6.2f}")


if __name__ == "__main__":
    main()
