"""The secret guard: secret-named keys and private keys are refused at any depth, naming the key
path and never the value; ordinary fields pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_logs import T0, T0_TEXT

from nhi_toolkit import audit as audit_mod
from nhi_toolkit.audit import (
    AuditLog,
    Event,
    SecretInAuditData,
)


@pytest.fixture()
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "nhi.jsonl"


SECRET_DATA = [
    {"secret": "hunter2"},
    {"password": "hunter2"},
    {"secret_string": "hunter2"},
    {"private_key": "hunter2"},
    {"private_key_pem": "hunter2"},
    {"ses_smtp_password_v4": "hunter2"},
    {"token": "hunter2"},
    {"value": "hunter2"},
    {"values": {"owner": "hunter2"}},
    {"secretString": "hunter2"},
    {"clientSecret": "hunter2"},
    {"APIKey": "hunter2"},
    {"api-key": "hunter2"},
    {"password_wo": "hunter2"},
    {"Authorization": "hunter2"},
    {"connection_string": "hunter2"},
    {"nested": {"deeper": [{"ok": 1}, {"credentials": {"id": "hunter2"}}]}},
    {"steps": [[{"session_token": "hunter2"}]]},
    {"note": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----"},
    {"keys": ["-----BEGIN OPENSSH PRIVATE KEY-----"]},
]


@pytest.mark.parametrize("data", SECRET_DATA, ids=lambda d: json.dumps(d)[:40])
def test_secret_guard_refuses(log_path: Path, data: dict[str, object]) -> None:
    with pytest.raises(SecretInAuditData) as info:
        AuditLog(log_path).append(Event.FAILED, run_id="r", data=data, at=T0)
    assert "hunter2" not in str(info.value) and "MIIE" not in str(info.value)
    assert not log_path.exists()


def test_secret_guard_names_the_key_path() -> None:
    with pytest.raises(SecretInAuditData, match=r"data\.nested\.deeper\[1\]\.credentials names a secret"):
        audit_mod.check_no_secrets({"nested": {"deeper": [{"ok": 1}, {"credentials": "hunter2"}]}})
    with pytest.raises(SecretInAuditData) as info:
        audit_mod.check_no_secrets({"reason": "rotated", "password": "hunter2"})
    assert "hunter2" not in str(info.value)


def test_secret_guard_allows_ordinary_fields(log_path: Path) -> None:
    data = {
        "address": 'aws_secretsmanager_secret.bot["a"]',
        "type": "aws_iam_access_key",
        "id": "AKIAEXAMPLE",
        "owner": "team-ml",
        "expires": "2026-12-01",
        "reason": "expired; the secret was rotated",
        "plan_sha256": "ab" * 32,
        "attempt": 2,
        "actions": ["delete"],
        "key_id": "k-1",
        "keys": ["owner", "expires"],
    }
    assert AuditLog(log_path).append(Event.REVOKE, run_id="r", data=data, at=T0).data == data | {"now": T0_TEXT}
