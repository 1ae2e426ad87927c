"""Where a plan check's time goes: CPU seconds of each phase, in one process, garbage collection off.

    python benchmarks/bench_phases.py PLAN.json              # best of 5 of each phase
    python benchmarks/bench_phases.py PLAN.json --runs 2     # a 60,000-resource plan takes a while

Phases: read and decode, a bare ``json.loads`` (the floor), the strict parse, ``load_plan``,
``build_inventory``, ``check_documents`` (the inventory again, then rules, suppressions and
statuses: its time less the inventory's is shown as rules and statuses), and the json and text
renders. Each figure is the least process CPU time over the runs, so a busy machine
inflates it less than wall clock would; compare phases with the bare parse of the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def measure(path: str, runs: int) -> dict[str, float]:
    """Phase name -> least CPU seconds over ``runs``."""
    from nhi_toolkit.commands.check import enabled_rule_ids
    from nhi_toolkit.config import load_config
    from nhi_toolkit.engine import check_documents
    from nhi_toolkit.inventory import build_inventory
    from nhi_toolkit.loaders.common import decode_text, read_bytes
    from nhi_toolkit.loaders.plan import load_plan
    from nhi_toolkit.loaders.strict_json import parse_json
    from nhi_toolkit.native_expiry import HELPER_TYPES
    from nhi_toolkit.reporters import RenderOptions, render

    config = load_config(None, [path], {"fail_on": None, "expiring_soon_days": None})
    now = datetime(2026, 12, 1, tzinfo=UTC)
    catalog = config.catalog
    options = RenderOptions(root=None, rule_ids=enabled_rule_ids(config), quiet=False)
    best: dict[str, float] = {}

    def timed(name: str, step: Callable[..., Any], *args: Any) -> tuple[Any, float]:
        start = time.process_time()
        result = step(*args)
        spent = time.process_time() - start
        best[name] = min(best.get(name, float("inf")), spent)
        return result, spent

    def wanted(rtype: str) -> bool:
        return rtype in catalog or rtype in HELPER_TYPES

    for _ in range(runs):
        text, _ = timed("read and decode", lambda: decode_text(read_bytes(path), path))
        timed("bare json.loads", json.loads, text)
        doc, _ = timed("strict parse", parse_json, text, path)
        plan, _ = timed("load_plan", load_plan, doc, path, wanted)
        doc = None  # freed as the check frees it, before the inventory is built
        _, inventory = timed("build_inventory", build_inventory, plan, config)
        report, whole = timed("check_documents", check_documents, [plan], config, now)
        best["rules and statuses"] = min(best.get("rules and statuses", float("inf")), whole - inventory)
        for fmt in ("json", "text"):
            timed(f"render {fmt}", render, fmt, report, options)
    return best


def main() -> None:
    """Print each phase's seconds and its ratio to the bare parse."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gc.disable()  # as nhi check runs
    best = measure(args.plan, args.runs)
    floor = best["bare json.loads"] or 1e-9
    for name, seconds in best.items():
        print(f"{name:20s} {seconds:8.3f} s  {seconds / floor:5.2f}x bare parse")


if __name__ == "__main__":
    main()
