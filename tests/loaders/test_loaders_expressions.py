"""The static evaluator: what a Scope resolves (variables, locals, for expressions, operators, calls)
and how ``sensitive`` is read; what it cannot know is UNKNOWN, never a guess."""

from __future__ import annotations

from typing import Any

import pytest

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.declared import declared_targets, declared_values
from nhi_toolkit.loaders.expressions import Scope, is_sensitive
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


# -- try() and can() ---------------------------------------------------------------------------

def _exact(variables: dict[str, object], exact: bool = True) -> Scope:
    return Scope("hcl", variables, {"bad": "${var.m.missing}", "m": "${var.m}"}, exact=lambda: exact)


@pytest.mark.parametrize(("expr", "want"), [
    ('try(var.m.missing, var.m.o, "d")', "x"),            # a missing attribute is the error try() skips
    ('try(var.l[5], var.l[0])', "a"),                      # an index past the end too
    ('try(var.s.attr, "d")', "d"),                          # an attribute of a string
    ('try(var.n.attr, "d")', "d"),                          # an attribute of null
    ('try(var.m.o, "d")', "x"),                             # the first that works wins
    ('try(var.m.missing)', UNKNOWN),                        # every argument failing is an error
    ('try(var.u.o, "d")', UNKNOWN),                         # depends on what is unknown: unknown
    ('try({ a = var.m.missing }, "d")', "d"),               # an error anywhere in the argument
    ('try("${var.m.missing}-x", "d")', "d"),
    ('try(local.bad, "d")', UNKNOWN),                       # a local's own error is not try()'s
    ('try(local.m.missing, "d")', "d"),                     # but a missing attribute of its value is
    ('can(var.m.missing)', False),
    ('can(var.m.o)', True),
    ('can(var.u.o)', UNKNOWN),
    ('try(var.m.missing == "x", "d")', "d"),                # both sides of == are evaluated
    ('try(var.m.o == "y" || var.m.missing, "d")', "d"),     # || needs its right side here
    ('try(var.m.o == "x" || var.m.missing, "d")', UNKNOWN),  # decided on the left: whether the
    ('try(true || var.m.missing, "d")', UNKNOWN),           # right side's error counts is not settled
    ('try(var.m.o == "x" ? var.m.o : var.m.missing, "d")', "x"),  # only the chosen branch
    ('var.m.missing', UNKNOWN),                             # outside try(): not judged
])
def test_try_and_can_follow_terraform(expr: str, want: object) -> None:
    scope = _exact({"m": {"o": '"x"'}, "l": ['"a"'], "s": '"text"', "n": None, "u": UNKNOWN})
    assert scope.expression(expr) == want if want is not UNKNOWN else scope.expression(expr) is UNKNOWN


def test_try_is_unknown_where_a_type_may_reshape_values() -> None:
    # Under a type with optional() attributes Terraform fills a missing one with null (so try()
    # returns null, not the fallback); object() drops attributes it does not name; neither is
    # modelled here, so a missing attribute decides nothing.
    scope = _exact({"m": {"o": '"x"'}}, exact=False)
    assert scope.expression('try(var.m.missing, "d")') is UNKNOWN
    assert scope.expression('can(var.m.missing)') is UNKNOWN
    # object() may have dropped an attribute written, set() made a list unindexable: even what
    # succeeds here may fail there (terraform 1.11 gives "d" for var.m.o under object({ p = string }))
    assert scope.expression('try(var.m.o, "d")') is UNKNOWN
    assert Scope("hcl", {"m": {}}).expression('try(var.m.missing, "d")') is UNKNOWN  # no load: never decided
    # under map(any) a string map's lookup() default {} fails to convert: try() takes the fallback
    assert scope.expression('try(lookup(var.m, "o", {}), "d")') is UNKNOWN


# -- where try() must not take a value Terraform refuses (each checked against terraform 1.11) -------

def _set_scope() -> Scope:
    return Scope("hcl", {"flag": True, "name": '"bob"', "n": None, "given": '"true"'},
                 {"s": '${toset(["a", "b"])}', "l": "${tolist(local.s)}", "m": {"a": '"x"'}},
                 exact=lambda: True)


@pytest.mark.parametrize(("expr", "terraform"), [
    # A set cannot be indexed, nor read by element(), index() or concat(): an error try() skips.
    ('try(local.s[0], "fallback")', "fallback"),
    ('try(element(local.s, 0), "fallback")', "fallback"),
    ('try(index(local.s, "a"), "fallback")', "fallback"),
    ('try(concat(local.s, ["c"]), "fallback")', "fallback"),
    # Both results of a conditional are converted to one type: none is an error.
    ('try(var.flag ? { owner = "a", n = { x = 1 } } : {}, "fallback")', "fallback"),
    ('try(var.flag ? "x" : {}, "fallback")', "fallback"),
    ('try(var.flag ? ["a"] : {}, "fallback")', "fallback"),
    ('try(var.flag ? 5 : "x", "fallback")', "5"),
    # Terraform 1.11 evaluates both operands of || and &&: a non-bool one is an error.
    ('try(var.flag || var.name, "fallback")', "fallback"),
    ('try(var.name || var.flag, "fallback")', "fallback"),
    ('try(var.flag && var.n, "fallback")', "fallback"),
    # Conversions a function makes can fail.
    ('try(tolist(["a", {}]), "fallback")', "fallback"),
    ('try(tomap({ a = "x", b = { c = 1 } }), "fallback")', "fallback"),
    ('try(lookup(tomap({ a = "x" }), "a", {}), "fallback")', "fallback"),
    # A key written as a reference without parentheses is an "ambiguous attribute key".
    ('try({ local.m.a = 1 }, "fallback")', "fallback"),
])
def test_try_never_takes_a_value_terraform_refuses(expr: str, terraform: object) -> None:
    got = _set_scope().expression(expr)
    assert got is UNKNOWN or got == terraform, got


@pytest.mark.parametrize(("expr", "terraform"), [
    ('try(var.flag ? local.m.a : local.m.missing, "fallback")', "x"),  # the other branch's error is dropped
    ('try(var.flag ? { a = "x" } : {}, "fallback")', {"a": "x"}),      # unified as map(string)
    ('try(var.flag ? null : { a = 1 }, "fallback")', None),
    ('try(var.flag ? "x" : "y", "fallback")', "x"),
    ('try(var.flag || false, "fallback")', True),
    ('try({ (local.m.a) = 1 }, "fallback")', {"x": 1}),
    ('try(lookup(local.m, "missing", {}), "fallback")', {}),           # an object's default is not converted
    ('try(local.l[1], "fallback")', "b"),                              # a list again
    ('length(local.s)', 2),
    ('[for v in local.s : v]', ["a", "b"]),
])
def test_try_keeps_what_terraform_computes(expr: str, terraform: object) -> None:
    assert _set_scope().expression(expr) == terraform


@pytest.mark.parametrize(("expr", "terraform"), [
    ("true == 1", False),                        # values of different types are never equal
    ("false != 0", True),
    ("var.given == true", True),                 # type = bool converts the "true" given: true
    ('tomap({ a = "x" }) == { a = "x" }', False),  # a map is not an object: which one, only types say
    ('[for k, v in local.s : k]', ["a", "b"]),   # a set's key is its element
    ("[for v in toset([10, 9]) : v]", [9, 10]),  # a set of numbers, in numeric order
    ('[for v in toset([10, "9"]) : v]', ["10", "9"]),
])
def test_values_compare_and_iterate_as_terraform_types_do(expr: str, terraform: object) -> None:
    got = _set_scope().expression(expr)
    assert got is UNKNOWN or got == terraform, got


def test_a_resources_values_hold_plain_lists_and_dicts() -> None:
    # A set or a map is told apart while expressions are evaluated; a resource's values (what the
    # rules read and the result cache stores) are plain JSON data.
    scope = Scope("hcl", {}, {"s": '${toset(["b", "a"])}', "m": '${tomap({ owner = "x" })}'})
    values = declared_values({"tags": "${local.m}", "groups": ["${local.s}"]}, scope, frozenset(),
                             "aws_iam_user", {"team": "t"})
    assert values == {"tags": {"owner": "x"}, "groups": [["a", "b"]], "tags_all": {"team": "t", "owner": "x"}}
    assert type(values["tags"]) is dict and type(values["groups"][0]) is list
