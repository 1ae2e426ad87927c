"""The ``nhi`` command: a thin click group whose sub-commands load on demand.

Loading lazily keeps ``nhi check`` fast: boto3, the embedded Terraform and cdktf are imported only by
the commands that need them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from nhi_toolkit import __version__

# name -> (module, attribute); the only registry of sub-commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("nhi_toolkit.commands.check", "check"),
    "rules": ("nhi_toolkit.commands.check", "rules"),
    "owners": ("nhi_toolkit.commands.owners", "owners"),
    "explain": ("nhi_toolkit.commands.explain", "explain"),
    "retire": ("nhi_toolkit.commands.retire", "retire"),
    "audit": ("nhi_toolkit.commands.audit", "audit"),
    "verify": ("nhi_toolkit.commands.verify", "verify"),
    "inventory": ("nhi_toolkit.commands.inventory", "inventory"),
}


class Group(click.Group):
    """A group whose help lists each sub-command's first sentence whole, wrapped, never cut with '...'."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(Group):
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

    def invoke(self, ctx: click.Context) -> Any:
        """Run the sub-command; a reader that went away (``nhi ... | head -1``) ends it quietly."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()
            sys.exit(EXIT_BROKEN_PIPE)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the group's own options; ``nhi --help | head -1`` ends quietly too."""
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError:
            _quiet_broken_pipe()
            sys.exit(EXIT_BROKEN_PIPE)


#: Exit code after the reader of stdout went away: 128 + SIGPIPE, what a shell reports for a
#: command killed by SIGPIPE.
EXIT_BROKEN_PIPE = 141


def _quiet_broken_pipe() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test runner)
        pass


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nhi")
def main() -> None:
    """Keep every non-human identity declared, owned, expiring and retired on time."""


if __name__ == "__main__":  # pragma: no cover
    main()
