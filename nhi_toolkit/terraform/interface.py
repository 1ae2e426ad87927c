"""What retirement asks of a Terraform runner: a typed interface that :class:`~nhi_toolkit.terraform.Terraform`
implements, so a caller depends on these methods alone (and a test can pass its own runner)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

__all__ = ["TerraformRunner"]


class TerraformRunner(Protocol):
    """The Terraform commands ``nhi retire`` runs. Each raises
    :class:`~nhi_toolkit.terraform.TerraformError` when the command fails."""

    @property
    def name(self) -> str:
        """How messages name the executable (``terraform`` or ``tofu``)."""
        ...

    def init(self, directory: str | os.PathLike[str], *, backend: bool = True) -> object:
        """``init`` in ``directory``."""
        ...

    def state_pull(self, directory: str | os.PathLike[str]) -> dict[str, Any]:
        """The raw state document, or ``{}`` when there is no state."""
        ...

    def plan(
        self,
        directory: str | os.PathLike[str],
        out: str | os.PathLike[str] | None = None,
        variables: Mapping[str, Any] | None = None,
        destroy: bool = False,
        targets: Sequence[str] = (),
        refresh_only: bool = False,
    ) -> object:
        """Plan, saving the plan to ``out`` (private: it holds the prior state)."""
        ...

    def show_json(self, directory: str | os.PathLike[str], planfile: str | os.PathLike[str]) -> dict[str, Any]:
        """``show -json`` of a saved plan."""
        ...

    def apply(self, directory: str | os.PathLike[str], planfile: str | os.PathLike[str]) -> object:
        """Apply a saved plan."""
        ...
