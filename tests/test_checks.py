"""The lifecycle judgements every caller shares (nhi_toolkit.checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from nhi_toolkit.checks import (
    declared_revocation_path,
    exceeds_lifetime,
    expiring_soon,
    is_rotation_path,
    is_terraform_path,
    leaver_match,
    max_lifetime_days,
    owner_departure,
)
from nhi_toolkit.config import Config
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders.state import load_show_state
from nhi_toolkit.model import Identity

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("owner", "leavers", "entry"), [
    ("Alice@Example.com", ["alice@example.com"], "alice@example.com"),
    ("alice@example.com", ["alice"], "alice"),
    ("alice", ["alice@example.com"], "alice@example.com"),
    (" alice ", ["alice"], "alice"),
    ("alice@example.com", ["alice@other.example"], None),
    ("alicia@example.com", ["alice"], None),
    ("alice", [], None),
    # HR exports and tags often put a display name around the address
    ("alice@example.com", ["alice smith <alice@example.com>"], "alice smith <alice@example.com>"),
    ("Alice Smith <Alice@Example.com>", ["alice@example.com"], "alice@example.com"),
    ("Alice Smith <alice@example.com>", ["alice"], "alice"),
    ("mailto:alice@example.com", ["alice@example.com"], "alice@example.com"),
    ("Bob <bob@example.com>", ["alice smith <alice@example.com>"], None),
    ("alice <not an address", ["alice"], None),
])
def test_leaver_match(owner: str, leavers: list[str], entry: str | None) -> None:
    assert leaver_match(owner, leavers) == entry


@pytest.mark.parametrize(("left_on", "gone", "when"), [
    (None, True, ""),
    (date(2026, 11, 30), True, " on 2026-11-30"),
    (date(2026, 12, 1), True, " on 2026-12-01"),  # on the day itself: left
    (date(2026, 12, 2), False, None),
])
def test_owner_departure_counts_the_leaving_day(left_on: date | None, gone: bool, when: str | None) -> None:
    found = owner_departure("alice@example.com", {"alice": left_on}, NOW)
    assert (found is not None) is gone
    if found is not None:
        assert (found.entry, found.left_on, found.when) == ("alice", left_on, when)


@pytest.mark.parametrize("owner", [None, 3, "bob@example.com"])
def test_owner_departure_needs_a_listed_string_owner(owner: object) -> None:
    assert owner_departure(owner, {"alice": None}, NOW) is None
    assert owner_departure("alice", None, NOW) is None
    assert owner_departure("alice", {}, NOW) is None


@pytest.mark.parametrize(("path", "terraform", "rotation"), [
    ("terraform", True, False), (" Terraform-Destroy ", True, False), ("destroy", True, False),
    ("nhi-retire", True, False), ("rotation", False, True), ("ROTATE", False, True),
    ("secret-rotation", False, True), ("ticket to the vendor", False, False),
])
def test_revocation_path_kinds(path: str, terraform: bool, rotation: bool) -> None:
    assert is_terraform_path(path) is terraform
    assert is_rotation_path(path) is rotation


def _identities(tags: dict[str, str]) -> dict[str, Identity]:
    resources = [
        {"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
         "values": {"name": "u", "tags": tags}, "sensitive_values": {}},
        {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
         "values": {"user": "u"}, "sensitive_values": {}},
    ]
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
    idents = build_inventory(load_show_state(doc, "state.json", lambda _t: True), Config())
    return {i.address: i for i in idents}


def test_declared_revocation_path_own_and_inherited() -> None:
    keys = Config().revocation_keys
    idents = _identities({"owner": "a@example.com", keys[0]: " vendor portal "})
    user, key = idents["aws_iam_user.u"], idents["aws_iam_access_key.k"]
    assert declared_revocation_path(user, keys) == " vendor portal "
    assert key.inherited and declared_revocation_path(key, keys) == " vendor portal "
    assert declared_revocation_path(key, keys, own_only=True) is None
    assert declared_revocation_path(_identities({keys[0]: "  "})["aws_iam_user.u"], keys) is None


@pytest.mark.parametrize(("deadline", "days", "soon"), [
    (NOW + timedelta(days=14), 14, True),
    (NOW + timedelta(days=14, seconds=1), 14, False),
    (NOW + timedelta(seconds=1), 0, False),
    (NOW, 14, False),  # expired, not expiring
    (NOW - timedelta(days=1), 14, False),
    (datetime(9999, 12, 31, tzinfo=UTC), 10**10, True),  # a window no timedelta can hold
])
def test_expiring_soon(deadline: datetime, days: int, soon: bool) -> None:
    assert expiring_soon(deadline, NOW, days) is soon


@pytest.mark.parametrize(("span", "limit", "exceeds"), [
    (timedelta(days=90), 90, False),
    (timedelta(days=90, seconds=1), 90, True),
    (timedelta(days=-5), 1, False),
    (timedelta(days=999_999_999), None, False),
    (timedelta(days=999_999_999), 10**9, False),  # beyond timedelta(days=...): compared in seconds
    (timedelta(days=999_999_999), 10**6, True),
])
def test_exceeds_lifetime(span: timedelta, limit: int | None, exceeds: bool) -> None:
    assert exceeds_lifetime(span, limit) is exceeds


def test_max_lifetime_days_by_type_then_category_then_catalog() -> None:
    assert max_lifetime_days(Config(), "aws_iam_access_key") == 90
    assert max_lifetime_days(Config(), "not_an_identity") is None
    config = Config(max_lifetime_days={"credential": 7, "aws_iam_role": 30})
    assert max_lifetime_days(config, "aws_iam_access_key") == 7
    assert max_lifetime_days(config, "aws_iam_role") == 30


# --- expiry choice: several expiry tags -----------------------------------------------------------


def _parse(value: object) -> tuple[datetime | None, str | None]:
    from nhi_toolkit.expiry import InvalidExpiry, expiry_instant

    try:
        return expiry_instant(value), None
    except InvalidExpiry as exc:
        return None, str(exc)


KEYS = Config().expiry_keys


@pytest.mark.parametrize(("tags", "key", "instant", "error"), [
    ({"expires_at": "2030-01-01"}, None, None, None),  # one tag: the caller's own path
    ({"expires_at": "2030-01-01", "owner": "a"}, None, None, None),
    ({"expires_at": "2030-01-01", "expiry": "2030-01-01"}, "expires_at", "2030-01-02T00:00:00Z", None),
    ({"expires_at": "2030-01-01T00:00:00Z", "expiry": "2030-01-01T01:00:00+01:00"},
     "expires_at", "2030-01-01T00:00:00Z", None),  # one instant written two ways
    ({"expires_at": "2030-01-01", "expiry": "2020-01-01"}, "expiry", "2020-01-02T00:00:00Z",
     ("says 2020-01-01, but expiry tag 'expires_at' says 2030-01-01: the expiry tags disagree, "
     "and the earliest governs")),
    ({"expiry": "2020-01-01", "expires_at": "2030-01-01"}, "expiry", "2020-01-02T00:00:00Z",
     ("says 2020-01-01, but expiry tag 'expires_at' says 2030-01-01: the expiry tags disagree, "
     "and the earliest governs")),
    ({"expires_at": "2030-01-01", "Expires": "2031-01-01", "nhi:expires": "2029-01-01"}, "nhi:expires",
     "2029-01-02T00:00:00Z",
     ("says 2029-01-01, but expiry tag 'expires_at' says 2030-01-01 and expiry tag 'Expires' says "
     "2031-01-01: the expiry tags disagree, and the earliest governs")),
    ({"expires_at": "2030-01-01", "expiry": "soon-ish"}, "expires_at", "2030-01-02T00:00:00Z",
     ("says 2030-01-01, but expiry tag 'expiry' is not valid (not a YYYY-MM-DD date or an RFC 3339 "
     "timestamp with an offset): the expiry tags disagree, and the earliest valid one governs")),
    ({"expires_at": "garbage", "expiry": "2020-01-01"}, "expiry", "2020-01-02T00:00:00Z",
     ("says 2020-01-01, but expiry tag 'expires_at' is not valid (not a YYYY-MM-DD date or an RFC 3339 "
     "timestamp with an offset): the expiry tags disagree, and the earliest valid one governs")),
    ({"expires_at": "garbage", "expiry": "rubbish"}, None, None, None),  # no valid one: the first decides
    ({"expires_at": None, "expiry": "2020-01-01"}, None, None, None),  # a null tag is no value
])
def test_choose_expiry(tags: dict[str, object], key: str | None, instant: str | None, error: str | None) -> None:
    from nhi_toolkit.checks import choose_expiry
    from nhi_toolkit.expiry import format_instant

    got = choose_expiry(tags, KEYS, _parse)
    if key is None:
        assert got is None
        return
    assert got is not None
    assert (got.key, got.value, format_instant(got.instant), got.error) == (key, tags[key], instant, error)


def test_choose_expiry_leaves_values_known_after_apply_out() -> None:
    from nhi_toolkit.checks import choose_expiry
    from nhi_toolkit.model import UNKNOWN

    assert choose_expiry({"expires_at": UNKNOWN, "expiry": "2020-01-01"}, KEYS, _parse) is None
    got = choose_expiry({"expires_at": UNKNOWN, "expiry": "2020-01-01", "Expires": "2030-01-01"}, KEYS, _parse)
    assert got is not None and got.key == "expiry" and got.error is not None and "'Expires'" in got.error


_DISAGREE = {"owner": "alice@example.com", "expires_at": "2030-01-01", "expiry": "2020-01-01"}
_AGREE = {"owner": "alice@example.com", "expires_at": "2027-01-01", "Expires": "2027-01-01"}


def _run(path: str) -> tuple[int, dict[str, object]]:
    import json

    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    result = CliRunner().invoke(main, ["check", path, "--now", "2026-12-01", "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def _write_inputs(kind: str, tmp_path: object) -> str:
    import json
    from pathlib import Path

    from conftest import change, plan_doc, state_doc, state_resource, write_json

    tmp = Path(str(tmp_path))
    if kind == "plan":
        return str(write_json(tmp / "plan.json", plan_doc(
            change("aws_iam_user.split", {"name": "split", "tags": _DISAGREE}),
            change("aws_iam_user.twice", {"name": "twice", "tags": _AGREE}))))
    if kind == "state":
        return str(write_json(tmp / "terraform.tfstate", state_doc(
            state_resource("aws_iam_user", "split", {"name": "split", "tags": _DISAGREE}),
            state_resource("aws_iam_user", "twice", {"name": "twice", "tags": _AGREE}))))
    body = "".join(
        f'resource "aws_iam_user" "{name}" {{\n  name = "{name}"\n  tags = {json.dumps(tags)}\n}}\n'
        .replace('": "', '" = "').replace('", "', '"\n    "')
        for name, tags in (("split", _DISAGREE), ("twice", _AGREE)))
    (tmp / "main.tf").write_text(body, encoding="utf-8")
    return str(tmp)


@pytest.mark.parametrize("kind", ["plan", "state", "hcl"])
def test_disagreeing_expiry_tags_fail_on_the_earliest(kind: str, tmp_path: object) -> None:
    code, report = _run(_write_inputs(kind, tmp_path))
    assert code == 1
    ids = {i["address"]: i for i in report["identities"]}  # type: ignore[attr-defined]
    split = ids["aws_iam_user.split"]
    assert (split["expires_at"], split["expires_instant"]) == ("2020-01-01", "2020-01-02T00:00:00Z")
    assert ids["aws_iam_user.twice"]["expires_at"] == "2027-01-01"
    findings = [(f["address"], f["rule"], f["rule_id"], f["message"]) for f in report["findings"]]  # type: ignore[attr-defined]
    mine = sorted(f[1:] for f in findings if f[0] == "aws_iam_user.split")
    assert [m[0] for m in mine] == ["expired", "invalid-expiry"]
    assert mine[1][1] == "NHI003"
    assert mine[1][2] == ("aws_iam_user.split expiry tag 'expiry' says 2020-01-01, but expiry tag 'expires_at' "
                          "says 2030-01-01: the expiry tags disagree, and the earliest governs")
    # The same value written under two recognised keys is no finding.
    assert not [f for f in findings if f[0] == "aws_iam_user.twice" and f[1] in ("invalid-expiry", "expired")]
