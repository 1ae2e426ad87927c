"""Configuration: ``[tool.nhi]`` in nhi.toml or pyproject.toml; CLI flags > file > defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nhi_toolkit.config import Config, config_from_mapping, find_config_file, load_config
from nhi_toolkit.errors import ConfigError


def test_defaults() -> None:
    config = Config()
    assert config.expiring_soon_days == 14
    assert config.fail_on == "error"
    assert "owner" in config.owner_keys and "expires_at" in config.expiry_keys
    catalog = config.catalog
    assert config.max_lifetime_for(catalog["aws_iam_access_key"]) == 90
    assert config.max_lifetime_for(catalog["aws_iam_role"]) == 365
    assert config.max_lifetime_for(catalog["aws_iam_user"]) == 365


def test_every_setting_is_read() -> None:
    config = config_from_mapping({
        "owner_keys": ["team"], "expiry_keys": "sunset", "expiring_soon_days": 30,
        "max_lifetime_days": {"aws_iam_role": 30, "credential": 7}, "fail_on": "warning",
        "severity": {"expiring-soon": "error"}, "disable": ["NHI013"],
        "identity_types": {"terraform_data": {"tags_path": "input.tags", "max_lifetime_days": 60}},
        "suppress": [{"rule": "missing-owner", "address": "aws_iam_role.*", "reason": "owned by the platform",
                      "until": "2026-12-31"}],
    })
    assert config.owner_keys == ("team",) and config.expiry_keys == ("sunset",)
    assert config.expiring_soon_days == 30 and config.fail_on == "warning"
    catalog = config.catalog
    assert config.max_lifetime_for(catalog["aws_iam_role"]) == 30
    assert config.max_lifetime_for(catalog["aws_iam_access_key"]) == 7
    assert config.max_lifetime_for(catalog["terraform_data"]) == 60
    assert catalog["terraform_data"].tags_path == "input.tags"
    assert config.suppressions[0].matches("NHI001", "missing-owner", "aws_iam_role.x")
    assert not config.suppressions[0].matches("NHI001", "missing-owner", "aws_iam_user.x")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"owner_kyes": ["x"]}, "unknown setting 'owner_kyes'"),
        ({"owner_keys": []}, "non-empty list"),
        ({"owner_keys": [1]}, "non-empty list"),
        ({"expiring_soon_days": -1}, "whole number"),
        ({"expiring_soon_days": True}, "whole number"),
        ({"expiring_soon_days": "14"}, "whole number"),
        ({"max_lifetime_days": {"aws_iam_role": 0}}, "positive integer"),
        ({"max_lifetime_days": 90}, "positive integer"),
        ({"fail_on": "fatal"}, "fail_on"),
        ({"severity": {"expired": "critical"}}, "severity"),
        ({"identity_types": {"x": {"tags_pth": "a"}}}, "unknown key 'tags_pth'"),
        ({"identity_types": {"x": {"category": "robot"}}}, "category"),
        ({"identity_types": {"x": {"tags_format": "csv"}}}, "tags_format"),
        ({"identity_types": {"x": {"max_lifetime_days": -3}}}, "max_lifetime_days"),
        ({"identity_types": {"x": {"max_lifetime_days": True}}}, "max_lifetime_days"),
        ({"identity_types": {"x": {"phase": True}}}, "phase"),
        ({"identity_types": {"x": "tags"}}, "must be a table"),
        ({"suppress": [{"rule": "expired", "reason": "short", "until": "2026-12-31"}]}, "10 characters"),
        ({"suppress": [{"rule": "expired", "reason": "long enough reason"}]}, "until"),
        ({"suppress": [{"rule": "expired", "reason": "long enough reason", "until": "2026-02-30"}]}, "until"),
        ({"suppress": [{"reason": "long enough reason", "until": "2026-12-31"}]}, "rule"),
        ({"suppress": {"rule": "x"}}, "array of tables"),
    ],
)
def test_invalid_settings_are_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping(table, "nhi.toml")


def test_nhi_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nhi]\nfail_on = "info"\n', encoding="utf-8")
    assert find_config_file([], cwd=tmp_path) == tmp_path / "pyproject.toml"
    (tmp_path / "nhi.toml").write_text('[tool.nhi]\nfail_on = "warning"\n', encoding="utf-8")
    assert find_config_file([], cwd=tmp_path) == tmp_path / "nhi.toml"


def test_pyproject_without_tool_nhi_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_config_file([], cwd=tmp_path) is None


def test_config_next_to_inputs_is_found_before_cwd(tmp_path: Path) -> None:
    inputs = tmp_path / "infra"
    inputs.mkdir()
    (inputs / "nhi.toml").write_text('[tool.nhi]\nfail_on = "info"\n', encoding="utf-8")
    (tmp_path / "nhi.toml").write_text('[tool.nhi]\nfail_on = "never"\n', encoding="utf-8")
    assert find_config_file([inputs / "plan.json"], cwd=tmp_path) == inputs / "nhi.toml"
    assert find_config_file([inputs], cwd=tmp_path) == inputs / "nhi.toml"


def test_flags_override_file(tmp_path: Path) -> None:
    path = tmp_path / "nhi.toml"
    path.write_text('[tool.nhi]\nfail_on = "info"\nexpiring_soon_days = 3\n', encoding="utf-8")
    config = load_config(path, overrides={"fail_on": "never", "expiring_soon_days": None})
    assert config.fail_on == "never" and config.expiring_soon_days == 3
    assert config.source == str(path)


def test_nhi_toml_needs_the_tool_nhi_table(tmp_path: Path) -> None:
    path = tmp_path / "nhi.toml"
    path.write_text('fail_on = "info"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[tool.nhi\]"):
        load_config(path)


def test_bad_toml_names_file_line_and_column_without_text(tmp_path: Path) -> None:
    path = tmp_path / "nhi.toml"
    path.write_text('[tool.nhi]\nowner_keys = [sk_live_SECRETLOOKING]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text and "line 2" in text and "SECRETLOOKING" not in text


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_toml_dates_are_accepted_for_until(tmp_path: Path) -> None:
    path = tmp_path / "nhi.toml"
    path.write_text('[tool.nhi]\n[[tool.nhi.suppress]]\nrule = "expired"\nreason = "decommission booked"\n'
                    "until = 2026-12-31\n", encoding="utf-8")
    (s,) = load_config(path).suppressions
    assert s.until == "2026-12-31"
