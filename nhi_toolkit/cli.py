"""The ``nhi`` command: a thin click group whose sub-commands load on demand.

Loading lazily keeps ``nhi check`` fast: boto3, the embedded Terraform and cdktf are imported only by
the commands that need them.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from nhi_toolkit import __version__

# name -> (module, attribute); the only registry of sub-commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("nhi_toolkit.commands.check", "check"),
    "rules": ("nhi_toolkit.commands.check", "rules"),
    "retire": ("nhi_toolkit.commands.retire", "retire"),
    "audit": ("nhi_toolkit.commands.audit", "audit"),
    "verify": ("nhi_toolkit.commands.verify", "verify"),
    "inventory": ("nhi_toolkit.commands.inventory", "inventory"),
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command is invoked or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    @staticmethod
    def _available(name: str) -> bool:
        module, _ = COMMANDS[name]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not self._available(cmd_name):
            return None
        module, attr = COMMANDS[cmd_name]
        command: Any = getattr(importlib.import_module(module), attr)
        return command  # type: ignore[no-any-return]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nhi")
def main() -> None:
    """Keep every non-human identity declared, owned, expiring and retired on time."""


if __name__ == "__main__":  # pragma: no cover
    main()
