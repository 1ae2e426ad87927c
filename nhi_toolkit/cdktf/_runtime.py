"""The one place that imports the CDK for Terraform runtime: ``cdktf`` (default) or its fork ``cdktn``.

CDKTF was archived upstream in December 2025 (last release 0.21.0); CDK Terrain (``cdktn``) is a
maintained drop-in fork. ``NHI_CDK_RUNTIME=cdktn`` selects the fork; ``cdktf`` is used otherwise,
falling back to ``cdktn`` when ``cdktf`` is not installed. Everything else in this package imports
the runtime's names from here.

The JavaScript runtime prints a banner on Node versions it has not tested or no longer supports.
jsii's supported switches for that (``JSII_SILENCE_WARNING_*``) are set here, before the runtime
starts, unless the caller set them already; nothing is discarded from stderr.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["RUNTIME", "RUNTIME_ENV", "cdk", "silence_node_banner"]

RUNTIME_ENV = "NHI_CDK_RUNTIME"
_CHOICES = ("cdktf", "cdktn")


def silence_node_banner() -> None:
    """Set jsii's Node-version warning switches (the end-of-life one lists major versions)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
                          ",".join(str(major) for major in range(14, 41)))


def _load() -> ModuleType:
    wanted = os.environ.get(RUNTIME_ENV, "").strip().lower() or "cdktf"
    if wanted not in _CHOICES:
        raise ImportError(f"{RUNTIME_ENV} must be one of {', '.join(_CHOICES)}")
    order = [wanted] + [c for c in _CHOICES if c != wanted and not os.environ.get(RUNTIME_ENV)]
    for name in order:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    raise ImportError("nhi_toolkit.cdktf needs cdktf (pip install 'nhi-toolkit[cdktf]') or cdktn")


silence_node_banner()
cdk = _load()
RUNTIME: str = cdk.__name__
