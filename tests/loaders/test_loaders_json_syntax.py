"""JSON syntax rewritten as native HCL: the same values in a native scope as in a JSON one."""

from __future__ import annotations

from typing import Any

import pytest

from nhi_toolkit.loaders import json_syntax
from nhi_toolkit.loaders.expressions import Scope
from nhi_toolkit.loaders.modules import body_references
from nhi_toolkit.model import UNKNOWN

NATIVE = Scope("hcl", {"a": '"A"', "n": 3, "m": {"k": '"K"'}})
JSON = Scope("json", {"a": "A", "n": 3, "m": {"k": "K"}})


@pytest.mark.parametrize("raw", [
    "plain", "x-${var.a}", "${var.a}", "${var.n}", 'say "hi"\n\t\\ end', "a $${lit} b", "%{if true}x%{endif}",
    "${var.m.k}-${var.a}", "${unbalanced", 7, 1.5, True, None, ["a", "${var.a}", 1],
    {"owner": "x", "${var.a}": 1, "k-1": "y", "a b": "z", "q\"uote": "${var.n}"},
    {"nested": {"list": ["${var.m.k}", {"deep": "v"}]}},
])
def test_a_value_reads_the_same_in_either_syntax(raw: Any) -> None:
    assert NATIVE.resolve(json_syntax.value(raw)) == JSON.resolve(raw)


def test_an_unbalanced_key_makes_the_object_unknown() -> None:
    assert NATIVE.resolve(json_syntax.value({"${oops": "x"})) is UNKNOWN


@pytest.mark.parametrize(("raw", "expected"), [
    ("x${var.a}", "x${var.a}"), ("%{x}", "%{x}"), ('a "b"\n', 'a "b"\n'), (["${y}"], ["${y}"]),
    ({"${k}": "${v}"}, {"${k}": "${v}"}), (3, 3), (None, None),
])
def test_a_default_is_a_literal(raw: Any, expected: Any) -> None:
    assert NATIVE.resolve(json_syntax.literal(raw)) == expected


def test_meta_arguments_that_name_things_become_references() -> None:
    out = json_syntax.body({
        "//": "a comment", "depends_on": ["aws_iam_user.a", "module.m"], "provider": "aws.east",
        "providers": {"aws": "aws.west"}, "name": "${var.a}",
        "lifecycle": {"prevent_destroy": True, "ignore_changes": ["tags"]},
    })
    assert "//" not in out
    assert out["depends_on"] == ["${aws_iam_user.a}", "${module.m}"]
    assert out["provider"] == "${aws.east}" and out["providers"] == {"aws": "${aws.west}"}
    assert out["lifecycle"] == {"prevent_destroy": True, "ignore_changes": ["tags"]}
    assert NATIVE.resolve(out["name"]) == "A"
    assert {"aws_iam_user.a", "module.m"} <= body_references(out)
