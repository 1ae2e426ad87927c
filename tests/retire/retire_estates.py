"""Estates shared by the retire tests: ``terraform show -json`` state resources, an inventory built
from them, and plan documents for verification."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nhi_toolkit.config import Config
from nhi_toolkit.inventory import build_inventory
from nhi_toolkit.loaders.state import load_show_state
from nhi_toolkit.model import Identity

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SECRET_MARK = "AKIA-DO-NOT-LEAK-0123456789"


def res(address: str, values: dict[str, Any], depends_on: tuple[str, ...] = ()) -> dict[str, Any]:
    """One resource in ``terraform show -json`` state form."""
    head, _, key = address.partition("[")
    rtype, name = head.split(".")
    out: dict[str, Any] = {"address": address, "mode": "managed", "type": rtype, "name": name,
                           "provider_name": "registry.terraform.io/hashicorp/aws", "values": values,
                           "sensitive_values": {}}
    if key:
        out["index"] = json.loads(key[:-1])
    if depends_on:
        out["depends_on"] = list(depends_on)
    return out


def inventory(resources: list[dict[str, Any]], config: Config | None = None) -> list[Identity]:
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
    return build_inventory(load_show_state(doc, "state.json", lambda _t: True), config or Config())


def aws_estate() -> list[dict[str, Any]]:
    """An expired IAM user with a key, a login profile and a policy; a fresh user with a key; an
    expired role with an attachment; an expired secret with a version."""
    tags_old = {"owner": "alice@example.com", "expires_at": "2026-06-30", "integration": "support"}
    tags_new = {"owner": "carol@example.com", "expires_at": "2027-06-30"}
    return [
        res("aws_iam_user.bot", {"name": "bot", "tags": tags_old}),
        res("aws_iam_access_key.bot", {"user": "bot", "id": "AKIAOLD", "secret": SECRET_MARK},
            ("aws_iam_user.bot",)),
        res("aws_iam_user_login_profile.bot", {"user": "bot", "password": SECRET_MARK},
            ("aws_iam_user.bot",)),
        res("aws_iam_user_policy_attachment.bot", {"user": "bot", "policy_arn": "arn:aws:iam::aws:policy/x"},
            ("aws_iam_user.bot",)),
        res("aws_iam_user.fresh", {"name": "fresh", "tags": tags_new}),
        res("aws_iam_access_key.fresh", {"user": "fresh", "id": "AKIANEW"}, ("aws_iam_user.fresh",)),
        res("aws_iam_role.runner", {"name": "runner", "max_session_duration": 7200,
                                    "tags": {"owner": "bob@example.com", "expires_at": "2026-11-30T23:59:59Z"}}),
        res("aws_iam_role_policy_attachment.runner", {"role": "runner", "policy_arn": "arn:x"},
            ("aws_iam_role.runner",)),
        res("aws_secretsmanager_secret.openai", {"name": "openai", "arn": "arn:secret:openai",
                                                 "recovery_window_in_days": 7,
                                                 "tags": {"owner": "dave@example.com", "expires_at": "2026-10-01"}}),
        res("aws_secretsmanager_secret_version.openai", {"secret_id": "arn:secret:openai",
                                                         "secret_string": SECRET_MARK},
            ("aws_secretsmanager_secret.openai",)),
    ]


ROLE_OLD = {"owner": "alice@example.com", "expires_at": "2026-06-30"}


def role_with_profile(profile_tags: dict[str, str] | None) -> list[dict[str, Any]]:
    values: dict[str, Any] = {"name": "p", "role": "runner"}
    if profile_tags is not None:
        values["tags"] = profile_tags
    return [
        res("aws_iam_role.runner", {"name": "runner", "tags": ROLE_OLD}),
        res("aws_iam_instance_profile.p", values, ("aws_iam_role.runner",)),
    ]


def rc(address: str, *actions: str, **extra: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "change": {"actions": list(actions)}, **extra}


def plan_doc(changes: list[dict[str, Any]], prior: list[dict[str, Any]] = (), nhi_now: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"resource_changes": changes,
                           "prior_state": {"values": {"root_module": {"resources": list(prior)}}}}
    if nhi_now is not None:
        doc["variables"] = {"nhi_now": {"value": nhi_now}}
    return doc


def write_state(tmp_path: Path) -> Path:
    doc = {"format_version": "1.0", "values": {"root_module": {"resources": aws_estate()}}}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
