"""``python -m stacks [--outdir DIR] [STACK ...]``: synthesize the example stacks into one cdktf.out.

Exit 0 after writing every stack; 1 when the policy fails synth (every error is listed on stderr).
Warnings (expired and expiring identities, static keys) are printed on stderr, one line each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from stacks import EXAMPLE_NOW, STACKS


def main(argv: list[str] | None = None) -> int:
    """Synthesize; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m stacks", description=__doc__)
    parser.add_argument("--outdir", help="output folder (default: CDKTF_OUTDIR, else cdktf.out)")
    parser.add_argument("stacks", nargs="*", metavar="STACK",
                        help=f"stacks to synthesize (default: all of {', '.join(STACKS)})")
    args = parser.parse_args(argv)
    unknown = [s for s in args.stacks if s not in STACKS]
    if unknown:
        parser.error(f"unknown stack {unknown[0]!r} (choose from {', '.join(STACKS)})")
    os.environ.setdefault("NHI_NOW", EXAMPLE_NOW)

    from stacks import build_app

    if args.outdir:
        Path(args.outdir).mkdir(parents=True, exist_ok=True)  # cdktf creates only the last level
    app = build_app(args.outdir, args.stacks or None)
    try:
        app.synth()
    except RuntimeError as exc:  # the JavaScript error carries the full list of violations
        print(str(exc).strip(), file=sys.stderr)
        return 1
    for line in warnings(Path(app.outdir) / "manifest.json"):
        print(line, file=sys.stderr)
    return 0


def warnings(manifest: Path) -> list[str]:
    """The warning annotations of every stack, as ``warning: [construct path] message`` lines."""
    stacks = json.loads(manifest.read_text(encoding="utf-8")).get("stacks", {})
    return [f"warning: [{a['constructPath']}] {a['message']}"
            for _, stack in sorted(stacks.items()) for a in stack.get("annotations", [])
            if a.get("level") == "@cdktf/warn"]


if __name__ == "__main__":
    sys.exit(main())
