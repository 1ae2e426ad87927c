"""The plan scale curve: the whole ``nhi check`` process against a bare ``json.load`` of the same plan.

    python benchmarks/bench_check.py                    # 600, 6,000, 30,000 and 60,000 resources
    python benchmarks/bench_check.py 600 6000           # other sizes (resources; 6 per integration)
    python benchmarks/bench_check.py --runs 5 --markdown  # the README table, with the machine it ran on

Every figure is a separate child process measured from outside (wall clock, and the child's
ru_maxrss), best of ``--runs``; ratios are taken within one run, so a busy machine shifts both sides.
The floor is a bare ``json.load`` process with garbage collection off (as ``nhi check`` runs), and
with it on (a plain script). Targets: ``nhi check --format json`` at most 2.5x the GC-off parse's
time at every size, the ratio flat in size, and peak memory at most 1.1x; text costs no more than
JSON. When Checkov is installed (``checkov`` on PATH, or importable), the same plan is also
checked by Checkov with one custom tag policy (owner and expires_at on the identity types) and how
many times slower it is shown beside ours; Checkov is never a dependency, and the column is left
out silently without it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NHI = [sys.executable, "-m", "nhi_toolkit.cli"]
BARE_GC_OFF = "import gc, json, sys; gc.disable(); json.load(open(sys.argv[1], encoding='utf-8'))"
BARE_GC_ON = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"
TARGET_TIME, TARGET_MEM = 2.5, 1.1

#: One custom Checkov policy: the identity types must carry an owner and an expires_at tag.
CHECKOV_POLICY = """\
metadata:
  id: CKV2_NHI_1
  name: Identity has owner and expires_at tags
  category: GENERAL_SECURITY
definition:
  and:
    - cond_type: attribute
      resource_types: [aws_iam_user, aws_iam_role, aws_secretsmanager_secret]
      attribute: tags.owner
      operator: exists
    - cond_type: attribute
      resource_types: [aws_iam_user, aws_iam_role, aws_secretsmanager_secret]
      attribute: tags.expires_at
      operator: exists
"""


@dataclass(frozen=True)
class Row:
    """One plan size: seconds and peak MiB of each process."""

    resources: int
    mbytes: float
    bare_off: tuple[float, float]
    bare_on: tuple[float, float]
    nhi_json: tuple[float, float]
    nhi_text: tuple[float, float]
    checkov: float | None


def measure(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak MiB) of one child process, its output discarded."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024


def best(argvs: list[list[str]], runs: int) -> list[tuple[float, float]]:
    """Best time and best peak memory of each command, the commands interleaved run by run so that
    a burst of load on a shared machine falls on all of them alike."""
    results: list[list[tuple[float, float]]] = [[] for _ in argvs]
    for _ in range(runs):
        for n, argv in enumerate(argvs):
            results[n].append(measure(argv))
    return [(min(r[0] for r in res), min(r[1] for r in res)) for res in results]


def checkov_argv(plan: Path, policy_dir: Path) -> list[str] | None:
    """The Checkov command for one plan, or None when Checkov is not installed."""
    exe = shutil.which("checkov")
    if exe is not None:
        command = [exe]
    elif importlib.util.find_spec("checkov") is not None:
        command = [sys.executable, "-m", "checkov.main"]
    else:
        return None
    return [*command, "--quiet", "--compact", "-f", str(plan), "--framework", "terraform_plan",
            "--external-checks-dir", str(policy_dir), "--check", "CKV2_NHI_1"]


def run(sizes: list[int], runs: int, checkov_max: int = 6000) -> list[Row]:
    """Generate a plan of each size and measure every process on it."""
    # Start-up as installed: compiled modules cached (a run with PYTHONDONTWRITEBYTECODE would
    # compile every module on every start), and one warm-up run to write them.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([*NHI, "rules"], stdout=subprocess.DEVNULL, check=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        policy_dir = Path(tmp) / "policies"
        policy_dir.mkdir()
        (policy_dir / "nhi_tags.yaml").write_text(CHECKOV_POLICY, encoding="utf-8")
        for resources in sizes:
            path = Path(tmp) / f"plan-{resources}.json"
            with path.open("w") as fh:
                subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(max(1, resources // 6))],
                               stdout=fh, check=True)
            check = [*NHI, "check", str(path), "--now", "2026-11-22", "--fail-on", "never"]
            bare_off, bare_on, nhi_json, nhi_text = best([
                [sys.executable, "-c", BARE_GC_OFF, str(path)],
                [sys.executable, "-c", BARE_GC_ON, str(path)],
                [*check, "--format", "json"],
                [*check, "--format", "text"],
            ], runs)
            # Checkov takes minutes on the largest plans: it runs up to --checkov-max resources.
            cko = checkov_argv(path, policy_dir) if resources <= checkov_max else None
            checkov = best([cko], 1)[0][0] if cko else None
            rows.append(Row(resources, path.stat().st_size / 1e6, bare_off, bare_on, nhi_json, nhi_text,
                            checkov))
    return rows


def machine() -> str:
    """Cores, CPU model and Python version of this machine."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def table(rows: list[Row], markdown: bool) -> str:
    """The scale curve as a plain or a Markdown table."""
    with_checkov = any(r.checkov is not None for r in rows)
    head = ["resources", "plan MB", "parse s (GC off)", "nhi json s", "time x (GC off)", "time x (GC on)",
            "mem x", "text/json time"]
    if with_checkov:
        head.append("Checkov x slower")
    body = []
    for r in rows:
        cells = [f"{r.resources:,}", f"{r.mbytes:.1f}", f"{r.bare_off[0]:.2f}", f"{r.nhi_json[0]:.2f}",
                 f"{r.nhi_json[0] / r.bare_off[0]:.2f}", f"{r.nhi_json[0] / r.bare_on[0]:.2f}",
                 f"{r.nhi_json[1] / r.bare_off[1]:.2f}", f"{r.nhi_text[0] / r.nhi_json[0]:.2f}"]
        if with_checkov:
            cells.append(f"{r.checkov / r.nhi_json[0]:.0f}" if r.checkov is not None else "-")
        body.append(cells)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
        lines += ["| " + " | ".join(c) + " |" for c in body]
        return "\n".join([f"Measured on {machine()}.", "", *lines])
    widths = [max(len(h), *(len(c[i]) for c in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) for cells in body]
    return "\n".join([machine(), *lines])


def verdict(rows: list[Row]) -> list[str]:
    """The targets missed, one line each (empty when all are met)."""
    misses = []
    for r in rows:
        t, m = r.nhi_json[0] / r.bare_off[0], r.nhi_json[1] / r.bare_off[1]
        if t > TARGET_TIME:
            misses.append(f"{r.resources:,} resources: time {t:.2f}x > {TARGET_TIME}x")
        if m > TARGET_MEM:
            misses.append(f"{r.resources:,} resources: memory {m:.2f}x > {TARGET_MEM}x")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[600, 6000, 30000, 60000],
                        help="plan sizes in resources (6 per generated integration)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each process; the best counts")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--checkov-max", type=int, default=6000, metavar="RESOURCES",
                        help="run Checkov (when installed) only on plans up to this size (default 6000)")
    args = parser.parse_args()
    rows = run(args.sizes, args.runs, args.checkov_max)
    print(table(rows, args.markdown))
    for line in verdict(rows):
        print(f"target missed: {line}", file=sys.stderr)


if __name__ == "__main__":
    main()
