"""Suppressions: one mechanism for config entries, inline HCL comments and CDKTF metadata.

Every case pins the clock; dates are far from the real one on purpose.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from nhi_toolkit.config import config_from_mapping, load_config
from nhi_toolkit.engine import Report, check_paths
from nhi_toolkit.errors import ConfigError
from nhi_toolkit.model import Finding, Severity
from nhi_toolkit.suppress import file_matches, inline_suppressions, make_suppression

NOW = datetime.fromisoformat("2026-12-01T00:00:00+00:00")
REASON = "vendor key, ticket SEC-12"

UNOWNED = 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { expires_at = "2027-01-31" }\n}\n'


def _check(tmp_path: Path, tf: str, config: dict[str, Any] | None = None, name: str = "main.tf",
           now: datetime = NOW) -> Report:
    (tmp_path / name).write_text(tf, encoding="utf-8")
    cfg = config_from_mapping(config or {}, str(tmp_path / "nhi.toml"))
    return check_paths([str(tmp_path)], cfg, now)


def _by_rule(report: Report) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in report.findings:
        out.setdefault(f.rule, []).append(f)
    return out


def _verdict(report: Report) -> dict[str, str]:
    """rule -> 'active' / 'suppressed' (one finding per rule in these cases)."""
    return {f.rule: "suppressed" if f.suppressed else "active" for f in report.findings}


# -- inline comments and config entries, table-driven ------------------------------------------------

INLINE_CASES = [
    # (label, the .tf text, config suppress entries, expected verdicts per rule)
    ("hash comment above the block",
     f'# nhi:ignore[NHI001] until=2027-01-31 reason="{REASON}"\n' + UNOWNED, [],
     {"missing-owner": "suppressed"}),
    ("slash comment above the block, by name",
     f'// nhi:ignore[missing-owner] until=2027-01-31 reason="{REASON}"\n' + UNOWNED, [],
     {"missing-owner": "suppressed"}),
    ("on the block's first line",
     UNOWNED.replace("{\n", f'{{ # nhi:ignore[NHI001] until=2027-01-31 reason="{REASON}"\n', 1), [],
     {"missing-owner": "suppressed"}),
    ("several rules, comma-separated, over several comment lines",
     (f'# a vendor bot\n// nhi:ignore[NHI001, missing-expiry] until=2027-01-31 reason="{REASON}"\n'
     'resource "aws_iam_user" "u" {\n  name = "u"\n}\n'), [],
     {"missing-owner": "suppressed", "missing-expiry": "suppressed"}),
    ("a blank line breaks the tie to the block",
     f'# nhi:ignore[NHI001] until=2027-01-31 reason="{REASON}"\n\n' + UNOWNED, [],
     {"missing-owner": "active"}),
    ("config with an exact file",
     UNOWNED, [{"rule": "NHI001", "address": "aws_iam_user.*", "file": "main.tf", "reason": REASON,
                "until": "2027-01-31"}],
     {"missing-owner": "suppressed"}),
    ("config with a glob file",
     UNOWNED, [{"rule": "NHI001", "address": "aws_iam_user.u", "file": "*/main.tf", "reason": REASON,
                "until": "2027-01-31"}],
     {"missing-owner": "suppressed"}),
    ("config with another file waives nothing (and is stale)",
     UNOWNED, [{"rule": "NHI001", "address": "aws_iam_user.u", "file": "other.tf", "reason": REASON,
                "until": "2027-01-31"}],
     {"missing-owner": "active", "suppression-stale": "active"}),
    ("expired inline: the finding is active again and the lapse a warning",
     f'# nhi:ignore[NHI001] until=2026-11-30 reason="{REASON}"\n' + UNOWNED, [],
     {"missing-owner": "active", "suppression-expired": "active"}),
    ("expired config entry",
     UNOWNED, [{"rule": "missing-owner", "address": "aws_iam_user.u", "reason": REASON, "until": "2026-06-01"}],
     {"missing-owner": "active", "suppression-expired": "active"}),
    ("stale config entry",
     UNOWNED, [{"rule": "missing-owner", "address": "aws_iam_user.gone", "reason": REASON, "until": "2027-01-31"}],
     {"missing-owner": "active", "suppression-stale": "active"}),
    ("stale inline comment",
     f'# nhi:ignore[NHI002] until=2027-01-31 reason="{REASON}"\n' + UNOWNED, [],
     {"missing-owner": "active", "suppression-stale": "active"}),
]


@pytest.mark.parametrize(("tf", "entries", "expected"), [c[1:] for c in INLINE_CASES],
                         ids=[c[0] for c in INLINE_CASES])
def test_suppressions(tmp_path: Path, tf: str, entries: list[dict[str, Any]], expected: dict[str, str]) -> None:
    report = _check(tmp_path, tf, {"suppress": entries} if entries else None)
    assert _verdict(report) == expected
    for f in report.findings:
        if f.suppressed:
            assert (f.suppressed, f.suppressed_until) == (REASON, "2027-01-31")


def test_expired_suppression_fails_the_check_and_names_where_it_is_written(tmp_path: Path) -> None:
    report = _check(tmp_path, f'# nhi:ignore[NHI001] until=2026-11-30 reason="{REASON}"\n' + UNOWNED)
    assert report.failed()
    (lapse,) = _by_rule(report)["suppression-expired"]
    assert (lapse.rule_id, lapse.severity, lapse.address) == ("NHI020", Severity.WARNING, "aws_iam_user.u")
    assert lapse.source.file.endswith("main.tf") and lapse.source.line == 1
    assert "ended on 2026-11-30" in lapse.message


def test_stale_is_info_at_the_config_line(tmp_path: Path) -> None:
    cfg = tmp_path / "nhi.toml"
    cfg.write_text('[tool.nhi]\nfail_on = "info"\n\n[[tool.nhi.suppress]]\nrule = "NHI001"\n'
                   f'address = "aws_iam_user.gone"\nreason = "{REASON}"\nuntil = 2027-01-31\n')
    (tmp_path / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n'
                                      '  tags = { owner = "a", expires_at = "2027-01-31" }\n}\n')
    report = check_paths([str(tmp_path)], load_config(cfg), NOW)
    (stale,) = report.findings
    assert (stale.rule_id, stale.rule, stale.severity) == ("NHI021", "suppression-stale", Severity.INFO)
    assert (stale.address, stale.source.file, stale.source.line) == ("aws_iam_user.gone", str(cfg), 4)


# -- unwaivable -------------------------------------------------------------------------------------

EXPIRED_TF = ('# nhi:ignore[expired] until=2027-06-30 reason="retirement booked, CHG-9"\n'
              'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = "a", expires_at = "2026-06-30" }\n}\n')


@pytest.mark.parametrize(("config", "expected"), [
    (None, {"expired": "active", "suppression-unwaivable": "active"}),
    ({"unwaivable": ["owner-offboarded"]}, {"expired": "suppressed"}),
    ({"unwaivable": ["NHI004", "missing-owner"]}, {"expired": "active", "suppression-unwaivable": "active"}),
    ({"unwaivable": []}, {"expired": "suppressed"}),
], ids=["default", "custom-without-expired", "custom-by-id", "empty"])
def test_unwaivable(tmp_path: Path, config: dict[str, Any] | None, expected: dict[str, str]) -> None:
    report = _check(tmp_path, EXPIRED_TF, config)
    assert _verdict(report) == expected
    for f in _by_rule(report).get("suppression-unwaivable", []):
        assert (f.rule_id, f.address, f.source.line) == ("NHI022", "aws_iam_user.u", 1)


def test_wildcard_suppression_never_waives_an_unwaivable_rule(tmp_path: Path) -> None:
    tf = EXPIRED_TF.replace("[expired]", "[*]")
    # It waives nothing it may, so it is stale as well.
    assert _verdict(_check(tmp_path, tf)) == {"expired": "active", "suppression-stale": "active"}


def test_unwaivable_names_a_known_rule() -> None:
    with pytest.raises(ConfigError, match="names no rule 'expird' \\(did you mean 'expired'\\?\\)"):
        config_from_mapping({"unwaivable": ["expird"]})


# -- invalid ones are reported with the reason (NHI008) --------------------------------------------


@pytest.mark.parametrize(("comment", "why"), [
    ('# nhi:ignore[NHI001] until=2027-01-31', "needs a reason of at least 10 characters"),
    ('# nhi:ignore[NHI001] until=2027-01-31 reason="short"', "needs a reason of at least 10 characters"),
    (f'# nhi:ignore[NHI001] until=2027-02-30 reason="{REASON}"', "needs an end date"),
    (f'# nhi:ignore[NHI001] reason="{REASON}"', "needs an end date"),
    (f'// nhi:ignore[NHI001] until=2027-01-31 reason="{REASON}" ticket=X', "unknown field 'ticket'"),
    (f'# nhi:ignore NHI001 until=2027-01-31 reason="{REASON}"', "nhi:ignore[RULE,...]"),
    (f'# nhi:ignore[NHI999] until=2027-01-31 reason="{REASON}"', "no rule 'NHI999'"),
])
def test_invalid_inline_suppression_is_reported(tmp_path: Path, comment: str, why: str) -> None:
    report = _check(tmp_path, comment + "\n" + UNOWNED)
    verdict = _verdict(report)
    assert verdict["missing-owner"] == "active" and verdict["invalid-suppression"] == "active"
    (bad,) = _by_rule(report)["invalid-suppression"]
    assert (bad.rule_id, bad.severity, bad.address, bad.source.line) == ("NHI008", Severity.WARNING,
                                                                          "aws_iam_user.u", 1)
    assert why in bad.message


@pytest.mark.parametrize(("entry", "why"), [
    ({"rule": "missing-owner", "reason": "short", "until": "2027-01-31"}, "10 characters"),
    ({"rule": "missing-owner", "reason": REASON, "until": "2027-02-30"}, "until"),
    ({"rule": "missing-owner", "reason": REASON}, "until"),
    ({"rule": "missing-owner", "reason": REASON, "until": "2027-01-31", "addres": "x"},
     "unknown key 'addres' \\(did you mean 'address'\\?\\)"),
    ({"rule": "missing-owner", "reason": REASON, "until": "2027-01-31", "file": ""}, "'file'"),
])
def test_malformed_config_entry_is_an_error_naming_the_file(entry: dict[str, Any], why: str) -> None:
    with pytest.raises(ConfigError, match=why) as err:
        config_from_mapping({"suppress": [entry]}, "nhi.toml")
    assert err.value.file == "nhi.toml"


def test_config_entry_naming_no_rule_is_reported(tmp_path: Path) -> None:
    report = _check(tmp_path, UNOWNED, {"suppress": [{"rule": "missing-ownr", "address": "aws_iam_user.u",
                                                       "reason": REASON, "until": "2027-01-31"}]})
    (bad,) = _by_rule(report)["invalid-suppression"]
    assert "no rule 'missing-ownr'" in bad.message and bad.source.file.endswith("nhi.toml")


def _cdktf(tmp_path: Path, suppress: Any) -> Path:
    doc = {"//": {"metadata": {"version": "0.21.0", "stackName": "demo"}},
           "resource": {"aws_iam_user": {"u": {
               "//": {"metadata": {"path": "demo/u", "uniqueId": "u"}, "nhi": {"suppress": suppress}},
               "name": "u", "tags": {"expires_at": "2027-01-31"}}}}}
    path = tmp_path / "cdk.tf.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(("entry", "verdict", "why"), [
    ({"rule": "missing-owner", "reason": REASON, "until": "2027-01-31"}, "suppressed", None),
    ({"rule": "missing-owner", "reason": "short", "until": "2027-01-31"}, "active",
     "needs a reason of at least 10 characters"),
    ({"rule": "missing-owner", "reason": REASON, "until": "someday"}, "active", "needs an end date"),
    ("missing-owner", "active", "must be an object"),
])
def test_cdktf_metadata_suppression(tmp_path: Path, entry: Any, verdict: str, why: str | None) -> None:
    report = check_paths([str(_cdktf(tmp_path, [entry]))], config_from_mapping({}), NOW)
    assert _verdict(report)["missing-owner"] == verdict
    invalid = _by_rule(report).get("invalid-suppression", [])
    if why is None:
        assert invalid == []
    else:
        (bad,) = invalid
        assert bad.rule_id == "NHI008" and bad.address == "aws_iam_user.u" and why in bad.message
        assert "//.nhi.suppress" in bad.message


@pytest.mark.parametrize("raw", [{}, "", False, 0, {"rule": "missing-owner", "reason": "short", "until": "x"}])
def test_cdktf_metadata_suppression_that_is_no_list_is_reported_not_dropped(tmp_path: Path, raw: Any) -> None:
    report = check_paths([str(_cdktf(tmp_path, raw))], config_from_mapping({}), NOW)
    assert _verdict(report)["missing-owner"] == "active"
    (bad,) = _by_rule(report)["invalid-suppression"]
    assert (bad.rule_id, bad.severity, bad.address) == ("NHI008", Severity.WARNING, "aws_iam_user.u")
    assert "//.nhi.suppress of demo/u" in bad.message and str(bad.source) == str(_cdktf(tmp_path, raw))


def test_cdktf_metadata_suppression_fails_the_check_at_warning(tmp_path: Path) -> None:
    path = _cdktf(tmp_path, [{"rule": "missing-expiry", "reason": "too short", "until": "2027-02-30"}])
    report = check_paths([str(path)], config_from_mapping({"fail_on": "warning"}), NOW)
    (bad,) = _by_rule(report)["invalid-suppression"]
    assert "needs a reason of at least 10 characters" in bad.message and report.failed()


def test_disabled_meta_rules_are_not_reported(tmp_path: Path) -> None:
    report = _check(tmp_path, UNOWNED, {"disable": ["suppression-stale"], "suppress": [
        {"rule": "missing-owner", "address": "aws_iam_user.gone", "reason": REASON, "until": "2027-01-31"}]})
    assert _verdict(report) == {"missing-owner": "active"}


# -- the building blocks ----------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "file", "hit"), [
    ("main.tf", "main.tf", True),
    ("main.tf", "infra/prod/main.tf", True),
    ("prod/main.tf", "infra/prod/main.tf", True),
    ("*/prod/*.tf", "infra/prod/iam.tf", True),
    ("main.tf", "infra/notmain.tf", False),
    ("prod/main.tf", "infra/preprod/main.tf", False),
])
def test_file_patterns(pattern: str, file: str, hit: bool) -> None:
    assert file_matches(pattern, file) is hit


def test_inline_parser_reads_escaped_quotes_and_ignores_unrelated_comments() -> None:
    lines = ["# just a note", '# nhi:ignore[NHI001] until=2027-01-31 reason="say \\"hi\\" to ops"',
             'resource "aws_iam_user" "u" {']
    found, problems = inline_suppressions(lines, 3, "aws_iam_user.u", "main.tf")
    assert problems == []
    (s,) = found
    assert (s.rule, s.reason, s.until, s.kind, str(s.origin)) == ("NHI001", 'say "hi" to ops', "2027-01-31",
                                                                   "inline", "main.tf:2")


def test_one_validation_for_every_source() -> None:
    s = make_suppression("NHI001", REASON, "2027-01-31", address="aws_iam_user.*", file="main.tf")
    assert s.matches("NHI001", "missing-owner", "aws_iam_user.x", "a/main.tf")
    assert not s.matches("NHI001", "missing-owner", "aws_iam_user.x", "a/other.tf")
    assert not s.matches("NHI002", "missing-expiry", "aws_iam_user.x", "a/main.tf")


# -- one mechanism: the CDKTF policy honours the same suppressions --------------------------------


@pytest.mark.cdktf
def test_cdktf_policy_honours_config_suppressions_and_reports_lapsed_ones(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NHI_NOW", "2026-12-01T00:00:00Z")
    from nhi_toolkit.cdktf import AwsProvider, IamUser, NhiPolicy
    from nhi_toolkit.cdktf._runtime import cdk

    config = config_from_mapping({"suppress": [
        {"rule": "missing-owner", "address": "aws_iam_user.waived", "reason": REASON, "until": "2027-01-31"},
        {"rule": "missing-owner", "address": "aws_iam_user.lapsed", "reason": REASON, "until": "2026-06-01"},
    ]}, "nhi.toml")
    app = cdk.App(outdir=str(tmp_path / "out"))
    stack = cdk.TerraformStack(app, "demo")
    AwsProvider(stack, "aws", region="eu-west-1")
    for name in ("waived", "lapsed"):
        IamUser(stack, name, name=name, tags={"expires_at": "2027-01-31"})
    policy = NhiPolicy.apply_to(stack, config=config)
    with pytest.raises(RuntimeError) as err:
        app.synth()
    assert "NHI001 missing-owner: aws_iam_user.lapsed" in str(err.value)
    assert "aws_iam_user.waived" not in str(err.value)
    texts = [m.text for m in policy.messages]
    assert any(t.startswith("NHI001 missing-owner: aws_iam_user.waived") and
               f"[suppressed until 2027-01-31: {REASON}]" in t for t in texts)
    assert any(t.startswith("NHI020 suppression-expired") and "aws_iam_user.lapsed" in t
               for t in (m.text for m in policy.warnings()))


def test_inline_waiver_applies_when_the_identity_is_joined_with_state(tmp_path: Path) -> None:
    state = {"version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": "l", "outputs": {},
             "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "u",
                            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                            "instances": [{"schema_version": 0,
                                           "attributes": {"name": "u", "tags": {"expires_at": "2027-01-31"}}}]}]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(state), encoding="utf-8")
    (tmp_path / "hcl").mkdir()
    (tmp_path / "hcl" / "main.tf").write_text(
        f'# nhi:ignore[NHI001] until=2027-01-31 reason="{REASON}"\n' + UNOWNED, encoding="utf-8")
    # State first: the joined row is located in the state, the waiver is read from the .tf file.
    report = check_paths([str(tmp_path / "terraform.tfstate"), str(tmp_path / "hcl")], config_from_mapping({}), NOW)
    assert len(report.identities) == 1
    assert _verdict(report) == {"missing-owner": "suppressed"}


# -- deposed objects: a waiver by address covers the current object only -----------------------------

_EXPIRING = {"expires_at": "2027-01-31"}


def _deposed_state(tmp_path: Path, deposed_tags: dict[str, str] | None = None) -> Path:
    """A raw state where aws_iam_user.u has a current object and a deposed one, neither owned."""
    def inst(tags: dict[str, str], deposed: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": 0, "attributes": {"name": "u", "tags": tags}}
        return {**out, "deposed": deposed} if deposed else out

    state = {"version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": "l", "outputs": {},
             "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "u",
                            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                            "instances": [inst(_EXPIRING),
                                          inst(deposed_tags or _EXPIRING, "00000001")]}]}
    path = tmp_path / "terraform.tfstate"
    path.write_text(json.dumps(state), encoding="utf-8")
    return path


def _owner_verdicts(report: Report) -> dict[str, str]:
    """'' (the current object) or the deposed key -> missing-owner 'active' / 'suppressed'."""
    return {f.deposed or "": "suppressed" if f.suppressed else "active"
            for f in report.findings if f.rule == "missing-owner"}


def _rules_active(report: Report) -> set[str]:
    return {f.rule for f in report.findings if not f.suppressed}


@pytest.mark.parametrize(("entry", "expected", "stale"), [
    ({"address": "aws_iam_user.u"}, {"": "suppressed", "00000001": "active"}, False),
    ({"address": "aws_iam_user.*"}, {"": "suppressed", "00000001": "active"}, False),
    ({"address": "*"}, {"": "suppressed", "00000001": "active"}, False),
    ({"address": "aws_iam_user.u", "deposed": "00000001"}, {"": "active", "00000001": "suppressed"}, False),
    ({"address": "aws_iam_user.*", "deposed": "*"}, {"": "active", "00000001": "suppressed"}, False),
    ({"address": "aws_iam_user.u", "deposed": "00000002"}, {"": "active", "00000001": "active"}, True),
])
def test_config_waiver_covers_a_deposed_object_only_when_it_names_it(
        tmp_path: Path, entry: dict[str, str], expected: dict[str, str], stale: bool) -> None:
    cfg = config_from_mapping({"suppress": [{"rule": "NHI001", "reason": REASON, "until": "2027-01-31",
                                             **entry}]}, str(tmp_path / "nhi.toml"))
    report = check_paths([str(_deposed_state(tmp_path))], cfg, NOW)
    assert _owner_verdicts(report) == expected
    assert ("suppression-stale" in _rules_active(report)) is stale


def test_waiver_by_address_whose_only_match_is_a_deposed_object_is_stale(tmp_path: Path) -> None:
    # The current object is owned: the waiver was written for it and now matches nothing.
    cfg = config_from_mapping({"suppress": [{"rule": "NHI001", "address": "aws_iam_user.u", "reason": REASON,
                                             "until": "2027-01-31"}]}, str(tmp_path / "nhi.toml"))
    state = _deposed_state(tmp_path)
    doc = json.loads(state.read_text(encoding="utf-8"))
    doc["resources"][0]["instances"][0]["attributes"]["tags"] = {"owner": "ana", **_EXPIRING}
    state.write_text(json.dumps(doc), encoding="utf-8")
    report = check_paths([str(state)], cfg, NOW)
    assert _owner_verdicts(report) == {"00000001": "active"}
    (stale,) = _by_rule(report)["suppression-stale"]
    assert stale.message.startswith("suppression of NHI001 on aws_iam_user.u (")


def test_stale_deposed_waiver_names_the_deposed_object(tmp_path: Path) -> None:
    cfg = config_from_mapping({"suppress": [{"rule": "NHI001", "address": "aws_iam_user.u", "deposed": "0000000f",
                                             "reason": REASON, "until": "2027-01-31"}]}, str(tmp_path / "nhi.toml"))
    report = check_paths([str(_deposed_state(tmp_path))], cfg, NOW)
    (stale,) = _by_rule(report)["suppression-stale"]
    assert "NHI001 on aws_iam_user.u (deposed object 0000000f)" in stale.message


def test_config_waiver_deposed_key_must_be_text() -> None:
    with pytest.raises(ConfigError, match="'deposed'"):
        config_from_mapping({"suppress": [{"rule": "NHI001", "address": "x", "deposed": 1, "reason": REASON,
                                           "until": "2027-01-31"}]}, "nhi.toml")


@pytest.mark.parametrize(("comments", "expected"), [
    ([""], {"": "suppressed", "00000001": "active"}),
    ([" deposed=00000001"], {"": "active", "00000001": "suppressed"}),
    (["", ' deposed="00000001"'], {"": "suppressed", "00000001": "suppressed"}),
])
def test_inline_waiver_covers_a_deposed_object_only_when_it_names_it(
        tmp_path: Path, comments: list[str], expected: dict[str, str]) -> None:
    # The state's objects are located at the .tf block beside it, so its comments are their waivers.
    state = _deposed_state(tmp_path)
    marks = "".join(f'# nhi:ignore[NHI001]{extra} until=2027-01-31 reason="{REASON}"\n' for extra in comments)
    (tmp_path / "main.tf").write_text(marks + UNOWNED, encoding="utf-8")
    report = check_paths([str(state)], config_from_mapping({}), NOW, map_sources=True)
    assert {i.source.file for i in report.identities} == {str(tmp_path / "main.tf")}
    assert _owner_verdicts(report) == expected
    assert "suppression-stale" not in _rules_active(report)


def test_inline_waiver_deposed_field_needs_a_key(tmp_path: Path) -> None:
    report = _check(tmp_path, f'# nhi:ignore[NHI001] deposed="" until=2027-01-31 reason="{REASON}"\n' + UNOWNED)
    (bad,) = _by_rule(report)["invalid-suppression"]
    assert "'deposed'" in bad.message


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, {"00000001": "active"}),
    ({"deposed": "00000001"}, {"00000001": "suppressed"}),
])
def test_cdktf_metadata_waiver_covers_a_deposed_object_only_when_it_names_it(
        tmp_path: Path, extra: dict[str, str], expected: dict[str, str]) -> None:
    # Only the deposed object is left in state: it joins the stack's resource at its address.
    state = _deposed_state(tmp_path)
    doc = json.loads(state.read_text(encoding="utf-8"))
    del doc["resources"][0]["instances"][0]
    state.write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "stack").mkdir()
    stack = _cdktf(tmp_path / "stack", [{"rule": "missing-owner", "reason": REASON, "until": "2027-01-31",
                                          **extra}])
    report = check_paths([str(state), str(stack)], config_from_mapping({}), NOW)
    assert len(report.identities) == 1
    assert _owner_verdicts(report) == expected
    assert ("suppression-stale" in _rules_active(report)) is not extra


def test_every_instance_of_a_block_takes_its_comment_and_an_uncommented_block_none(tmp_path: Path) -> None:
    # Instances share their block's file and line: what the comment says is read once for them all,
    # and a block with no comment beside one with a comment stays unwaived.
    tf = (f'# nhi:ignore[missing-owner] until=2027-01-31 reason="{REASON}"\n'
          'resource "aws_iam_user" "waived" {\n  for_each = toset(["a", "b", "c"])\n  name = each.key\n'
          '  tags = { expires_at = "2027-01-31" }\n}\n\n'
          'resource "aws_iam_user" "plain" {\n  for_each = toset(["a", "b"])\n  name = each.key\n'
          '  tags = { expires_at = "2027-01-31" }\n}\n')
    report = _check(tmp_path, tf)
    got = sorted((f.address, bool(f.suppressed)) for f in _by_rule(report)["missing-owner"])
    assert got == [('aws_iam_user.plain["a"]', False), ('aws_iam_user.plain["b"]', False),
                   ('aws_iam_user.waived["a"]', True), ('aws_iam_user.waived["b"]', True),
                   ('aws_iam_user.waived["c"]', True)]
