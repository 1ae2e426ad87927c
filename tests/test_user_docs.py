"""What a new user reads in README.md matches what the code does."""

from __future__ import annotations

import pytest

from nhi_toolkit.config import ConfigError, config_from_mapping


def test_suppressions_is_not_a_config_key() -> None:
    # [[tool.nhi.suppressions]] is a plausible slip for [[tool.nhi.suppress]]: an error, never ignored.
    table = {"suppressions": [{"rule": "expired", "reason": "long enough reason", "until": "2027-01-01"}]}
    with pytest.raises(ConfigError, match="unknown setting 'suppressions'"):
        config_from_mapping(table, "nhi.toml")
