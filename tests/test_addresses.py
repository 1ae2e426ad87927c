"""Terraform addresses: written exactly as Terraform writes them, and taken apart again."""

from __future__ import annotations

import json
from pathlib import Path

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
    quote_string,
    reference_target,
    within_module,
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


# --- quoting exactly as Terraform writes addresses -------------------------------------------------

NON_ASCII_SPACES = [0x00A0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
# Keys a for_each map can carry, one per class Terraform quotes differently.
TERRAFORM_KEYS = [
    *(f"sp{c:04x} {chr(c)}x" for c in NON_ASCII_SPACES),
    "ctl\x01\x07\x1b\x7f\x85\x9f", "nl\nr\rt\t", "nul\x00x", 'q"uote', "back\\slash", 'both\\"',
    "tpl${x}", "dir%{if}", "lone$ and % end$", "$${x}", "%%{x}", "${", "emoji😀👩\u200d💻", "pink🩷",
    "comb e\u0301 a\u0308 ü", "zw\u200b\u200d\ufeff", "bidi\u202e", "pua\ue000\U000f0000", "cjk 漢字 ひらがな",
    "", " ", "soft\u00adhyphen", "tag\U000e0041", "unassigned\u0378", "new15\u0cf3\U0001fa77",
]


@pytest.mark.parametrize(("key", "quoted"), [
    ("nbsp\u00a0key", '"nbsp\\u00a0key"'),
    ("ideo\u3000key", '"ideo\\u3000key"'),
    ("line\u2028sep", '"line\\u2028sep"'),
    ("plain key", '"plain key"'),
    ("${x} %{y} $x", '"$${x} %%{y} $x"'),
    ("nul\x00", '"nul\\u0000"'),
    ("astral\U000f0000", '"astral\\U000f0000"'),
    ("smile😀", '"smile😀"'),
])
def test_quote_string_known_cases(key: str, quoted: str) -> None:
    assert quote_string(key) == quoted
    assert parse_address(f"t.n[{quoted}]").key == key


@given(st.text())
@settings(max_examples=400, deadline=None)
def test_quoted_keys_round_trip(key: str) -> None:
    quoted = quote_string(key)
    assert parse_address(f'module.m["a"].t.n[{quoted}]').key == key
    # What Terraform prints is one line of printable text with nothing bare that HCL would read as a
    # template introducer or an escape.
    body = quoted[1:-1]
    assert "\n" not in body and "\r" not in body and "\t" not in body
    assert all(ch == " " or not ch.isspace() for ch in body)
    assert "${" not in body.replace("$${", "") and "%{" not in body.replace("%%{", "")


@given(st.text(st.characters(codec="utf-8"), max_size=12))
@settings(max_examples=300, deadline=None)
def test_every_non_printable_rune_is_escaped(key: str) -> None:
    import unicodedata

    body = quote_string(key)[1:-1]
    for ch in body:
        cat = unicodedata.category(ch)
        # Cn: assigned by Unicode 15.0 (Terraform's Go tables), newer than this Python's database.
        assert ch == " " or cat[0] in "LMNPS" or cat == "Cn", (key, body)
        assert not (ch.isspace() and ch != " "), (key, body)


@pytest.mark.terraform
def test_quote_string_matches_the_addresses_terraform_prints(tf, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Terraform itself writes each key; quote_string must give the same bytes."""
    _keyed_config(tmp_path, TERRAFORM_KEYS)
    _apply_and_compare(tf, tmp_path, expect=len(TERRAFORM_KEYS))
    listed = tf.run(["state", "list"], tmp_path).stdout.splitlines()
    # A space class written escaped, never raw.
    assert 'terraform_data.k["sp3000 \\u3000x"]' in listed


def _keyed_config(directory: Path, keys: list[str]) -> None:
    """A configuration with one ``terraform_data`` instance per key, the keys given in tfvars."""
    (directory / "main.tf").write_text(
        'variable "keys" {\n  type = set(string)\n}\n'
        'resource "terraform_data" "k" {\n  for_each = var.keys\n  input    = each.key\n}\n',
        encoding="utf-8")
    (directory / "terraform.tfvars.json").write_text(json.dumps({"keys": keys}), encoding="utf-8")


def _random_keys(count: int, seed: int) -> list[str]:
    """Keys drawn from every plane (no surrogates: JSON and Go strings cannot carry them)."""
    import random

    rng = random.Random(seed)

    def char() -> str:
        while True:
            pick = rng.random()
            code = (rng.randrange(0x80) if pick < 0.2 else rng.randrange(0x80, 0x3400) if pick < 0.6
                    else rng.randrange(0x3400, 0x10000) if pick < 0.8 else rng.randrange(0x10000, 0x110000))
            if not 0xD800 <= code <= 0xDFFF:
                return chr(code)

    return sorted({f"r{i}-" + "".join(char() for _ in range(rng.randrange(1, 7))) for i in range(count)})


@pytest.mark.terraform
def test_quote_string_matches_terraform_on_random_keys(tf, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _keyed_config(tmp_path, _random_keys(200, seed=8))
    _apply_and_compare(tf, tmp_path, expect=None)


def _apply_and_compare(tf, tmp_path, expect: int | None) -> None:  # type: ignore[no-untyped-def]
    tf.init(tmp_path)
    tf.plan(tmp_path, out="k.tfplan")
    tf.apply(tmp_path, "k.tfplan")
    listed = tf.run(["state", "list"], tmp_path).stdout.splitlines()
    shown = tf.show_state_json(tmp_path)["values"]["root_module"]["resources"]
    assert len(shown) == len(listed)
    if expect is not None:
        assert len(shown) == expect
    ours = sorted(join_address("", "managed", r["type"], r["name"], r["index"]) for r in shown)
    assert ours == sorted(r["address"] for r in shown)
    assert ours == sorted(listed)
    for r in shown:
        assert parse_address(r["address"]).key == r["index"]


def test_within_module_is_the_instance_or_a_module_it_calls() -> None:
    assert within_module('module.a["x"]', 'module.a["x"]')
    assert within_module('module.a["x"].module.b', 'module.a["x"]')
    assert not within_module('module.a["y"].module.b', 'module.a["x"]')
    assert not within_module('module.ab', "module.a")
    assert within_module("", "") and not within_module("module.a", "")  # the root holds only its own
