"""The state a run retires from, read through the loaders (raw state never leaves this module):
a state file, a ``terraform show -json`` state or a synthesized stack, or ``terraform state pull``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nhi_toolkit.config import Config
from nhi_toolkit.errors import InputError
from nhi_toolkit.model import Identity

if TYPE_CHECKING:
    from nhi_toolkit.loaders import Document
    from nhi_toolkit.retire.run import Settings
    from nhi_toolkit.terraform.interface import TerraformRunner

__all__: list[str] = []


def _everything(_: str) -> bool:
    return True


def _read_state(settings: Settings, tf: TerraformRunner | None) -> tuple[Document, tuple[str, int] | None]:
    """(Document, (lineage, serial)) through the loaders; raw state never leaves this function."""
    from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes
    from nhi_toolkit.loaders.state import load_raw_state, load_show_state, state_lineage

    if settings.state_file:
        path = settings.state_file
        doc = parse_json(decode_text(read_bytes(path), path), path)
        if not isinstance(doc, dict):
            raise InputError(path, "not a Terraform state")
        from nhi_toolkit.loaders.state import is_raw_state, is_show_state

        if is_raw_state(doc):
            return load_raw_state(doc, path, _everything), state_lineage(doc)
        if is_show_state(doc):
            return load_show_state(doc, path, _everything), None
        from nhi_toolkit.loaders.cdktf_json import is_json_config, load_json_config

        if is_json_config(doc):
            # A synthesized stack: preview what retiring its declared identities would destroy.
            return load_json_config(doc, path, _everything), None
        raise InputError(path, "not a Terraform state (raw state or 'terraform show -json' output) "
                               "or a synthesized cdk.tf.json")
    if settings.terraform_dir is None or tf is None:
        raise ValueError("a state file, or a Terraform directory and a runner, is needed")
    label = f"{settings.terraform_dir} (terraform state pull)"
    raw = tf.state_pull(settings.terraform_dir)
    if not raw:
        # A wrong directory or an unconfigured backend/workspace looks exactly like "nothing to
        # retire"; say so instead.
        raise InputError(settings.terraform_dir, f"no Terraform state here ({tf.name} state pull "
                                                 "printed nothing): wrong directory, or a backend or "
                                                 "workspace that is not configured")
    ident = state_lineage(raw)
    doc = load_raw_state(raw, label, _everything)
    del raw
    return doc, ident


def _inventory(settings: Settings, tf: TerraformRunner | None, config: Config) -> tuple[list[Identity], tuple[str, int] | None]:
    from nhi_toolkit.inventory import build_inventory

    doc, lineage = _read_state(settings, tf)
    return build_inventory(doc, config), lineage


def _addresses_in_state(raw: Mapping[str, Any], label: str = "terraform state pull") -> set[str]:
    """Every managed resource instance address in a raw state (``{}``: none), read by the state
    loader; ``label`` names the state in an error."""
    from nhi_toolkit.loaders.state import load_raw_state

    if not raw:
        return set()
    return {res.address for res in load_raw_state(raw, label, _everything).resources}
