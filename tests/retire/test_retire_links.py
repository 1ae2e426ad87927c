"""What a credential or grant hangs off, read from state: a dependency reached only through another
resource (of any type) is no link, so no false conflict; a binding state cannot tell apart from a
direct one stays a conflict (refused, never cut)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import state_doc, state_resource
from retire_estates import NOW, ROLE_OLD

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders.state import load_raw_state
from nhi_toolkit.retire import Criteria, build_manifest
from nhi_toolkit.retire.links import Links

CONFIG: Config = config_from_mapping({"identity_types": {"terraform_data": {
    "tags_path": "input.tags", "category": "principal", "phase": 2, "parent": ["terraform_data"]}}})
LIVE = {"owner": "bob@example.com", "expires_at": "2030-01-01"}
DATA = {"mode": "data", "type": "terraform_remote_state", "name": "d",
        "provider": 'provider["terraform.io/builtin/terraform"]', "instances": [{"attributes": {}}]}


def _td(name: str, tags: dict[str, str] | None, deps: list[str]) -> dict[str, Any]:
    inp: dict[str, Any] = {"tags": tags} if tags else {"kind": "credential"}
    return state_resource("terraform_data", name, {"attributes": {"input": inp}, "dependencies": deps})


def _estate(*between: dict[str, Any], key_deps: list[str]) -> list[dict[str, Any]]:
    return [_td("live", LIVE, []), _td("old", ROLE_OLD, []), *between, _td("key", None, key_deps)]


def _manifest(resources: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    doc = load_raw_state(state_doc(*resources), "terraform.tfstate", lambda _t: True)
    idents = build_inventory(doc, CONFIG)
    return idents, build_manifest(idents, Criteria(NOW), CONFIG)


def test_a_dependency_through_a_non_identity_is_no_binding() -> None:
    """key refers to old and to random_pet.n, which refers to live: state lists live among key's
    dependencies, but key is old's credential only. It rides along; no conflict."""
    between = state_resource("random_pet", "n", {"attributes": {}, "dependencies": ["terraform_data.live"]})
    idents, manifest = _manifest(_estate(between, key_deps=[
        "random_pet.n", "terraform_data.live", "terraform_data.old"]))
    key = next(i for i in idents if i.address == "terraform_data.key")
    assert Links(idents, CONFIG).of(key) == {"terraform_data.old": "it refers to terraform_data.old"}
    assert key.parent == "terraform_data.old"
    assert manifest.conflicts == ()
    assert set(manifest.addresses) == {"terraform_data.old", "terraform_data.key"}


@pytest.mark.parametrize(("between", "key_deps"), [
    ([], ["terraform_data.live", "terraform_data.old"]),  # refers to both, nothing between
    ([DATA], ["data.terraform_remote_state.d", "terraform_data.live", "terraform_data.old"]),  # maybe through
    ([state_resource("random_pet", "n", {"attributes": {}, "dependencies": ["terraform_data.live"]},
                     {"attributes": {}, "dependencies": []})],  # one instance of n only reaches live
     ["random_pet.n", "terraform_data.live", "terraform_data.old"]),
])
def test_a_binding_state_cannot_rule_out_stays_a_conflict(between: list[dict[str, Any]], key_deps: list[str]) -> None:
    """State cannot tell these from a key that refers to live itself: destroying it with old could cut
    live's access, so retirement refuses."""
    idents, manifest = _manifest(_estate(*between, key_deps=key_deps))
    key = next(i for i in idents if i.address == "terraform_data.key")
    assert set(Links(idents, CONFIG).of(key)) == {"terraform_data.old", "terraform_data.live"}
    assert [(p.address, p.kind) for p in manifest.conflicts] == [("terraform_data.key", "conflict")]
    assert "would cut terraform_data.live's access" in manifest.conflicts[0].message
    assert "terraform_data.key" not in manifest.addresses
