"""nhi-toolkit: declare, check, retire and verify the non-human identities of AI integrations."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
