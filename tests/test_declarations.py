"""``[[tool.nhi.declarations]]``: owner and expiry for identities that cannot carry tags and have no
parent; config validation, matching, reported source, and wording. The clock is pinned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import NOW_TEXT, state_doc, state_resource, write_json

from nhi_toolkit.config import config_from_mapping, load_config
from nhi_toolkit.errors import ConfigError

OWNER = "alice@example.com"
SECRET = "hunter2-declared-secret-value"
REASON = "key for the vendor webhook, owned by the platform team; SEC-42"


def _state(tmp_path: Path) -> Path:
    """An unmanaged user's access key, a TLS key, a GitHub secret, a tagged role, a tag-less role."""
    return write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_access_key", "stray", {"user": "ghost", "id": "AKIA1", "secret": SECRET}),
        state_resource("tls_private_key", "webhook", {"algorithm": "ED25519", "private_key_pem": SECRET}),
        state_resource("github_actions_secret", "token", {"repository": "bot", "secret_name": "TOKEN",
                                                          "plaintext_value": SECRET}),
        state_resource("aws_iam_role", "tagged", {"name": "tagged",
                                                  "tags": {"owner": "bob", "expires_at": "2026-07-01"}}),
        state_resource("aws_iam_role", "half", {"name": "half", "tags": {"owner": "bob"}}),
    ))


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "nhi.toml"
    path.write_text("[tool.nhi]\n" + body, encoding="utf-8")
    return path


def _decl(address: str, expires: str = "2026-07-01", **extra: str) -> str:
    lines = [f'address = "{address}"', f'owner = "{OWNER}"', f"expires_at = {expires}",
             f'reason = "{REASON}"'] + [f'{k} = "{v}"' for k, v in extra.items()]
    return "[[tool.nhi.declarations]]\n" + "\n".join(lines) + "\n"


def _by_address(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["address"]: i for i in doc["identities"]}


def _rules(doc: dict[str, Any], address: str) -> list[str]:
    return sorted(f["rule"] for f in doc["findings"] if f["address"] == address and not f["suppressed"])


# -- validation ----------------------------------------------------------------------------------

BAD_CONFIGS = [
    ("[[tool.nhi.declarations]]\naddress = \"x\"\nowner = \"a\"\nexpires_at = 2026-07-01\n", "reason"),
    (_decl("x").replace(REASON, "too short"), "at least 10 characters"),
    (_decl("x", '"2026-02-30"'), "not a real calendar date"),
    (_decl("x", '"next year"'), "expires_at"),
    (_decl("x", "2026-07-01T10:00:00"), "expires_at"),  # a TOML local datetime has no offset
    (_decl("x", '""'), "expires_at"),
    (_decl("x") + "ownr = \"typo\"\n", "unknown key 'ownr'"),
    (_decl("x").replace(f'owner = "{OWNER}"', 'owner = ""'), "needs an 'owner'"),
    (_decl("x").replace('address = "x"', "address = 3"), "needs an 'address'"),
    (_decl("x", file=""), "'file' must be"),
    ("declarations = \"aws_*\"\n", "array of tables"),
    ("declarations = [1]\n", "must be a table"),
]


@pytest.mark.parametrize(("body", "message"), BAD_CONFIGS)
def test_config_errors_exit_two_naming_the_file(tmp_path: Path, nhi: Any, body: str, message: str) -> None:
    cfg = _config(tmp_path, body)
    state = _state(tmp_path)
    run = nhi(["check", state, "--now", NOW_TEXT, "--config", cfg])
    assert run.code == 2, run.stdout
    assert message in run.stderr and str(cfg) in run.stderr
    assert "Traceback" not in run.stderr and SECRET not in run.stderr + run.stdout


def test_config_from_mapping_parses_dates_and_timestamps() -> None:
    from datetime import UTC, date, datetime

    cfg = config_from_mapping({"declarations": [
        {"address": "a.b", "owner": "x", "expires_at": date(2026, 7, 1), "reason": REASON},
        {"address": "c.*", "owner": "y", "expires_at": datetime(2026, 7, 1, 12, tzinfo=UTC), "reason": REASON,
         "file": "state/*.tfstate"},
    ]}, "nhi.toml")
    a, c = cfg.declarations
    assert a.expires_instant == datetime(2026, 7, 2, tzinfo=UTC) and a.source == "nhi.toml"
    assert c.expires_instant == datetime(2026, 7, 1, 12, tzinfo=UTC) and c.file == "state/*.tfstate"
    with pytest.raises(ConfigError):
        config_from_mapping({"declarations": [{"address": "a", "owner": "x", "expires_at": "2026-13-01",
                                               "reason": REASON}]}, "nhi.toml")


# -- matching and reporting -------------------------------------------------------------------

def test_declarations_give_owner_and_expiry_with_their_source(tmp_path: Path, nhi: Any) -> None:
    cfg = _config(tmp_path, _decl("aws_iam_access_key.stray") + _decl("tls_private_key.*")
                  + _decl("github_actions_secret.token", file="terraform.tfstate"))
    run = nhi(["check", _state(tmp_path), "--now", NOW_TEXT, "--config", cfg, "-f", "json"])
    doc = run.json()
    ids = _by_address(doc)
    for address in ("aws_iam_access_key.stray", "tls_private_key.webhook", "github_actions_secret.token"):
        rec = ids[address]
        assert rec["owner"] == OWNER and rec["expires_at"] == "2026-07-01", address
        assert rec["owner_source"] == "declaration" and rec["expiry_source"] == "declaration"
        assert rec["declaration"]["source"] == str(cfg)
        assert rec["declaration"]["reason"] == REASON
        assert "missing-owner" not in _rules(doc, address) and "missing-expiry" not in _rules(doc, address)
    assert ids["tls_private_key.webhook"]["declaration"]["address_pattern"] == "tls_private_key.*"
    assert ids["aws_iam_access_key.stray"]["declaration"]["address_pattern"] == "aws_iam_access_key.stray"
    assert SECRET not in run.stdout + run.stderr
    text = nhi(["check", _state(tmp_path), "--now", NOW_TEXT, "--config", cfg])
    row = next(line for line in text.stdout.splitlines() if line.startswith("tls_private_key.webhook"))
    assert f"{OWNER} (declaration)" in row and "2026-07-01 (declaration)" in row
    assert SECRET not in text.stdout + text.stderr


def test_file_limits_a_declaration_to_one_input(tmp_path: Path, nhi: Any) -> None:
    cfg = _config(tmp_path, _decl("tls_private_key.webhook", file="other/*.tfstate"))
    doc = nhi(["check", _state(tmp_path), "--now", NOW_TEXT, "--config", cfg, "-f", "json"]).json()
    assert _by_address(doc)["tls_private_key.webhook"]["declaration"] is None
    assert "missing-owner" in _rules(doc, "tls_private_key.webhook")


def test_own_tags_win_and_fill_only_what_is_absent(tmp_path: Path, nhi: Any) -> None:
    cfg = _config(tmp_path, _decl("aws_iam_role.*", '"2026-06-20"'))
    doc = nhi(["check", _state(tmp_path), "--now", NOW_TEXT, "--config", cfg, "-f", "json"]).json()
    ids = _by_address(doc)
    tagged = ids["aws_iam_role.tagged"]
    assert tagged["owner"] == "bob" and tagged["expires_at"] == "2026-07-01"
    assert tagged["owner_source"] == "tag" and tagged["declaration"] is None
    half = ids["aws_iam_role.half"]
    assert half["owner"] == "bob" and half["owner_source"] == "tag"
    assert half["expires_at"] == "2026-06-20" and half["expiry_source"] == "declaration"
    assert half["declaration"]["address_pattern"] == "aws_iam_role.*"


def test_a_declared_expiry_that_has_passed_is_expired(tmp_path: Path, nhi: Any) -> None:
    cfg = _config(tmp_path, _decl("tls_private_key.webhook", '"2026-05-01"'))
    run = nhi(["check", _state(tmp_path), "--now", NOW_TEXT, "--config", cfg, "-f", "json"])
    doc = run.json()
    (f,) = [f for f in doc["findings"] if f["address"] == "tls_private_key.webhook" and f["rule"] == "expired"]
    assert "declared in [[tool.nhi.declarations]]" in f["message"]
    assert _by_address(doc)["tls_private_key.webhook"]["status"] == "expired"


def test_declared_expiry_is_compared_with_a_native_one(tmp_path: Path, nhi: Any) -> None:
    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("azuread_application_password", "p", {"application_object_id": "unmanaged",
                                                              "end_date": "2027-06-01T00:00:00Z"})))
    cfg = _config(tmp_path, _decl("azuread_application_password.p", '"2026-09-01"'))
    doc = nhi(["check", state, "--now", NOW_TEXT, "--config", cfg, "-f", "json"]).json()
    (f,) = [f for f in doc["findings"] if f["rule"] == "expiry-mismatch"]
    assert "its declared expiry says 2026-09-01" in f["message"] and f["severity"] == "error"
    rec = _by_address(doc)["azuread_application_password.p"]
    assert rec["expiry_source"] == "native" and rec["owner_source"] == "declaration"


# -- wording for untaggable types ----------------------------------------------------------------

@pytest.mark.parametrize("address", ["aws_iam_access_key.stray", "tls_private_key.webhook",
                                     "github_actions_secret.token"])
def test_untaggable_findings_never_advise_a_tag_on_themselves(tmp_path: Path, nhi: Any, address: str) -> None:
    doc = nhi(["check", _state(tmp_path), "--now", NOW_TEXT, "-f", "json"]).json()
    msgs = {f["rule"]: f["message"] for f in doc["findings"] if f["address"] == address}
    for rule in ("missing-owner", "missing-expiry"):
        msg = msgs[rule]
        assert msg.startswith(f"{address} cannot carry tags"), msg
        assert "[[tool.nhi.declarations]]" in msg
        assert "has no owner tag" not in msg and "has no expiry tag" not in msg


def test_untaggable_with_a_tagless_parent_points_at_the_parent(tmp_path: Path, nhi: Any) -> None:
    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "u", {"name": "svc"}),
        state_resource("aws_iam_access_key", "k", {"user": "svc"})))
    doc = nhi(["check", state, "--now", NOW_TEXT, "-f", "json"]).json()
    msg = next(f["message"] for f in doc["findings"]
               if f["address"] == "aws_iam_access_key.k" and f["rule"] == "missing-owner")
    assert "cannot carry tags and its parent aws_iam_user.u has no owner tag" in msg
    assert "tag aws_iam_user.u, or declare it in [[tool.nhi.declarations]]" in msg
    user_msg = next(f["message"] for f in doc["findings"]
                    if f["address"] == "aws_iam_user.u" and f["rule"] == "missing-owner")
    assert user_msg.startswith("aws_iam_user.u has no owner tag")


def test_untaggable_with_an_untaggable_parent_points_past_it(tmp_path: Path, nhi: Any) -> None:
    # A GitHub secret holding a service principal password: neither carries tags; the principal
    # they inherit from does, and is what to tag (a token of a principal with no parent here: declare).
    (tmp_path / "main.tf").write_text(
        'resource "azuread_service_principal" "sp" {\n  client_id = "x"\n}\n'
        'resource "azuread_service_principal_password" "pw" {\n'
        '  service_principal_id = azuread_service_principal.sp.id\n}\n'
        'resource "github_actions_secret" "s" {\n  repository = "r"\n  secret_name = "AZ"\n'
        '  plaintext_value = azuread_service_principal_password.pw.value\n}\n', encoding="utf-8")
    doc = nhi(["check", str(tmp_path), "--now", NOW_TEXT, "-f", "json", "--no-cache"]).json()
    msgs = {f["address"]: f["message"] for f in doc["findings"] if f["rule"] == "missing-owner"}
    assert msgs["github_actions_secret.s"] == (
        "github_actions_secret.s cannot carry tags, nor can its parent azuread_service_principal_password.pw: "
        "tag azuread_service_principal.sp (which azuread_service_principal_password.pw inherits from), or "
        "declare it in [[tool.nhi.declarations]] (address, owner, expires_at, reason)")


def test_fix_texts_name_declarations() -> None:
    from nhi_toolkit.rules import rule_by_key

    for key in ("missing-owner", "missing-expiry"):
        rule = rule_by_key(key)
        assert rule is not None and "[[tool.nhi.declarations]]" in rule.fix


def test_declarations_found_next_to_the_input(tmp_path: Path) -> None:
    cfg = _config(tmp_path, _decl("tls_private_key.*"))
    loaded = load_config(None, [str(_state(tmp_path))])
    assert loaded.source == str(cfg) and len(loaded.declarations) == 1
