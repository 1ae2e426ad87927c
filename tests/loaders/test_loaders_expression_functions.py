"""The Terraform functions the static evaluator applies, and UNKNOWN for everything else."""

from __future__ import annotations

from typing import Any

import pytest

from nhi_toolkit.loaders.expression_functions import call_function
from nhi_toolkit.model import UNKNOWN


@pytest.mark.parametrize(("fn", "args", "expected"), [
    ("merge", [{"a": 1}, None, {"a": 2, "b": 3}], {"a": 2, "b": 3}),
    ("merge", [{"a": 1}, "x"], UNKNOWN),
    ("toset", [["b", "a", "b", 1]], ["1", "a", "b"]),
    ("toset", [[True]], UNKNOWN),
    ("tolist", [["b", "a"]], ["b", "a"]),
    ("length", [{"a": 1, "b": 2}], 2),
    ("length", [3], UNKNOWN),
    ("tomap", [{"a": 1}], {"a": 1}),
    ("keys", [{"b": 1, "a": 2}], ["a", "b"]),
    ("values", [{"b": 1, "a": 2}], [2, 1]),
    ("lower", ["AbC"], "abc"),
    ("upper", ["AbC"], "ABC"),
    ("trimspace", ["  x "], "x"),
    ("tostring", [1], UNKNOWN),
    ("upper", ["a", "b"], UNKNOWN),
    ("timestamp", [], UNKNOWN),
])
def test_call_function(fn: str, args: list[Any], expected: Any) -> None:
    got = call_function(fn, args)
    assert got is UNKNOWN if expected is UNKNOWN else got == expected
