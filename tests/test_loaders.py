"""Loaders: every input kind, format version and encoding, read into secret-free Resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders import load_document, load_inputs, sniff_json
from nhi_toolkit.loaders.common import decode_text, parse_json
from nhi_toolkit.model import UNKNOWN, InputKind, Resource

TAGS = {"owner": "alice@example.com", "expires_at": "2026-06-20"}


def load_one(path: Path) -> dict[str, Resource]:
    docs = load_document(str(path))
    assert len(docs) == 1
    return {r.address: r for r in docs[0].resources}


# -- plans ------------------------------------------------------------------------------------

@pytest.mark.parametrize("format_version", ["0.1", "0.2", "1.0", "1.1", "1.2", "1.9"])
def test_plan_format_versions(tmp_path: Path, format_version: str) -> None:
    doc = plan_doc(change("aws_iam_role.r", {"name": "r", "tags": TAGS}))
    doc["format_version"] = format_version
    docs = load_document(str(write_json(tmp_path / "p.json", doc)))
    assert docs[0].kind is InputKind.PLAN
    (res,) = docs[0].resources
    assert (res.address, res.action, res.values["tags"]) == ("aws_iam_role.r", "create", TAGS)


@pytest.mark.parametrize(
    ("actions", "action", "values_from"),
    [(["create"], "create", "after"), (["update"], "update", "after"), (["no-op"], "no-op", "after"),
     (["delete", "create"], "replace", "after"), (["create", "delete"], "replace", "after"),
     (["delete"], "delete", "before"), (["forget"], "forget", "before")],
)
def test_plan_actions(tmp_path: Path, actions: list[str], action: str, values_from: str) -> None:
    before = {"name": "before", "tags": {}}
    after = None if values_from == "before" else {"name": "after", "tags": {}}
    path = write_json(tmp_path / "p.json", plan_doc(change("aws_iam_role.r", after, actions=actions,
                                                          before=before)))
    res = load_one(path)["aws_iam_role.r"]
    assert res.action == action
    assert res.values["name"] == values_from
    assert res.deleted is (action in ("delete", "forget"))


def test_plan_after_unknown_is_distinct_from_absent(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": {"owner": None, "expires_at": "2026-06-20"},
                                  "tags_all": None},
               after_unknown={"tags": {"owner": True}, "tags_all": True, "arn": True})))
    values = load_one(path)["aws_iam_role.r"].values
    assert values["tags"]["owner"] is UNKNOWN
    assert values["tags"]["expires_at"] == "2026-06-20"
    assert values["tags_all"] is UNKNOWN and values["arn"] is UNKNOWN
    assert "description" not in values


def test_plan_planned_values_only(tmp_path: Path) -> None:
    doc = {"format_version": "0.1", "terraform_version": "0.12.31", "planned_values": {"root_module": {
        "resources": [{"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
                       "values": {"name": "u", "tags": TAGS}}],
        "child_modules": [{"address": "module.m", "resources": [
            {"address": "module.m.aws_iam_role.r[0]", "mode": "managed", "type": "aws_iam_role", "name": "r",
             "index": 0, "values": {"name": "r", "tags": TAGS}}]}]}}}
    resources = load_one(write_json(tmp_path / "p.json", doc))
    assert sorted(resources) == ["aws_iam_user.u", "module.m.aws_iam_role.r[0]"]
    assert resources["module.m.aws_iam_role.r[0]"].index == 0


def test_plan_nested_module_references(tmp_path: Path) -> None:
    config = {"root_module": {"module_calls": {"outer": {"module": {"module_calls": {"inner": {"module": {
        "resources": [{"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key",
                       "name": "k", "expressions": {"user": {"references": ["aws_iam_user.u.name",
                                                                            "aws_iam_user.u"]}}}]}}}}}}}}
    path = write_json(tmp_path / "p.json", plan_doc(
        change('module.outer["a"].module.inner.aws_iam_access_key.k', {"user": "u"}), configuration=config))
    res = load_one(path)['module.outer["a"].module.inner.aws_iam_access_key.k']
    assert res.references == ("module.outer.module.inner.aws_iam_user.u",)
    assert res.module == 'module.outer["a"].module.inner'


def test_plan_resource_drift_is_kept_apart(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_user.u", {"name": "u", "tags": TAGS}, actions=["no-op"]),
        resource_drift=[change("aws_iam_user.u", {"name": "u", "tags": {}}, actions=["update"],
                               before={"name": "u", "tags": TAGS})]))
    (doc,) = load_document(str(path))
    assert [r.address for r in doc.drift] == ["aws_iam_user.u"]
    assert doc.drift[0].metadata["before"]["tags"] == TAGS
    assert doc.refresh_only


def test_plan_count_and_for_each_addresses(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_user.c[3]", {"name": "c"}),
        change('module.m["k 1"].aws_iam_user.f["a.b"]', {"name": "f"})))
    resources = load_one(path)
    assert resources["aws_iam_user.c[3]"].index == 3
    assert resources['module.m["k 1"].aws_iam_user.f["a.b"]'].config_address == "module.m.aws_iam_user.f"


# -- state ------------------------------------------------------------------------------------

def test_raw_state_v4_modules_and_keys(tmp_path: Path) -> None:
    state = state_doc(
        state_resource("aws_iam_user", "u", {"index_key": "team a", "attributes": {"name": "a", "tags": TAGS}},
                       {"index_key": 1, "attributes": {"name": "b"}}, module='module.bots["x"]'),
        {"mode": "data", "type": "aws_iam_role", "name": "d", "instances": [{"attributes": {"name": "d"}}]},
    )
    (doc,) = load_document(str(write_json(tmp_path / "terraform.tfstate", state)))
    assert doc.kind is InputKind.STATE
    assert sorted(r.address for r in doc.resources) == [
        'module.bots["x"].aws_iam_user.u["team a"]', 'module.bots["x"].aws_iam_user.u[1]']


def test_raw_state_decodes_dynamic_values(tmp_path: Path) -> None:
    wrapped = {"value": {"tags": TAGS}, "type": ["object", {"tags": ["map", "string"]}]}
    path = write_json(tmp_path / "terraform.tfstate",
                      state_doc(state_resource("terraform_data", "t", {"id": "1", "input": wrapped})))
    assert load_one(path)["terraform_data.t"].values["input"] == {"tags": TAGS}


@pytest.mark.parametrize("version", [1, 2, 3])
def test_legacy_raw_state_versions_are_read(tmp_path: Path, version: int) -> None:
    doc = {"version": version, "serial": 1, "modules": [
        {"path": ["root"], "resources": {
            "aws_iam_user.bot": {"type": "aws_iam_user", "depends_on": [], "primary": {
                "id": "bot", "attributes": {"id": "bot", "name": "bot", "tags.%": "2",
                                            "tags.owner": "alice@example.com",
                                            "tags.kubernetes.io/name": "x"}}},
            "aws_iam_access_key.k.1": {"type": "aws_iam_access_key", "depends_on": ["aws_iam_user.bot"],
                                       "primary": {"id": "AKIA", "attributes": {
                                           "id": "AKIA", "user": "bot", "secret": "CANARY-SECRET"}}},
            "data.aws_iam_user.d": {"type": "aws_iam_user", "primary": {"attributes": {}}}}},
        {"path": ["root", "bots"], "resources": {
            "aws_iam_role.r": {"type": "aws_iam_role", "primary": {"attributes": {
                "name": "r", "managed_policy_arns.#": "2", "managed_policy_arns.0": "a",
                "managed_policy_arns.1": "b"}}}}},
    ]}
    res = load_one(write_json(tmp_path / "old.tfstate", doc))
    assert sorted(res) == ["aws_iam_access_key.k[1]", "aws_iam_user.bot", "module.bots.aws_iam_role.r"]
    assert res["aws_iam_user.bot"].values["tags"] == {"owner": "alice@example.com", "kubernetes.io/name": "x"}
    assert "secret" not in res["aws_iam_access_key.k[1]"].values
    assert res["aws_iam_access_key.k[1]"].references == ("aws_iam_user.bot",)
    assert res["module.bots.aws_iam_role.r"].values["managed_policy_arns"] == ["a", "b"]


def test_raw_state_version_zero_is_refused(tmp_path: Path) -> None:
    path = write_json(tmp_path / "old.tfstate", {"version": 0, "serial": 1, "modules": []})
    with pytest.raises(InputError, match="not a Terraform state version"):
        load_document(str(path))


def test_newer_raw_state_version_is_refused(tmp_path: Path) -> None:
    path = write_json(tmp_path / "new.tfstate", {"version": 5, "resources": []})
    with pytest.raises(InputError, match="newer"):
        load_document(str(path))


def test_show_state_with_child_modules(tmp_path: Path) -> None:
    doc = {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {
        "resources": [{"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
                       "values": {"name": "u", "tags": TAGS}, "sensitive_values": {}}],
        "child_modules": [{"address": 'module.m["a"]', "resources": [
            {"address": 'module.m["a"].aws_iam_role.r', "mode": "managed", "type": "aws_iam_role",
             "name": "r", "values": {"name": "r"}, "sensitive_values": {}}]}]}}}
    (doc_,) = load_document(str(write_json(tmp_path / "show.json", doc)))
    assert doc_.kind is InputKind.SHOW_STATE
    resources = {r.address: r for r in doc_.resources}
    assert resources['module.m["a"].aws_iam_role.r'].module == 'module.m["a"]'


def test_empty_show_state_has_no_resources(tmp_path: Path) -> None:
    (doc,) = load_document(str(write_json(tmp_path / "s.json", {"format_version": "1.0", "values": {}})))
    assert doc.resources == ()


# -- CDKTF ------------------------------------------------------------------------------------

def test_cdktf_file_folder_and_stacks(tmp_path: Path) -> None:
    out = tmp_path / "cdktf.out"
    for stack in ("a", "b"):
        write_json(out / "stacks" / stack / "cdk.tf.json", {
            "//": {"metadata": {"stackName": stack}},
            "resource": {"aws_iam_role": {f"role_{stack}": {
                "//": {"metadata": {"path": f"{stack}/role"}}, "name": stack, "tags": TAGS}}}})
    docs = load_document(str(out))
    assert [d.metadata["stack"] for d in docs] == ["a", "b"]
    assert [r.address for d in docs for r in d.resources] == ["aws_iam_role.role_a", "aws_iam_role.role_b"]
    assert docs[0].resources[0].metadata["construct_path"] == "a/role"
    assert len(load_document(str(out / "stacks"))) == 2
    assert len(load_document(str(out / "stacks" / "a"))) == 1
    assert len(load_document(str(out / "stacks" / "a" / "cdk.tf.json"))) == 1


def test_cdktf_resolves_variables_and_locals(tmp_path: Path) -> None:
    doc = {"variable": {"team": {"default": "t@example.com"}, "free": {"type": "string"}},
           "locals": {"exp": "2026-06-20"},
           "resource": {"aws_iam_role": {
               "a": {"name": "a", "tags": {"owner": "${var.team}", "expires_at": "${local.exp}"}},
               "b": {"name": "b", "tags": {"owner": "${var.free}", "expires_at": "x-$${literal}"}}}}}
    resources = load_one(write_json(tmp_path / "cdk.tf.json", doc))
    assert resources["aws_iam_role.a"].values["tags"] == {"owner": "t@example.com", "expires_at": "2026-06-20"}
    assert resources["aws_iam_role.b"].values["tags"] == {"owner": UNKNOWN, "expires_at": "x-${literal}"}


# -- HCL --------------------------------------------------------------------------------------

def test_hcl_resolution_and_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text(
        'variable "owner" {\n  default = "default@example.com"\n}\n'
        'variable "expiry" {\n  type = string\n}\n', encoding="utf-8")
    (tmp_path / "terraform.tfvars").write_text('expiry = "2026-06-20"\n', encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        'locals {\n  tags = { owner = var.owner, expires_at = var.expiry }\n}\n\n'
        'resource "aws_iam_role" "a" {\n  name = "a"\n  tags = local.tags\n}\n\n'
        'resource "aws_iam_role" "b" {\n  name = "b"\n'
        '  tags = merge(local.tags, { owner = "b-${var.owner}" })\n}\n'
        'resource "aws_iam_role" "c" {\n  name = "c"\n  tags = { owner = data.x.y.z }\n}\n',
        encoding="utf-8")
    resources = load_one(tmp_path)
    assert resources["aws_iam_role.a"].values["tags"] == {"owner": "default@example.com",
                                                          "expires_at": "2026-06-20"}
    assert resources["aws_iam_role.a"].source.line == 5
    assert resources["aws_iam_role.b"].values["tags"]["owner"] == "b-default@example.com"
    assert resources["aws_iam_role.c"].values["tags"] == {"owner": UNKNOWN}


def test_hcl_nested_module_directories_are_separate_documents(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_iam_role" "root" {\n  name = "r"\n}\n', encoding="utf-8")
    (tmp_path / "modules" / "bot").mkdir(parents=True)
    (tmp_path / "modules" / "bot" / "main.tf").write_text(
        'resource "aws_iam_user" "bot" {\n  name = "b"\n}\n', encoding="utf-8")
    (tmp_path / ".terraform" / "modules" / "x").mkdir(parents=True)
    (tmp_path / ".terraform" / "modules" / "x" / "main.tf").write_text(
        'resource "aws_iam_user" "hidden" {\n  name = "h"\n}\n', encoding="utf-8")
    docs = load_document(str(tmp_path))
    assert [[r.address for r in d.resources] for d in docs] == [["aws_iam_role.root"], ["aws_iam_user.bot"]]


def test_single_tf_file(tmp_path: Path) -> None:
    path = tmp_path / "one.tf"
    path.write_text('resource "aws_iam_role" "r" {\n  name = "r"\n  tags = { owner = "o" }\n}\n',
                    encoding="utf-8")
    assert load_one(path)["aws_iam_role.r"].values["tags"] == {"owner": "o"}


# -- encodings --------------------------------------------------------------------------------

PLAN_TEXT = json.dumps(plan_doc(change("aws_iam_role.r", {"name": "r", "tags": {"owner": "Zoë", "expires_at":
                                                                                  "2026-06-20"}})),
                       ensure_ascii=False)
HCL_TEXT = 'resource "aws_iam_role" "r" {\n  name = "r"\n  tags = { owner = "Zoë" }\n}\n'


@pytest.mark.parametrize(
    "encode",
    [lambda s: s.encode("utf-8"), lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
     lambda s: b"\xff\xfe" + s.encode("utf-16-le"), lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
     lambda s: s.encode("utf-16-le")],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le"],
)
@pytest.mark.parametrize("kind", ["plan", "hcl"])
def test_encodings(tmp_path: Path, encode: Any, kind: str) -> None:
    path = tmp_path / ("plan.json" if kind == "plan" else "main.tf")
    path.write_bytes(encode(PLAN_TEXT if kind == "plan" else HCL_TEXT))
    assert load_one(path)["aws_iam_role.r"].values["tags"]["owner"] == "Zoë"


# -- sniffing and refusals --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("doc", "kind"),
    [({"format_version": "1.0", "resource_changes": []}, "plan"),
     ({"format_version": "1.0", "planned_values": {}}, "plan"),
     ({"resource_drift": []}, "plan"),
     ({"version": 4, "resources": []}, "state"),
     ({"version": 4, "lineage": "x"}, "state"),
     ({"format_version": "1.0", "values": {}}, "show-state"),
     ({"resource": {}}, "cdktf"),
     ({"terraform": {}, "provider": {}}, "cdktf")],
)
def test_sniff_json(doc: dict[str, Any], kind: str) -> None:
    assert sniff_json(doc, "f.json") == kind


@pytest.mark.parametrize("doc", [{}, {"a": 1}, {"version": "4", "resources": []}, {"values": {}}])
def test_sniff_refuses_other_objects(doc: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="not a Terraform plan"):
        sniff_json(doc, "f.json")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "file is empty"), (b"  \n\t", "file is empty"), (b"PK\x03\x04rest", "binary plan file"),
     (b"\xff\xd8\xff\xe0\x00\x10JFIF\x80\x81\xfe", "not text"), (b"\x80\x81\x82\x83", "not text")],
)
def test_decode_text_refusals(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        decode_text(data, "f.json")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [('{"a": ', "ends early", 1), ("{\n\n  x", "not valid JSON", 3), ('{"a": NaN}', "NaN", 1),
     ('{"a": -Infinity}', "NaN", 1), ("[" * 100000 + "]" * 100000, "too deep", None)],
)
def test_parse_json_refusals(text: str, message: str, line: int | None) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_json(text, "f.json")
    assert info.value.line == line
    assert info.value.file == "f.json"


def test_structurally_wrong_plan_and_state(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="resource_changes"):
        load_document(str(write_json(tmp_path / "a.json", {"format_version": "1.0", "resource_changes": {}})))
    with pytest.raises(InputError, match="resources"):
        load_document(str(write_json(tmp_path / "b.json", {"version": 4, "resources": {}})))
    with pytest.raises(InputError, match="values"):
        load_document(str(write_json(tmp_path / "c.json", {"format_version": "1.0", "values": []})))


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_document(str(tmp_path / "nope.json"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="nothing Terraform here") as info:
        load_document(str(tmp_path / "empty"))
    assert info.value.file == str(tmp_path / "empty")


def test_load_inputs_keeps_order(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", plan_doc())
    b = write_json(tmp_path / "b.tfstate", state_doc())
    assert [d.kind for d in load_inputs([str(b), str(a)])] == [InputKind.STATE, InputKind.PLAN]
