"""Strict JSON: what Terraform never writes is refused, naming line and column but never a value.

The refusals of whole plan and state files are in tests/test_loaders.py and tests/test_input_safety.py;
these pin the module's own contract.
"""

from __future__ import annotations

import pytest

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders import common
from nhi_toolkit.loaders.strict_json import MAX_DEPTH, check_depth, parse_json


def test_a_repeated_key_is_named_with_its_place_never_its_values() -> None:
    with pytest.raises(InputError) as err:
        parse_json('{\n  "k": {"token": "SECRET-1"},\n  "k": {"token": "SECRET-2"}\n}', "f.json")
    assert (err.value.line, err.value.column) == (3, 3)
    assert '"k"' in str(err.value) and "SECRET" not in str(err.value)


def test_nesting_is_bounded_before_any_recursive_walk() -> None:
    doc: object = []
    for _ in range(MAX_DEPTH + 1):
        doc = [doc]
    with pytest.raises(InputError, match=f"deeper than {MAX_DEPTH}"):
        check_depth(doc, "deep.json")
    check_depth([[[]]], "shallow.json")


def test_the_former_home_still_exports_it() -> None:
    assert (common.parse_json, common.check_depth, common.MAX_DEPTH) == (parse_json, check_depth, MAX_DEPTH)
