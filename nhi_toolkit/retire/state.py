"""The state a run retires from, read through the loaders (raw state never leaves this module):
a state file, a ``terraform show -json`` state or a synthesized stack, or ``terraform state pull``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nhi_toolkit.config import Config
from nhi_toolkit.errors import InputError
from nhi_toolkit.model import Identity

if TYPE_CHECKING:
    from nhi_toolkit.retire.run import Settings

__all__: list[str] = []


def _read_state(settings: Settings, tf: Any) -> tuple[Any, tuple[str, int] | None]:
    """(Document, (lineage, serial)) through the loaders; raw state never leaves this function."""
    from nhi_toolkit.loaders.common import decode_text, parse_json, read_bytes
    from nhi_toolkit.loaders.state import load_raw_state, load_show_state

    def everything(_: str) -> bool:
        return True

    if settings.state_file:
        path = settings.state_file
        doc = parse_json(decode_text(read_bytes(path), path), path)
        if not isinstance(doc, dict):
            raise InputError(path, "not a Terraform state")
        from nhi_toolkit.loaders.state import is_raw_state, is_show_state

        if is_raw_state(doc):
            ident = _lineage(doc)
            return load_raw_state(doc, path, everything), ident
        if is_show_state(doc):
            return load_show_state(doc, path, everything), None
        from nhi_toolkit.loaders.cdktf_json import is_json_config, load_json_config

        if is_json_config(doc):
            # A synthesized stack: preview what retiring its declared identities would destroy.
            return load_json_config(doc, path, everything), None
        raise InputError(path, "not a Terraform state (raw state or 'terraform show -json' output) "
                               "or a synthesized cdk.tf.json")
    assert settings.terraform_dir is not None
    label = f"{settings.terraform_dir} (terraform state pull)"
    raw = tf.state_pull(settings.terraform_dir)
    if not raw:
        # A wrong directory or an unconfigured backend/workspace looks exactly like "nothing to
        # retire"; say so instead.
        raise InputError(settings.terraform_dir, f"no Terraform state here ({tf.name} state pull "
                                                 "printed nothing): wrong directory, or a backend or "
                                                 "workspace that is not configured")
    ident = _lineage(raw)
    doc = load_raw_state(raw, label, everything)
    del raw
    return doc, ident


def _lineage(raw: Mapping[str, Any]) -> tuple[str, int] | None:
    lineage, serial = raw.get("lineage"), raw.get("serial")
    return (lineage, serial) if isinstance(lineage, str) and isinstance(serial, int) else None


def _inventory(settings: Settings, tf: Any, config: Config) -> tuple[list[Identity], tuple[str, int] | None]:
    from nhi_toolkit.inventory import build_inventory

    doc, lineage = _read_state(settings, tf)
    return build_inventory(doc, config), lineage


def _addresses_in_state(raw: Mapping[str, Any]) -> set[str]:
    from nhi_toolkit.addresses import join_address

    out: set[str] = set()
    for res in raw.get("resources") or ():
        if not isinstance(res, dict) or res.get("mode", "managed") != "managed":
            continue
        module = res["module"] if isinstance(res.get("module"), str) else ""
        for inst in res.get("instances") or ():
            if isinstance(inst, dict):
                key = inst.get("index_key")
                if isinstance(key, bool) or not isinstance(key, (int, str)):
                    key = None
                out.add(join_address(module, "managed", str(res.get("type")), str(res.get("name")), key))
    return out
