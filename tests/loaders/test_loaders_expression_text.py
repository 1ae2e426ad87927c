"""The text of HCL expressions: escapes, template parts, top-level splitting and references."""

from __future__ import annotations

from typing import Any

import pytest

from nhi_toolkit.loaders.expression_text import (
    balanced,
    find_references,
    find_top,
    one_string,
    parse_object,
    split_args,
    split_template,
    split_top,
    unicode_target,
    unquote,
)
from nhi_toolkit.model import UNKNOWN


@pytest.mark.parametrize(("text", "expected"), [
    (r"a\nb", "a\nb"),
    (r"say \"hi\"", 'say "hi"'),
    (r"\u00e9t\u00e9", "été"),
    (r"\uZZZZ", r"\uZZZZ"),
    ("$${literal}", "${literal}"),
    ("%%{literal}", "%{literal}"),
])
def test_unquote(text: str, expected: str) -> None:
    assert unquote(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", [(False, "plain")]),
    ("a-${var.x}-b", [(False, "a-"), (True, "var.x"), (False, "-b")]),
    ('${merge({a = "}"}, var.m)}', [(True, 'merge({a = "}"}, var.m)')]),
    ("$${not} ${x}", [(False, "$${not} "), (True, "x")]),
    ("${unclosed", None),
])
def test_split_template(text: str, expected: list[tuple[bool, str]] | None) -> None:
    parts = split_template(text)
    assert (list(parts) if parts is not None else None) == expected


def test_top_level_splitting_ignores_brackets_and_strings() -> None:
    assert split_args('a, f(b, c), "d,e", [1, 2]') == ["a", "f(b, c)", '"d,e"', "[1, 2]"]
    assert find_top('f(a ? b : c) ? "x ? y" : z', "?") == 13
    assert find_top("(a ? b)", "?") == -1
    assert split_top("k => v => w", "=>") == ["k ", " v => w"]
    assert balanced("f(a[0], {b})") and not balanced("f(a))(") and not balanced("[")
    assert one_string('"a \\" b"') and not one_string('"a" == "b"')


def test_find_references_reads_every_expression_in_a_value() -> None:
    found: set[str] = set()
    find_references({"a": "${aws_iam_user.u.name}", "b": ["x", "${data.aws_iam_role.r.arn}-${var.v}"],
                     "${aws_iam_role.k.name}": "key"}, found)
    assert found == {"aws_iam_user.u", "data.aws_iam_role.r", "aws_iam_role.k", "var.v"}


@pytest.mark.parametrize(("ref", "module", "expected"), [
    ("aws_iam_user.bénédicte.name", "", "aws_iam_user.bénédicte"),
    ("data.aws_iam_role.rôle.arn", "module.m", "module.m.data.aws_iam_role.rôle"),
    ("aws_iam_user.ascii", "", None),
    ("var.ümlaut", "", None),
])
def test_unicode_target(ref: str, module: str, expected: str | None) -> None:
    assert unicode_target(ref, module) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ('{ owner = "a", n = 1 }', {"owner": '"a"', "n": 1}),
    ("{ not valid", UNKNOWN),
])
def test_parse_object(text: str, expected: Any) -> None:
    got = parse_object(text)
    assert got is UNKNOWN if expected is UNKNOWN else got == expected
