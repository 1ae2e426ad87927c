"""The pre-commit hook: ``nhi check`` once over the directories of the changed configuration files.

pre-commit passes the hook's ``args`` first, then the changed file names. Every ``.tf``, ``.tf.json``,
``.tfvars`` or ``.tfvars.json`` argument is replaced by its directory (a Terraform module is a
directory: a file alone misses its variables and locals); the other arguments are passed to
``nhi check`` unchanged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["check_args", "main"]

#: What a module's configuration is read from: a change to any of them changes what is judged
#: (a tfvars file can drop the owner a variable's default gave).
_CONFIG_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")


def check_args(argv: Sequence[str]) -> list[str] | None:
    """The ``nhi check`` arguments for a hook invocation; None when no ``.tf`` file changed."""
    options: list[str] = []
    dirs: list[str] = []
    for arg in argv:
        if arg.endswith(_CONFIG_SUFFIXES) and not arg.startswith("-"):
            d = os.path.dirname(arg) or "."
            if d not in dirs:
                dirs.append(d)
        else:
            options.append(arg)
    return ["check", *options, *sorted(dirs)] if dirs else None


def main(argv: Sequence[str] | None = None) -> None:
    """Run the hook (exit code as ``nhi check``; 0 when no .tf file changed)."""
    args = check_args(sys.argv[1:] if argv is None else argv)
    if args is None:
        sys.exit(0)
    from nhi_toolkit.cli import main as nhi

    nhi(args, prog_name="nhi")


if __name__ == "__main__":  # pragma: no cover
    main()
