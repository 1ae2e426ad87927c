"""The retirement manifest: built from a selection, deterministic and secret-free JSON, read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from retire_estates import NOW, SECRET_MARK, aws_estate, inventory

from nhi_toolkit.config import Config
from nhi_toolkit.retire import (
    ROUTE_DECLARED,
    Criteria,
    build_manifest,
    load_manifest,
    manifest_json_text,
    render_summary,
)


def test_nothing_selected_when_nothing_expired() -> None:
    idents = inventory(aws_estate())
    manifest = build_manifest(idents, Criteria(datetime(2026, 1, 1, tzinfo=UTC)), Config())
    assert manifest.empty
    assert render_summary(manifest).endswith("Nothing to retire.\n")


def test_manifest_is_deterministic_and_secret_free(tmp_path: Path) -> None:
    texts = {manifest_json_text(build_manifest(inventory(aws_estate()), Criteria(NOW), Config()))
             for _ in range(3)}
    assert len(texts) == 1
    text = texts.pop()
    assert SECRET_MARK not in text
    doc = json.loads(text)
    assert doc["format"] == "nhi-retire-manifest/1"
    assert doc["now"] == "2026-12-01T00:00:00Z"
    bot = next(i for i in doc["identities"] if i["address"] == "aws_iam_user.bot")
    assert bot["owner"] == "alice@example.com"
    assert bot["expires"] == "2026-06-30"
    assert bot["expires_at"] == "2026-07-01T00:00:00Z"
    assert bot["reasons"] == [{"code": "expired", "text": "expired at 2026-07-01T00:00:00Z"}]
    assert [d["phase"] for d in bot["destroy"]] == ["credentials", "credentials", "permissions", "principals"]
    assert [s["step"] for s in doc["revocation_order"]] == list(range(1, 9))
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    loaded = load_manifest(str(path))
    assert loaded.addresses == tuple(s["address"] for s in doc["revocation_order"])
    assert manifest_json_text(loaded) == text
    assert render_summary(loaded) == render_summary(build_manifest(inventory(aws_estate()), Criteria(NOW), Config()))


def test_load_manifest_rejects_other_json(tmp_path: Path) -> None:
    from nhi_toolkit.errors import InputError

    p = tmp_path / "x.json"
    p.write_text('{"format": "something"}', encoding="utf-8")
    with pytest.raises(InputError):
        load_manifest(str(p))


def test_route_names_are_the_documented_ones() -> None:
    assert ROUTE_DECLARED == "declared-expiry"
