"""Ownership and expiry rules (NHI001-NHI007), table-driven: one identity in, the expected rule ids out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from rule_runs import GOOD, OWNER, resource, rules_of, run, tagged

from nhi_toolkit.config import Config, config_from_mapping
from nhi_toolkit.model import UNKNOWN, Severity

LIFECYCLE_CASES = [
    # (tags, expected rule names) on an aws_iam_role (max lifetime 365 days), now 2026-06-01T00:00Z
    ({"owner": OWNER, "expires_at": GOOD}, []),
    ({"Owner": OWNER, "Expires": GOOD}, []),
    ({"nhi:owner": OWNER, "nhi:expires_at": GOOD}, []),
    ({"expires_at": GOOD}, ["missing-owner"]),
    ({"owner": "", "expires_at": GOOD}, ["missing-owner"]),
    ({"owner": "   ", "expires_at": GOOD}, ["missing-owner"]),
    ({"owner": OWNER}, ["missing-expiry"]),
    ({}, ["missing-expiry", "missing-owner"]),
    (None, ["missing-expiry", "missing-owner"]),
    ({"owner": OWNER, "expires_at": "2026-02-30"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-13-01"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "soon"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "never"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": ""}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "   "}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-06-20T10:00:00"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "２０２６-０６-２０"}, ["invalid-expiry"]),
    ({"owner": OWNER, "expires_at": "2026-05-31"}, ["expired"]),           # ended at 06-01T00:00Z = now
    ({"owner": OWNER, "expires_at": "2026-06-01"}, ["expiring-soon"]),     # valid through today
    ({"owner": OWNER, "expires_at": "2026-06-01T00:00:00Z"}, ["expired"]),  # at now is expired
    ({"owner": OWNER, "expires_at": "2026-06-01T00:00:01Z"}, ["expiring-soon"]),
    ({"owner": OWNER, "expires_at": "2026-06-01T01:00:00+02:00"}, ["expired"]),  # 23:00Z the day before
    ({"owner": OWNER, "expires_at": "2025-01-01"}, ["expired"]),
    ({"owner": OWNER, "expires_at": "2026-06-14"}, ["expiring-soon"]),     # exactly 14 days left
    ({"owner": OWNER, "expires_at": "2026-06-15"}, []),                    # 15 days left
    ({"owner": OWNER, "expires_at": "2027-05-31"}, []),                    # exactly 365 days
    ({"owner": OWNER, "expires_at": "2027-06-01"}, ["expiry-too-far"]),    # 366 days
    ({"owner": OWNER, "expires_at": "2099-01-01"}, ["expiry-too-far"]),
    ({"owner": UNKNOWN, "expires_at": GOOD}, ["unknown-until-apply"]),
    ({"owner": OWNER, "expires_at": UNKNOWN}, ["unknown-until-apply"]),
    (UNKNOWN, ["unknown-until-apply"]),
    ({"owner": "", "expires_at": "2025-01-01"}, ["expired", "missing-owner"]),
]


@pytest.mark.parametrize(("tags", "expected"), LIFECYCLE_CASES)
def test_lifecycle_rules(tags: Any, expected: list[str]) -> None:
    assert rules_of(run(tagged(tags))) == expected


@pytest.mark.parametrize(
    ("rtype", "expiry", "expected"),
    [
        # Static access keys may live 90 days, measured from now (2026-06-01T00:00Z).
        ("aws_iam_user", "2026-08-29", []),                   # 90 days
        ("aws_iam_user", "2026-08-30", []),                   # a user may live 365
        ("aws_iam_role", "2027-05-31", []),
        ("aws_iam_role", "2027-06-01", ["expiry-too-far"]),
    ],
)
def test_expiry_too_far_per_type(rtype: str, expiry: str, expected: list[str]) -> None:
    res = tagged({"owner": OWNER, "expires_at": expiry}, f"{rtype}.x")
    assert rules_of(run(res)) == expected


@pytest.mark.parametrize(("expiry", "too_far"), [("2026-08-29", False), ("2026-08-30", True)])
def test_access_key_maximum_is_90_days_through_its_user(expiry: str, too_far: bool) -> None:
    user = resource("aws_iam_user.u", {"name": "svc", "tags": {"owner": OWNER, "expires_at": expiry}})
    key = resource("aws_iam_access_key.k", {"user": "svc"}, references=("aws_iam_user.u",))
    report = run(user, key)
    assert rules_of(report, "aws_iam_user.u") == []
    assert rules_of(report, "aws_iam_access_key.k") == (["expiry-too-far"] if too_far else [])


def test_expiring_soon_window_is_configurable() -> None:
    res = tagged({"owner": OWNER, "expires_at": "2026-06-25"})
    assert rules_of(run(res)) == []
    assert rules_of(run(res, config=Config(expiring_soon_days=30))) == ["expiring-soon"]
    assert rules_of(run(res, config=Config(expiring_soon_days=0))) == []


@pytest.mark.parametrize(
    ("limits", "expected"),
    [({"aws_iam_role": 10}, ["expiry-too-far"]), ({"principal": 10}, ["expiry-too-far"]),
     ({"aws_iam_role": 30, "principal": 10}, []), ({"credential": 1}, [])],
)
def test_max_lifetime_is_configurable_by_type_or_category(limits: dict[str, int], expected: list[str]) -> None:
    res = tagged({"owner": OWNER, "expires_at": "2026-06-20"})
    assert rules_of(run(res, config=Config(max_lifetime_days=limits))) == expected


def test_huge_windows_do_not_overflow() -> None:
    res = tagged({"owner": OWNER, "expires_at": "2099-01-01"})
    report = run(res, config=Config(expiring_soon_days=10**10, max_lifetime_days={"aws_iam_role": 10**10}))
    assert rules_of(report) == ["expiring-soon"]
    assert report.status_of(report.identities[0]) == "expiring-soon"


def test_tag_keys_are_configurable_with_aliases() -> None:
    config = config_from_mapping({"owner_keys": ["team", "squad"], "expiry_keys": ["sunset"]})
    assert rules_of(run(tagged({"squad": "data", "sunset": GOOD}), config=config)) == []
    assert rules_of(run(tagged({"owner": OWNER, "expires_at": GOOD}), config=config)) == [
        "missing-expiry", "missing-owner"]
    # The first alias present wins.
    report = run(tagged({"team": "a", "squad": "b", "sunset": GOOD}), config=config)
    assert report.identities[0].owner == "a"


def test_expiring_soon_and_expired_are_not_both_reported() -> None:
    report = run(tagged({"owner": OWNER, "expires_at": "2026-05-01"}))
    assert rules_of(report) == ["expired"]
    assert report.active[0].severity is Severity.ERROR


def test_unknown_until_apply_is_info_and_never_missing() -> None:
    report = run(tagged(UNKNOWN))
    assert [(f.rule, f.severity) for f in report.active] == [("unknown-until-apply", Severity.INFO)]
    assert not report.failed()


# -- an owner tag whose value Terraform marks sensitive ------------------------------------------------

_HIDDEN = "hidden-owner@example.com"  # never in any output
_NOW_SENS = datetime(2026, 12, 1, tzinfo=UTC)
_SENS_TAGS = {"owner": _HIDDEN, "expires_at": "2027-01-31"}


def _sensitive_owner_input(tmp_path: Any, kind: str, whole: bool = False, key: bool = False) -> Any:
    """aws_iam_user.u whose owner tag (``whole``: whole tags map) is marked sensitive, as ``kind``
    writes it; ``key`` adds an access key of that user (it inherits the user's owner)."""
    import json

    values = {"name": "u", "tags": _SENS_TAGS, "tags_all": _SENS_TAGS}
    marks: dict[str, Any] = {"tags": True, "tags_all": True} if whole else \
        {"tags": {"owner": True}, "tags_all": {"owner": True}}
    key_values = {"user": "u", "id": "AKIA1"}
    if kind == "plan":
        def rc(address: str, after: dict[str, Any], sens: dict[str, Any]) -> dict[str, Any]:
            rtype, name = address.split(".")
            return {"address": address, "mode": "managed", "type": rtype, "name": name,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": {},
                               "before_sensitive": False, "after_sensitive": sens}}
        changes = [rc("aws_iam_user.u", values, marks)] + ([rc("aws_iam_access_key.k", key_values, {})] if key else [])
        doc: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": changes,
                               "configuration": {"root_module": {"resources": [
                                   {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key",
                                    "name": "k", "expressions": {"user": {"references": ["aws_iam_user.u.name",
                                                                                         "aws_iam_user.u"]}}}]}}}
        name = "plan.json"
    elif kind == "state":
        attrs: list[Any] = []
        for attr in ("tags", "tags_all"):
            step = [{"type": "get_attr", "value": attr}]
            attrs.append(step if whole else step + [{"type": "index", "value": {"value": "owner", "type": "string"}}])
        res = [{"mode": "managed", "type": "aws_iam_user", "name": "u",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 0, "attributes": values, "sensitive_attributes": attrs}]}]
        if key:
            res.append({"mode": "managed", "type": "aws_iam_access_key", "name": "k",
                        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                        "instances": [{"schema_version": 0, "attributes": key_values, "sensitive_attributes": [],
                                       "dependencies": ["aws_iam_user.u"]}]})
        doc = {"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "l", "outputs": {},
               "resources": res}
        name = "terraform.tfstate"
    else:
        def sres(address: str, vals: dict[str, Any], sens: dict[str, Any]) -> dict[str, Any]:
            rtype, rname = address.split(".")
            return {"address": address, "mode": "managed", "type": rtype, "name": rname,
                    "provider_name": "registry.terraform.io/hashicorp/aws", "values": vals, "sensitive_values": sens}
        resources = [sres("aws_iam_user.u", values, marks)] + ([sres("aws_iam_access_key.k", key_values, {})]
                                                                 if key else [])
        doc = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
        name = "show.json"
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("whole", [False, True])
@pytest.mark.parametrize("kind", ["plan", "state", "show"])
def test_a_sensitive_owner_tag_is_a_missing_owner_that_says_so(tmp_path: Any, kind: str, whole: bool) -> None:
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.reporters import render

    report = check_paths([str(_sensitive_owner_input(tmp_path, kind, whole))], Config(), _NOW_SENS)
    (found,) = [f for f in report.findings if f.rule == "missing-owner"]
    assert (found.rule_id, found.severity, found.address) == ("NHI001", Severity.ERROR, "aws_iam_user.u")
    assert "marked sensitive" in found.message and "cannot be read" in found.message
    assert "has no owner tag" not in found.message
    assert report.failed()
    for fmt in ("text", "json", "sarif", "markdown"):
        assert _HIDDEN not in render(fmt, report)


@pytest.mark.parametrize("kind", ["plan", "state", "show"])
def test_a_key_of_a_user_with_a_sensitive_owner_tag_says_so(tmp_path: Any, kind: str) -> None:
    from nhi_toolkit.engine import check_paths

    report = check_paths([str(_sensitive_owner_input(tmp_path, kind, key=True))], Config(), _NOW_SENS)
    (found,) = [f for f in report.findings if f.rule == "missing-owner" and f.address == "aws_iam_access_key.k"]
    assert "aws_iam_user.u" in found.message and "marked sensitive" in found.message
    assert "has no owner tag" not in found.message and _HIDDEN not in found.message


def test_an_absent_owner_tag_beside_a_sensitive_other_tag_still_says_it_is_absent(tmp_path: Any) -> None:
    import json

    from nhi_toolkit.engine import check_paths

    values = {"name": "u", "tags": {"team": "x", "expires_at": "2027-01-31"}}
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
         "provider_name": "registry.terraform.io/hashicorp/aws", "values": values,
         "sensitive_values": {"tags": {"team": True}}}]}}}
    (tmp_path / "show.json").write_text(json.dumps(doc), encoding="utf-8")
    report = check_paths([str(tmp_path / "show.json")], Config(), _NOW_SENS)
    (found,) = [f for f in report.findings if f.rule == "missing-owner"]
    assert "has no owner tag" in found.message and "sensitive" not in found.message



def test_a_sensitive_owner_tag_beside_tags_all_unknown_until_apply_is_not_passed_as_unknown(tmp_path: Any) -> None:
    # The resource's own owner tag wins over any default tag, so it is the owner: unreadable, not
    # "known after apply" (an info finding would let the check pass).
    import json

    from nhi_toolkit.engine import check_paths

    rc = {"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
          "provider_name": "registry.terraform.io/hashicorp/aws",
          "change": {"actions": ["create"], "before": None, "after": {"name": "u", "tags": _SENS_TAGS},
                     "after_unknown": {"tags_all": True}, "before_sensitive": False,
                     "after_sensitive": {"tags": {"owner": True}}}}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": [rc]}),
                    encoding="utf-8")
    report = check_paths([str(path)], Config(), _NOW_SENS)
    (found,) = [f for f in report.findings if f.rule == "missing-owner"]
    assert "marked sensitive" in found.message and report.failed()


# -- an expiry tag whose value Terraform marks sensitive -----------------------------------------------

_HIDDEN_EXPIRY = "2031-07-09"  # never in any output


def _sensitive_expiry_plan(tmp_path: Any, key: bool = False, tags_all_unknown: bool = False) -> Any:
    """A plan whose aws_iam_user.u has its expires_at tag marked sensitive; ``key`` adds an access key
    of that user (it inherits the user's tags); ``tags_all_unknown``: the provider's copy is known
    only after apply."""
    import json

    tags = {"owner": "alice@example.com", "expires_at": _HIDDEN_EXPIRY}
    after: dict[str, Any] = {"name": "u", "tags": tags}
    unknown: dict[str, Any] = {}
    if tags_all_unknown:
        unknown["tags_all"] = True
    else:
        after["tags_all"] = tags
    changes = [{"address": "aws_iam_user.u", "mode": "managed", "type": "aws_iam_user", "name": "u",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown,
                           "before_sensitive": False, "after_sensitive": {"tags": {"expires_at": True}}}}]
    config: dict[str, Any] = {"root_module": {"resources": []}}
    if key:
        changes.append({"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key",
                        "name": "k", "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": {"user": "u"},
                                   "after_unknown": {"id": True}, "before_sensitive": False,
                                   "after_sensitive": {}}})
        config["root_module"]["resources"].append(
            {"address": "aws_iam_access_key.k", "mode": "managed", "type": "aws_iam_access_key", "name": "k",
             "expressions": {"user": {"references": ["aws_iam_user.u.name", "aws_iam_user.u"]}}})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": changes,
                                "configuration": config}), encoding="utf-8")
    return path


@pytest.mark.parametrize("tags_all_unknown", [False, True])
def test_a_sensitive_expiry_tag_is_a_missing_expiry_that_says_so(tmp_path: Any, tags_all_unknown: bool) -> None:
    # Beside a tags_all known only after apply, the marked tag is still the expiry: unreadable, an
    # error, never "known after apply" (an info finding would let the check pass).
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.reporters import render

    report = check_paths([str(_sensitive_expiry_plan(tmp_path, tags_all_unknown=tags_all_unknown))], Config(),
                         _NOW_SENS)
    (found,) = [f for f in report.findings if f.rule == "missing-expiry"]
    assert (found.rule_id, found.severity, found.address) == ("NHI002", Severity.ERROR, "aws_iam_user.u")
    assert "no readable expiry" in found.message and "its expiry tag is marked sensitive" in found.message
    assert "has no expiry tag" not in found.message
    assert report.failed()
    for fmt in ("text", "json", "sarif", "markdown", "junit", "github"):
        assert _HIDDEN_EXPIRY not in render(fmt, report)


def test_a_key_of_a_user_with_a_sensitive_expiry_tag_says_so(tmp_path: Any) -> None:
    from nhi_toolkit.engine import check_paths

    report = check_paths([str(_sensitive_expiry_plan(tmp_path, key=True))], Config(), _NOW_SENS)
    (found,) = [f for f in report.findings if f.rule == "missing-expiry" and f.address == "aws_iam_access_key.k"]
    assert "the expiry tag of its parent aws_iam_user.u is marked sensitive" in found.message
    assert _HIDDEN_EXPIRY not in found.message


def test_a_credential_of_one_of_several_managed_users_says_which_not_that_none_is_managed(tmp_path: Any) -> None:
    """A key whose user is one instance of a for_each (which one known only after apply) or one of two
    users: its parent is managed here, only not known; the messages said it had no parent here and that
    its parent was not managed here."""
    from nhi_toolkit.engine import check_paths

    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  for_each = { a = "2026-01-01", b = "2030-01-01" }\n  name = each.key\n'
        '  tags = { owner = "o@example.com", expires_at = each.value }\n}\n'
        'resource "aws_iam_access_key" "k" {\n  for_each = { for k, u in aws_iam_user.u : k => u.name }\n'
        '  user = each.value\n}\n',
        encoding="utf-8")
    report = check_paths([str(tmp_path)], Config(), datetime(2026, 6, 1, tzinfo=UTC))
    got = {f.rule: f.message for f in report.findings if f.address == "aws_iam_access_key.k"}
    assert {"missing-owner", "missing-expiry", "missing-revocation-path"} <= set(got)
    for rule in ("missing-owner", "missing-expiry", "missing-revocation-path"):
        assert "aws_iam_user.u" in got[rule], got[rule]
        assert "not managed here" not in got[rule] and "no parent identity here" not in got[rule]
