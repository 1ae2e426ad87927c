"""State references: Terraform records an instance's dependencies transitively; the loader keeps
what it depends on directly, as far as the file tells."""

from __future__ import annotations

from typing import Any

from conftest import state_doc, state_resource

from nhi_toolkit.loaders.state import load_raw_state, load_show_state


def _raw_refs(*resources: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    doc = load_raw_state(state_doc(*resources), "terraform.tfstate", lambda _t: True)
    return {r.address: r.references for r in doc.resources}


def _inst(deps: list[str], **attrs: Any) -> dict[str, Any]:
    return {"attributes": attrs, "dependencies": deps}


def test_dependencies_reached_through_another_resource_of_any_type_are_dropped() -> None:
    refs = _raw_refs(
        state_resource("terraform_data", "live", {}),
        state_resource("random_pet", "n", _inst(["terraform_data.live"])),
        state_resource("terraform_data", "old", {}),
        state_resource("terraform_data", "key", _inst(["random_pet.n", "terraform_data.live", "terraform_data.old"])),
        state_resource("terraform_data", "both", _inst(["terraform_data.live", "terraform_data.old"])),
    )
    assert refs["terraform_data.key"] == ("random_pet.n", "terraform_data.old")
    assert refs["terraform_data.both"] == ("terraform_data.live", "terraform_data.old")  # nothing between
    assert refs["random_pet.n"] == ("terraform_data.live",)


def test_only_what_every_instance_depends_on_counts_as_reached_through_it() -> None:
    refs = _raw_refs(
        state_resource("terraform_data", "live", {}),
        state_resource("random_pet", "n", _inst(["terraform_data.live"]), _inst([])),
        state_resource("terraform_data", "key", _inst(["random_pet.n", "terraform_data.live"])),
    )
    assert refs["terraform_data.key"] == ("random_pet.n", "terraform_data.live")


def test_through_a_module_instance_and_a_data_source() -> None:
    """Dependencies name config addresses (no module keys). A data source records none: what is
    reached through one cannot be told from a direct dependency, so it stays."""
    refs = _raw_refs(
        state_resource("terraform_data", "live", {}),
        state_resource("random_pet", "n", _inst(["terraform_data.live"]), module='module.m["a"]'),
        {"mode": "data", "type": "terraform_remote_state", "name": "d",
         "provider": 'provider["terraform.io/builtin/terraform"]', "instances": [{"attributes": {}}]},
        state_resource("terraform_data", "key", _inst(["module.m.random_pet.n", "terraform_data.live"])),
        state_resource("terraform_data", "via_data", _inst(["data.terraform_remote_state.d", "terraform_data.live"])),
    )
    assert refs["terraform_data.key"] == ("module.m.random_pet.n",)
    assert refs["terraform_data.via_data"] == ("data.terraform_remote_state.d", "terraform_data.live")


def test_show_state_dependencies_are_reduced_the_same_way() -> None:
    def res(address: str, deps: list[str]) -> dict[str, Any]:
        rtype, name = address.split(".")
        return {"address": address, "mode": "managed", "type": rtype, "name": name, "values": {},
                "sensitive_values": {}, "depends_on": deps}

    doc = {"format_version": "1.0", "values": {"root_module": {"resources": [
        res("terraform_data.live", []), res("random_pet.n", ["terraform_data.live"]),
        res("terraform_data.key", ["random_pet.n", "terraform_data.live", "terraform_data.old"])]}}}
    loaded = load_show_state(doc, "show.json", lambda t: t == "terraform_data")
    assert {r.address: r.references for r in loaded.resources}["terraform_data.key"] == (
        "random_pet.n", "terraform_data.old")


def test_a_show_state_deposed_object_is_told_apart_and_judged_alone() -> None:
    # terraform show -json lists a deposed object as its own resource with a deposed_key; read as a
    # second current object, its owner tag stood in for the unowned current user's (exit 0).
    from nhi_toolkit.config import Config
    from nhi_toolkit.inventory import build_inventory

    def user(tags: Any, deposed: str | None = None) -> dict[str, Any]:
        res = {"address": "aws_iam_user.bot", "mode": "managed", "type": "aws_iam_user", "name": "bot",
               "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
               "values": {"name": "bot", "tags": tags}, "sensitive_values": {}}
        return {**res, "deposed_key": deposed} if deposed else res

    owned = {"owner": "ana@example.com", "expires_at": "2027-03-01"}
    for order in ((user(None), user(owned, "00000001")), (user(owned, "00000001"), user(None))):
        doc = load_show_state({"format_version": "1.0", "values": {"root_module": {"resources": list(order)}}},
                              "show.json", lambda t: True)
        assert sorted(r.metadata.get("deposed", "") for r in doc.resources) == ["", "00000001"]
        owners = {i.resource.metadata.get("deposed", ""): i.owner for i in build_inventory(doc, Config())}
        assert owners == {"": None, "00000001": "ana@example.com"}
