"""Values converted through a variable's declared type (object, optional, nested collections).

The conversions below were checked against Terraform 1.11 (``terraform plan`` printing a child
module's variables through outputs): undeclared attributes dropped, a missing optional attribute
null or its default (a null one too), list/map/object elements converted in turn.
"""
from __future__ import annotations

import pytest

from nhi_toolkit.loaders.expression_functions import TfMap, TfSet, convert
from nhi_toolkit.loaders.type_convert import convert_type, parse_type, type_text
from nhi_toolkit.model import UNKNOWN

_OPTIONAL = "object({owner = optional(string), expires_at = optional(string)})"


def test_type_text_drops_the_template_wrapper() -> None:
    assert type_text("${object({a = string})}") == "object({a = string})"
    assert type_text(" map(string) ") == "map(string)"
    assert type_text(None) == "?"


def test_parse_type_tree() -> None:
    assert parse_type('${object({a = optional(string, "x y"), "b" = list(number), c: map(bool)})}') == (
        "object", (("a", ("prim", "string"), True, '"x y"'), ("b", ("list", ("prim", "number")), False, None),
                   ("c", ("map", ("prim", "bool")), False, None)))
    assert parse_type('object({o = optional(object({a = string}), {a = "b"}), n = optional(number, -1)})') == (
        "object", (("o", ("object", (("a", ("prim", "string"), False, None),)), True, '{a = "b"}'),
                   ("n", ("prim", "number"), True, "-1")))


@pytest.mark.parametrize("text", [
    "set(number)", "tuple([string])", "set(object({a = string}))", "optional(string)", "object({a = string",
    "object({a = string, a = number})", "list(string) x", "stringy", "object({a = optional(string, })", "?", ""])
def test_types_not_modelled(text: str) -> None:
    assert parse_type(text) is None
    assert convert_type({"a": "x"}, text) is UNKNOWN


def test_object_drops_undeclared_and_fills_optional() -> None:
    given = {"Owner": "alice", "expires_at": "2027-01-01"}
    assert convert_type(given, _OPTIONAL) == {"owner": None, "expires_at": "2027-01-01"}
    assert convert(given, _OPTIONAL) == {"owner": None, "expires_at": "2027-01-01"}  # through the old entry


def test_optional_defaults() -> None:
    text = 'object({owner = optional(string, "x"), n = optional(number, 3), l = optional(list(string), ["a"]),'\
           ' o = optional(object({a = string, b = optional(bool, true)}), {a = "b"})})'
    assert convert_type({"Owner": "alice"}, text) == {"owner": "x", "n": 3, "l": ["a"], "o": {"a": "b", "b": True}}
    assert convert_type({"owner": None, "n": "5", "o": {"a": 1}}, text) == {
        "owner": "x", "n": 5, "l": ["a"], "o": {"a": "1", "b": True}}
    assert convert_type({}, "object({owner = optional(string, var.x)})") == {"owner": UNKNOWN}


def test_missing_required_attribute_refuses_the_whole_value() -> None:
    assert convert_type({"Owner": "alice"}, "object({owner = string})") is UNKNOWN
    assert convert_type({"a": {"Owner": "alice"}}, "map(object({owner = string}))") is UNKNOWN
    assert convert_type([{"owner": "a"}, {}], "list(object({owner = string}))") is UNKNOWN


def test_collections_of_objects() -> None:
    value = convert_type({"k": {"Owner": "alice", "owner": "bob"}}, "map(object({owner = optional(string)}))")
    assert value == {"k": {"owner": "bob"}} and isinstance(value, TfMap)
    assert convert_type([{"Owner": "alice", "x": 1}], 'list(object({owner = optional(string, "team")}))') == [
        {"owner": "team"}]
    assert convert_type({"inner": {"Owner": "a", "expires_at": "2027"}},
                        "object({inner = object({owner = optional(string), expires_at = string})})") == {
        "inner": {"owner": None, "expires_at": "2027"}}


def test_wrong_shapes_are_unknown() -> None:
    assert convert_type(["a"], _OPTIONAL) is UNKNOWN
    assert convert_type("a", "list(object({a = string}))") is UNKNOWN
    assert convert_type(["a"], "map(object({a = string}))") is UNKNOWN


def test_null_unknown_and_any() -> None:
    assert convert_type(None, _OPTIONAL) is None
    assert convert_type(UNKNOWN, _OPTIONAL) is UNKNOWN
    assert convert_type({"a": UNKNOWN}, "object({a = string})") == {"a": UNKNOWN}
    assert convert_type({"a": {"x": 1}}, "object({a = any})") == {"a": {"x": 1}}
    assert convert_type({"a": "x", "b": "y"}, "map(any)") == {"a": "x", "b": "y"}
    assert convert_type({"a": "x", "b": 1}, "map(any)") is UNKNOWN  # Terraform unifies them: not done here
    assert convert_type([{"a": 1}], "list(any)") is UNKNOWN


def test_plain_types_unchanged() -> None:
    assert convert({"Owner": "alice"}, "any") == {"Owner": "alice"}
    assert convert({"Owner": "alice"}, "map(string)") == {"Owner": "alice"}
    assert convert([1, True], "list(string)") == ["1", "true"]


def test_set_of_strings() -> None:
    value = convert_type(["b", "a", "b", 1], "set(string)")
    assert value == ["1", "a", "b"] and isinstance(value, TfSet)
    assert convert_type(["a", UNKNOWN], "set(string)") is UNKNOWN
    assert convert_type({"a": "b"}, "set(string)") is UNKNOWN


def test_deep_type_is_not_followed() -> None:
    assert parse_type("list(" * 5000 + "string" + ")" * 5000) is None
    assert parse_type("list(" * 20 + "string" + ")" * 20) is not None
    wide = "object({" + ", ".join(f"a{n} = object({{b = string}})" for n in range(200)) + "})"
    assert convert_type({"a7": {"b": "x", "c": 1}}, wide) is UNKNOWN  # the other 199 are required
    assert convert_type({f"a{n}": {"b": "x"} for n in range(200)}, wide)["a199"] == {"b": "x"}
