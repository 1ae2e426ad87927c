"""Terraform addresses: written exactly as Terraform writes them, and taken apart again."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhi_toolkit.addresses import (
    AddressError,
    ParsedAddress,
    config_address,
    format_key,
    join_address,
    parse_address,
    reference_target,
)

PARSED = [
    ("aws_iam_user.u", ParsedAddress("", "managed", "aws_iam_user", "u", None)),
    ("aws_iam_user.u[0]", ParsedAddress("", "managed", "aws_iam_user", "u", 0)),
    ('aws_iam_user.u["a"]', ParsedAddress("", "managed", "aws_iam_user", "u", "a")),
    ("data.aws_iam_policy_document.d", ParsedAddress("", "data", "aws_iam_policy_document", "d", None)),
    ("module.a.aws_iam_role.r", ParsedAddress("module.a", "managed", "aws_iam_role", "r", None)),
    ('module.a["k"].module.b[2].aws_iam_role.r["x"]',
     ParsedAddress('module.a["k"].module.b[2]', "managed", "aws_iam_role", "r", "x")),
    ('module.bots.aws_iam_user.agent["team \\"x\\" bot"]',
     ParsedAddress("module.bots", "managed", "aws_iam_user", "agent", 'team "x" bot')),
    ('aws_iam_user.u["a\\\\b"]', ParsedAddress("", "managed", "aws_iam_user", "u", "a\\b")),
    ('aws_iam_user.u["line\\nbreak"]', ParsedAddress("", "managed", "aws_iam_user", "u", "line\nbreak")),
    ('aws_iam_user.u["$${x}"]', ParsedAddress("", "managed", "aws_iam_user", "u", "${x}")),
    ('aws_iam_user.u["ü-team"]', ParsedAddress("", "managed", "aws_iam_user", "u", "ü-team")),
    ("aws_iam_user.my-user_1", ParsedAddress("", "managed", "aws_iam_user", "my-user_1", None)),
]


@pytest.mark.parametrize(("address", "parsed"), PARSED)
def test_parse_address(address: str, parsed: ParsedAddress) -> None:
    assert parse_address(address) == parsed


@pytest.mark.parametrize(("address", "parsed"), PARSED)
def test_join_address_writes_what_parse_read(address: str, parsed: ParsedAddress) -> None:
    assert join_address(parsed.module, parsed.mode, parsed.type, parsed.name, parsed.key) == address


@pytest.mark.parametrize(
    "address",
    ["", "aws_iam_user", "aws_iam_user.", "module.a", "module.a.", "aws_iam_user.u[", 'aws_iam_user.u["x',
     'aws_iam_user.u["x"', "aws_iam_user.u[x]", "aws_iam_user.u[0] ", "aws_iam_user.u.extra",
     "module..aws_iam_user.u", "1abc.u", 'aws_iam_user.u["\\q"]'],
)
def test_parse_address_rejects_non_addresses(address: str) -> None:
    with pytest.raises(AddressError):
        parse_address(address)


@pytest.mark.parametrize(
    ("key", "text"),
    [(None, ""), (0, "[0]"), (12, "[12]"), ("a", '["a"]'), ('say "hi"', '["say \\"hi\\""]'),
     ("tab\there", '["tab\\there"]'), ("${x}", '["$${x}"]'), ("%{x}", '["%%{x}"]'), ("$x", '["$x"]'),
     ("\x00", '["\\u0000"]'), ("back\\slash", '["back\\\\slash"]')],
)
def test_format_key_uses_hcl_quoting(key: int | str | None, text: str) -> None:
    assert format_key(key) == text


def test_boolean_key_is_refused() -> None:
    with pytest.raises(AddressError):
        format_key(True)


@pytest.mark.parametrize(
    ("address", "config"),
    [('module.a["x"].aws_iam_user.u[0]', "module.a.aws_iam_user.u"),
     ('aws_iam_user.u["a]b"]', "aws_iam_user.u"),
     ('module.a[1].module.b["k"].aws_iam_role.r', "module.a.module.b.aws_iam_role.r"),
     ("aws_iam_user.u", "aws_iam_user.u")],
)
def test_config_address_drops_every_instance_key(address: str, config: str) -> None:
    assert config_address(address) == config
    assert parse_address(address).config_address == config


@pytest.mark.parametrize(
    ("ref", "prefix", "target"),
    [("aws_iam_user.u.name", "", "aws_iam_user.u"),
     ("aws_iam_user.u[0].name", "", "aws_iam_user.u"),
     ('aws_iam_user.u["k"]', "", "aws_iam_user.u"),
     ("aws_iam_user.u", "module.a", "module.a.aws_iam_user.u"),
     ("data.aws_caller_identity.me.account_id", "", "data.aws_caller_identity.me"),
     ("var.owner", "", None), ("local.tags", "", None), ("each.key", "", None), ("count.index", "", None),
     ("module.x.out", "", None), ("path.module", "", None), ("self.arn", "", None), ("aws_iam_user", "", None),
     ("data.x", "", None)],
)
def test_reference_target(ref: str, prefix: str, target: str | None) -> None:
    assert reference_target(ref, prefix) == target


_ident = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,12}", fullmatch=True)
_key = st.one_of(st.none(), st.integers(min_value=0, max_value=10**6), st.text(max_size=20))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ident, _key), max_size=3), _ident, _ident, _key, st.booleans())
def test_any_address_round_trips(modules, rtype, name, key, data) -> None:  # type: ignore[no-untyped-def]
    module = ".".join(f"module.{m}{format_key(k)}" for m, k in modules)
    mode = "data" if data else "managed"
    address = join_address(module, mode, rtype, name, key)
    parsed = parse_address(address)
    assert parsed == ParsedAddress(module, mode, rtype, name, key)
    assert join_address(parsed.module, parsed.mode, parsed.type, parsed.name, parsed.key) == address
