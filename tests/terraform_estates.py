"""Real Terraform estates for the end-to-end retirement suites: apply a configuration folder, read
back the addresses in its state, and run ``nhi retire`` in-process on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from nhi_toolkit.cli import main


def state_addresses(tf: Any, directory: Path) -> set[str]:
    """Every resource instance address in ``directory``'s state, as Terraform writes it."""
    from nhi_toolkit.retire import _addresses_in_state

    return _addresses_in_state(tf.state_pull(directory))


def apply_config(tf: Any, directory: Path) -> set[str]:
    """Create what the configuration in ``directory`` declares (init, plan, apply the saved plan);
    the addresses then in state."""
    tf.init(directory)
    tf.plan(directory, out="setup.tfplan")
    tf.apply(directory, "setup.tfplan")
    (directory / "setup.tfplan").unlink()
    return state_addresses(tf, directory)


def run_retire(directory: Path, *args: str) -> tuple[int, str, str]:
    """``nhi retire --terraform-dir DIRECTORY ARGS...`` in-process: (exit code, stdout, stderr); an
    exception other than the exit is raised, not swallowed."""
    result = CliRunner().invoke(main, ["retire", "--terraform-dir", str(directory), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr
