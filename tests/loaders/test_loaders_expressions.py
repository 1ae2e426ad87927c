"""The static evaluator: what a Scope resolves (variables, locals, for expressions, operators, calls)
and how ``sensitive`` is read; what it cannot know is UNKNOWN, never a guess."""

from __future__ import annotations

from typing import Any

import pytest

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.expressions import Scope, declared_targets, declared_values, is_sensitive
from nhi_toolkit.model import UNKNOWN


@pytest.mark.parametrize(("raw", "syntax", "expected"), [
    (True, "hcl", True), ('"true"', "hcl", True), ("${(True)}", "hcl", True), ("${!false}", "hcl", True),
    ("${(true)}", "hcl", True), (False, "hcl", False), ('"false"', "hcl", False), ("${!true}", "hcl", False),
    (None, "hcl", False), ("${var.x}", "hcl", True),
    ("true", "json", True), ("false", "json", False), (True, "json", True),
])
def test_sensitive_as_terraform_converts_it(raw: Any, syntax: str, expected: bool) -> None:
    assert is_sensitive(raw, syntax) is expected


def test_scope_expressions() -> None:
    s = Scope("hcl", {"m": {"a": {"o": '"x"'}, "b": {"o": '"y"'}}, "n": None})
    assert s.expression('{for k, v in var.m : k => v.o if k != "b"}') == {"a": "x"}
    assert s.expression('[for k in toset(["b", "a", "a"]) : upper(k)]') == ["A", "B"]
    assert s.expression("var.n == null ? 1 : 0") == 1
    assert s.expression("!false") is True
    with pytest.raises(InputError):
        raise InputError("x", "y")


@pytest.mark.parametrize(("expr", "expected"), [
    ("var.owner", "alice@example.com"),
    ('"${var.owner}-bot"', "alice@example.com-bot"),
    ("local.tags.owner", "alice@example.com"),
    ('merge(local.tags, {expires_at = "2027-01-31"})',
     {"owner": "alice@example.com", "expires_at": "2027-01-31"}),
    ("length(var.list)", 2),
    ("var.list[1]", "b"),
    ("var.count > 1 && true", True),
    ("var.missing", UNKNOWN),
    ("timestamp()", UNKNOWN),
    ("var.list[5]", UNKNOWN),
    ("(var.count)", 2),
])
def test_scope_resolves_what_tags_are_written_with(expr: str, expected: Any) -> None:
    scope = Scope("hcl", {"owner": '"alice@example.com"', "list": ['"a"', '"b"'], "count": 2},
                  {"tags": {"owner": "${var.owner}"}})
    assert scope.expression(expr) == expected


def test_a_local_that_refers_to_itself_is_unknown_not_a_hang() -> None:
    scope = Scope("hcl", locals_={"a": "${local.b}", "b": "${local.a}"})
    assert scope.expression("local.a") is UNKNOWN


def test_json_syntax_strings_are_templates() -> None:
    scope = Scope("json", {"env": "prod"})
    assert scope.resolve({"name": "svc-${var.env}", "lit": "$${not.an.expr}"}) == {
        "name": "svc-prod", "lit": "${not.an.expr}"}


def test_declared_values_drop_secrets_and_merge_default_tags() -> None:
    scope = Scope("hcl")
    body = {"name": '"u"', "password": '"hunter2"', "tags": {"owner": '"a"'}, "count": 1}
    values = declared_values(body, scope, frozenset({"count"}), "aws_iam_user", {"team": "x"})
    assert values == {"name": "u", "tags": {"owner": "a"}, "tags_all": {"team": "x", "owner": "a"}}


def test_declared_targets_exclude_the_block_itself_and_name_module_resources() -> None:
    refs = {"aws_iam_user.u", "aws_iam_access_key.k", "var.x", "data.aws_caller_identity.me"}
    assert declared_targets(refs, "aws_iam_access_key.k") == (
        "aws_iam_user.u", "data.aws_caller_identity.me")
    assert declared_targets({"aws_iam_user.u"}, "aws_iam_access_key.k", "module.a") == ("module.a.aws_iam_user.u",)
