"""What Terraform marks sensitive in an HCL tree, attacked: no marked value is read or stored, and
what Terraform leaves unmarked is not called unreadable (each case checked against a plan of the
same configuration with ``terraform_data``)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nhi_toolkit.cli import main

NOW = "2026-12-01"
_SECRET = 'variable "s" {\n  sensitive = true\n  default   = "alice-CANARY@example.com"\n}\n'


def _user(name: str, owner: str, extra: str = "") -> str:
    return (f'resource "aws_iam_user" "{name}" {{\n{extra}  name = "{name}"\n'
            f'  tags = {{ owner = {owner}, expires_at = "2027-01-01" }}\n}}\n')


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def _check(path: Path, *extra: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["check", str(path), "--now", NOW, "--format", "json", *extra])
    return result.exit_code, json.loads(result.output), result.output


def _rows(doc: dict) -> dict[str, tuple[object, str]]:
    return {i["address"]: (i["owner"], i["status"]) for i in doc["identities"]}


def _unreadable(doc: dict) -> set[str]:
    return {f["address"] for f in doc["findings"] if "marked sensitive" in f["message"]}


@pytest.mark.parametrize("files", [
    {"main.tf": _SECRET + _user("u", "var.s"),
     "override.tf": 'variable "s" {\n  default = "override-CANARY@example.com"\n}\n'},
    {"main.tf": 'variable "s" {\n  default = "main-CANARY@example.com"\n}\n' + _user("u", "var.s"),
     "x_override.tf": 'variable "s" {\n  sensitive = "true"\n}\n'},
], ids=["default-in-override", "sensitive-in-override"])
def test_an_override_file_default_of_a_sensitive_variable_is_never_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> None:
    # The override gives a default, not sensitive = false: the variable stays sensitive, and the
    # override file's own parse-cache entry (which alone does not say so) must not keep the default.
    cache = tmp_path / "cache"
    monkeypatch.setenv("NHI_CACHE_DIR", str(cache))
    tree = tmp_path / "tree"
    _write(tree, files)
    code, doc, out = _check(tree)
    assert code == 1 and "CANARY" not in out
    assert _unreadable(doc) == {"aws_iam_user.u"}
    assert _check(tree)[2] == out  # served from the caches: the same bytes
    for entry in cache.rglob("*"):
        if entry.is_file():
            assert b"CANARY" not in entry.read_bytes(), entry


def test_a_conditional_with_a_sensitive_branch_is_marked_whichever_branch_is_taken(tmp_path: Path) -> None:
    # terraform show -json: `true ? "carol" : var.s` is "carol", and after_sensitive marks it (the
    # result carries both branches' marks). The value Terraform marks is never read nor printed.
    _write(tmp_path, {"main.tf": _SECRET + _user("cond", 'true ? "carol-CANARY@example.com" : var.s')
                      + _user("plain", 'false ? var.s : "dave@example.com"')})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {"aws_iam_user.cond": (None, "no-owner"), "aws_iam_user.plain": (None, "no-owner")}
    assert _unreadable(doc) == {"aws_iam_user.cond", "aws_iam_user.plain"}


def test_sensitive_function_marks_and_nonsensitive_unmarks(tmp_path: Path) -> None:
    # terraform show -json: sensitive("bob") is marked; nonsensitive(var.s) is not (its value is
    # shown). Here the first is unreadable (an error), the second is what it is statically: unknown.
    _write(tmp_path, {"main.tf": _SECRET + _user("sf", 'sensitive("bob-CANARY@example.com")')
                      + _user("ns", "nonsensitive(var.s)")
                      + _user("ns_plain", 'nonsensitive("erin@example.com")')})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {"aws_iam_user.sf": (None, "no-owner"), "aws_iam_user.ns": (None, "unknown"),
                          "aws_iam_user.ns_plain": ("erin@example.com", "ok")}
    assert _unreadable(doc) == {"aws_iam_user.sf"}


def test_each_value_of_a_marked_element_is_marked(tmp_path: Path) -> None:
    # terraform show -json: for_each = { a = var.s, b = "plain" } plans both; each.value is marked in
    # ["a"] only, each.key in neither. Resources and module calls alike.
    fe = 'locals {\n  fe = { a = var.s, b = "frank@example.com" }\n}\n'
    child = ('variable "o" {}\nvariable "k" {}\n'
             'resource "aws_iam_user" "in" {\n  name = var.k\n'
             '  tags = { owner = var.o, expires_at = "2027-01-01" }\n}\n')
    _write(tmp_path, {"main.tf": _SECRET + fe + _user("fe", "each.value", "  for_each = local.fe\n")
                      + _user("fk", '"${each.key}@example.com"', "  for_each = local.fe\n")
                      + 'module "m" {\n  source   = "./m"\n  for_each = local.fe\n'
                        '  o        = each.value\n  k        = each.key\n}\n',
                      "m/main.tf": child})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {
        'aws_iam_user.fe["a"]': (None, "no-owner"), 'aws_iam_user.fe["b"]': ("frank@example.com", "ok"),
        'aws_iam_user.fk["a"]': ("a@example.com", "ok"), 'aws_iam_user.fk["b"]': ("b@example.com", "ok"),
        'module.m["a"].aws_iam_user.in': (None, "no-owner"),
        'module.m["b"].aws_iam_user.in': ("frank@example.com", "ok")}
    assert _unreadable(doc) == {'aws_iam_user.fe["a"]', 'module.m["a"].aws_iam_user.in'}


def test_a_known_part_of_a_partly_marked_value_is_readable(tmp_path: Path) -> None:
    # terraform show -json: local.m = { owner = "frank", other = var.s }; local.m.owner,
    # lookup(local.m, "owner"), merge(local.m, ...).owner and a child's plain output or the plain
    # attribute of an output holding a marked one are all unmarked; only "other" is.
    m = 'locals {\n  m = { owner = "frank@example.com", other = var.s }\n}\n'
    child = ('variable "s" {}\noutput "obj" {\n  value = { a = var.s, b = "gina@example.com" }\n}\n'
             'output "secret" {\n  value = var.s\n}\noutput "plain" {\n  value = "hank@example.com"\n}\n')
    _write(tmp_path, {"main.tf": _SECRET + m + _user("attr", "local.m.owner")
                      + _user("lookup", 'lookup(local.m, "owner", "")')
                      + 'resource "aws_iam_user" "merged" {\n  name = "merged"\n'
                        '  tags = merge(local.m, { expires_at = "2027-01-01" })\n}\n'
                      + 'module "c" {\n  source = "./c"\n  s      = var.s\n}\n'
                      + _user("objb", "module.c.obj.b") + _user("plain", "module.c.plain")
                      + _user("secret", "module.c.secret") + _user("obja", "module.c.obj.a"),
                      "c/main.tf": child})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {
        "aws_iam_user.attr": ("frank@example.com", "ok"), "aws_iam_user.lookup": ("frank@example.com", "ok"),
        "aws_iam_user.merged": ("frank@example.com", "ok"), "aws_iam_user.objb": ("gina@example.com", "ok"),
        "aws_iam_user.plain": ("hank@example.com", "ok"), "aws_iam_user.secret": (None, "no-owner"),
        "aws_iam_user.obja": (None, "no-owner")}
    assert _unreadable(doc) == {"aws_iam_user.secret", "aws_iam_user.obja"}


def test_a_default_tag_owner_from_a_sensitive_variable_is_unreadable(tmp_path: Path) -> None:
    # The provider's default owner is derived from a sensitive variable: it cannot be read here (its
    # value never reaches a report), so an identity relying on it has no readable owner, an error,
    # not an unknown (info, exit 0). Its own owner tag still wins; a child module inherits the marks.
    provider = ('provider "aws" {\n  default_tags {\n    tags = { owner = var.s, team = "t" }\n  }\n}\n'
                'provider "aws" {\n  alias = "whole"\n  default_tags {\n    tags = var.st\n  }\n}\n'
                'variable "st" {\n  sensitive = true\n  default   = { owner = "CANARY@example.com" }\n}\n')
    plain = 'resource "aws_iam_user" "{0}" {{\n{1}  name = "{0}"\n  tags = {{ expires_at = "2027-01-01" }}\n}}\n'
    _write(tmp_path, {"main.tf": _SECRET + provider + plain.format("dflt", "")
                      + plain.format("whole", "  provider = aws.whole\n")
                      + _user("own", '"ivy@example.com"')
                      + 'module "m" {\n  source = "./m"\n}\n',
                      "m/main.tf": plain.format("child", "")})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {"aws_iam_user.dflt": (None, "no-owner"), "aws_iam_user.whole": (None, "no-owner"),
                          "aws_iam_user.own": ("ivy@example.com", "ok"),
                          "module.m.aws_iam_user.child": (None, "no-owner")}
    assert _unreadable(doc) == {"aws_iam_user.dflt", "aws_iam_user.whole", "module.m.aws_iam_user.child"}


def test_a_default_tag_owner_from_a_sensitive_variable_in_cdk_tf_json_is_unreadable(tmp_path: Path) -> None:
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(json.dumps({
        "variable": {"tok": {"sensitive": "true", "default": "CANARY-json"}},
        "provider": {"aws": [{"default_tags": [{"tags": {"owner": "${var.tok}"}}]}]},
        "resource": {"aws_iam_user": {
            "a": {"name": "a", "tags": {"expires_at": "2027-01-01"}},
            "b": {"name": "b", "tags": {"owner": "bob@example.com", "expires_at": "2027-01-01"}}}}}),
        encoding="utf-8")
    code, doc, out = _check(stack, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {"aws_iam_user.a": (None, "no-owner"), "aws_iam_user.b": ("bob@example.com", "ok")}
    assert _unreadable(doc) == {"aws_iam_user.a"}


def _load(path: Path) -> tuple[list[int], str]:
    from nhi_toolkit.loaders import hcl_cache, hcl_result, load_document

    before = (hcl_cache.parse_count(), hcl_result.load_count(), hcl_result.result_hits())
    docs = load_document(str(path))
    after = (hcl_cache.parse_count(), hcl_result.load_count(), hcl_result.result_hits())
    return [a - b for a, b in zip(after, before, strict=True)], repr(
        [(d.path, d.resources, [(r.values, r.metadata) for r in d.resources]) for d in docs])


@pytest.mark.parametrize("damage", [
    "not-a-list", "int-key", "nested-list", "path-not-a-list", "also-in-metadata", "missing", "extra-field"])
def test_a_result_entry_with_bad_sensitive_paths_is_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    monkeypatch.setenv("NHI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NHI_PARSE_WORKERS", "1")
    monkeypatch.delenv("NHI_NO_CACHE", raising=False)
    tree = tmp_path / "tree"
    _write(tree, {"main.tf": _SECRET + _user("u", "var.s")})
    _, expected = _load(tree)
    assert "sensitive_paths" in expected and "CANARY" not in expected
    entry_file = next((tmp_path / "cache" / "hcl").glob("root-*.json"))
    entry = json.loads(entry_file.read_bytes())
    res = entry["docs"][0][2][0]
    assert res[16] == [["tags", "owner"]]
    if damage == "not-a-list":
        res[16] = "tags"
    elif damage == "int-key":
        res[16] = [["tags", 1]]
    elif damage == "nested-list":
        res[16] = [["tags", ["owner"]]]
    elif damage == "path-not-a-list":
        res[16] = ["tags"]
    elif damage == "also-in-metadata":
        res[14]["sensitive_paths"] = [["tags"]]
    elif damage == "missing":
        del res[16]
    else:
        res.append([])
    entry_file.write_text(json.dumps(entry))
    counted, again = _load(tree)
    assert again == expected and counted[1:] == [1, 0]  # evaluated again, not taken from the entry


def test_cached_uncached_and_serial_runs_agree_on_marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child = 'variable "s" {}\noutput "o" {\n  value = { a = var.s, b = "gina@example.com" }\n}\n'
    _write(tmp_path / "tree", {
        "main.tf": _SECRET + 'locals {\n  m = { owner = "frank@example.com", other = var.s }\n}\n'
        + 'provider "aws" {\n  default_tags {\n    tags = { owner = var.s }\n  }\n}\n'
        + _user("a", "local.m.owner") + _user("b", "module.c.o.a") + _user("c", 'true ? "x" : var.s')
        + 'resource "aws_iam_user" "d" {\n  name = "d"\n  tags = { expires_at = "2027-01-01" }\n}\n'
        + 'module "c" {\n  source = "./c"\n  s      = var.s\n}\n', "c/main.tf": child})
    outputs = []
    for fmt in ("json", "text", "sarif"):
        runs = []
        for env in ({"NHI_CACHE_DIR": str(tmp_path / "cache")}, {"NHI_CACHE_DIR": str(tmp_path / "cache")},
                    {"NHI_NO_CACHE": "1", "NHI_PARSE_WORKERS": "1"}):
            result = CliRunner().invoke(main, ["check", str(tmp_path / "tree"), "--now", NOW, "--format", fmt],
                                        env={"NHI_CACHE_DIR": None, "NHI_NO_CACHE": None, **env})
            runs.append((result.exit_code, result.output))
        assert runs[0] == runs[1] == runs[2], fmt
        assert runs[0][0] == 1 and "CANARY" not in runs[0][1]
        outputs.append(runs[0][1])
    doc = json.loads(outputs[0])
    assert _unreadable(doc) == {"aws_iam_user.b", "aws_iam_user.c", "aws_iam_user.d"}
    for entry in (tmp_path / "cache").rglob("*.json"):
        assert b"CANARY" not in entry.read_bytes()


def test_marks_are_found_past_what_is_not_known(tmp_path: Path) -> None:
    # terraform show -json marks each of these owners (a template directive reading var.s, a
    # template part after an unknown one, a conditional whose condition is unknown, index() of a
    # list holding a marked element): none is an unknown (info, exit 0).
    lst = 'locals {\n  l = [var.s, "bob@example.com"]\n}\n'
    _write(tmp_path, {"main.tf": _SECRET + lst
                      + _user("directive", '"%{ if var.s != "" }alice%{ endif }@example.com"')
                      + 'resource "aws_iam_user" "heredoc" {\n  name = "heredoc"\n  tags = {\n    owner = <<EOT\n'
                        '%{ if var.s != "" }alice%{ endif }\nEOT\n    expires_at = "2027-01-01"\n  }\n}\n'
                      + _user("after", '"${aws_iam_user.x.id}-${var.s}"')
                      + _user("cond", 'aws_iam_user.x.id == "" ? var.s : "bob@example.com"')
                      + _user("index", 'index(local.l, "bob@example.com") == 1 ? "c@example.com" : "d@example.com"')
                      + _user("element", "element(local.l, 1)")})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {f"aws_iam_user.{n}": (None, "no-owner")
                          for n in ("directive", "heredoc", "after", "cond", "index")} | {
        "aws_iam_user.element": ("bob@example.com", "ok")}  # element() keeps the marks of elements
    assert _unreadable(doc) == {f"aws_iam_user.{n}" for n in ("directive", "heredoc", "after", "cond", "index")}


def test_a_splat_of_a_marked_module_output_is_marked(tmp_path: Path) -> None:
    # terraform show -json: one(module.c[*].secret) is marked, one(module.c[*].plain) is not.
    child = 'variable "s" {}\noutput "secret" {\n  value = var.s\n}\noutput "plain" {\n  value = "dave@example.com"\n}\n'
    _write(tmp_path, {"main.tf": _SECRET + 'module "c" {\n  source = "./c"\n  count  = 1\n  s      = var.s\n}\n'
                      + 'module "f" {\n  source   = "./c"\n  for_each = toset(["k"])\n  s        = var.s\n}\n'
                      + _user("secret", "one(module.c[*].secret)") + _user("plain", "one(module.c[*].plain)")
                      + _user("indexed", "module.c[0].secret") + _user("indexed_plain", "module.c[0].plain")
                      + _user("keyed", 'module.f["k"].secret') + _user("keyed_plain", 'module.f["k"].plain'),
                      "c/main.tf": child})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    rows = _rows(doc)
    assert rows["aws_iam_user.secret"] == rows["aws_iam_user.indexed"] == rows["aws_iam_user.keyed"] == (
        None, "no-owner")
    assert rows["aws_iam_user.plain"][1] != "no-owner"
    assert rows["aws_iam_user.indexed_plain"] == rows["aws_iam_user.keyed_plain"] == ("dave@example.com", "ok")
    assert _unreadable(doc) == {"aws_iam_user.secret", "aws_iam_user.indexed", "aws_iam_user.keyed"}


def test_what_terraform_marks_around_an_owner_tag(tmp_path: Path) -> None:
    # terraform show -json: a key from a sensitive value marks the whole object (its owner too);
    # a sensitive value in another attribute, or in another entry of the tags, leaves the owner
    # readable; length() of a sensitive map marks that entry only.
    m = 'variable "m" {\n  sensitive = true\n  default   = { k = "CANARY" }\n}\n'
    _write(tmp_path, {"main.tf": _SECRET + m
                      + 'resource "aws_iam_user" "key" {\n  name = "key"\n'
                        '  tags = { (var.s) = "x", owner = "bob@example.com", expires_at = "2027-01-01" }\n}\n'
                      + 'resource "aws_iam_user" "name" {\n  name = var.s\n'
                        '  tags = { owner = "carl@example.com", expires_at = "2027-01-01", n = length(var.m) }\n}\n'})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {"aws_iam_user.key": (None, "no-owner"), "aws_iam_user.name": ("carl@example.com", "ok")}
    assert _unreadable(doc) == {"aws_iam_user.key"}


@pytest.mark.parametrize("owner", ['sensitive("bob-CANARY@example.com")', "sensitive(local.o)",
                                   'sensitive(upper("bob-canary@example.com"))'])
def test_a_value_given_to_sensitive_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    owner: str) -> None:
    monkeypatch.setenv("NHI_CACHE_DIR", str(tmp_path / "cache"))
    tree = tmp_path / "tree"
    _write(tree, {"main.tf": 'locals {\n  o = "bob-CANARY@example.com"\n}\n' + _user("u", owner),
                  "other.tf": _user("v", '"dave@example.com"')})
    code, doc, out = _check(tree)
    assert code == 1 and "CANARY" not in out.upper()
    assert _unreadable(doc) == {"aws_iam_user.u"}
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file():
            assert b"CANARY" not in entry.read_bytes().upper(), entry


def test_a_mark_inside_a_nested_block_is_kept_to_its_entry(tmp_path: Path) -> None:
    # terraform show -json marks metadata[0].labels["app"] only: the owner annotation beside it is
    # readable; one marked itself is not.
    sa = ('resource "kubernetes_service_account" "{0}" {{\n  metadata {{\n    name = "{0}"\n'
          '    labels = {{ app = {1} }}\n'
          '    annotations = {{ owner = {2}, expires_at = "2027-01-01" }}\n  }}\n}}\n')
    _write(tmp_path, {"main.tf": _SECRET + sa.format("label", "var.s", '"kim@example.com"')
                      + sa.format("owner", '"web"', "var.s")})
    code, doc, out = _check(tmp_path, "--no-cache")
    assert code == 1 and "CANARY" not in out
    assert _rows(doc) == {"kubernetes_service_account.label": ("kim@example.com", "ok"),
                          "kubernetes_service_account.owner": (None, "no-owner")}
    assert _unreadable(doc) == {"kubernetes_service_account.owner"}
    assert [f["rule"] for f in doc["findings"]] == ["missing-owner"]  # its expiry is read
