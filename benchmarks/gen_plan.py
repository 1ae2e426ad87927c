"""Generate a plan JSON with N AI integrations: user, access key, role, attachment, secret, version.

    python benchmarks/gen_plan.py 1000 > /tmp/plan-1000.json   # 6,000 resources

The shape follows ``terraform show -json``: resource_changes with after/after_unknown/after_sensitive,
planned_values, prior_state-less create plan, and a configuration whose expressions carry references.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _change(address: str, rtype: str, name: str, key: str, after: dict[str, Any],
            sensitive: dict[str, Any] | None = None, unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "index": key,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": after,
            "after_unknown": unknown or {"id": True, "arn": True, "tags_all": {}},
            "before_sensitive": False,
            "after_sensitive": sensitive or {"tags": {}, "tags_all": {}},
        },
    }


def plan(n: int) -> dict[str, Any]:
    """A create plan for ``n`` integrations (6 resources each)."""
    changes: list[dict[str, Any]] = []
    for i in range(n):
        k = f"agent-{i:05d}"
        tags = {"owner": f"owner{i % 97}@example.com", "expires_at": f"2027-0{1 + i % 9}-15",
                "purpose": "benchmark integration", "integration": k}
        q = json.dumps(k)
        changes.append(_change(f"aws_iam_user.agent[{q}]", "aws_iam_user", "agent", k,
                               {"name": k, "path": "/ai/", "force_destroy": False, "tags": tags,
                                "tags_all": tags, "permissions_boundary": None}))
        changes.append(_change(f"aws_iam_access_key.agent[{q}]", "aws_iam_access_key", "agent", k,
                               {"user": k, "status": "Active", "pgp_key": None},
                               sensitive={"secret": True, "ses_smtp_password_v4": True},
                               unknown={"id": True, "secret": True, "ses_smtp_password_v4": True,
                                        "create_date": True, "encrypted_secret": True}))
        changes.append(_change(f"aws_iam_role.agent[{q}]", "aws_iam_role", "agent", k,
                               {"name": f"{k}-role", "assume_role_policy": json.dumps({
                                   "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                                       "Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
                                "max_session_duration": 3600, "tags": tags, "tags_all": tags}))
        changes.append(_change(f"aws_iam_role_policy_attachment.agent[{q}]", "aws_iam_role_policy_attachment",
                               "agent", k, {"role": f"{k}-role",
                                            "policy_arn": "arn:aws:iam::aws:policy/AmazonBedrockReadOnly"}))
        changes.append(_change(f"aws_secretsmanager_secret.agent[{q}]", "aws_secretsmanager_secret", "agent",
                               k, {"name": f"ai/{k}/model-key", "recovery_window_in_days": 7, "tags": tags,
                                   "tags_all": tags, "kms_key_id": None}))
        changes.append(_change(f"aws_secretsmanager_secret_version.agent[{q}]",
                               "aws_secretsmanager_secret_version", "agent", k, {"version_stages": ["AWSCURRENT"]},
                               sensitive={"secret_string": True},
                               unknown={"id": True, "arn": True, "secret_id": True, "version_id": True}))
    refs = {
        "aws_iam_access_key": {"user": {"references": ["aws_iam_user.agent[each.key].name", "aws_iam_user.agent",
                                                        "each.key"]}},
        "aws_iam_role_policy_attachment": {"role": {"references": ["aws_iam_role.agent[each.key].name",
                                                                    "aws_iam_role.agent", "each.key"]}},
        "aws_secretsmanager_secret_version": {"secret_id": {"references": [
            "aws_secretsmanager_secret.agent[each.key].id", "aws_secretsmanager_secret.agent", "each.key"]}},
    }
    config_resources = [
        {"address": f"{t}.agent", "mode": "managed", "type": t, "name": "agent", "provider_config_key": "aws",
         "expressions": refs.get(t, {}), "for_each_expression": {"references": ["local.agents"]}}
        for t in ("aws_iam_user", "aws_iam_access_key", "aws_iam_role", "aws_iam_role_policy_attachment",
                  "aws_secretsmanager_secret", "aws_secretsmanager_secret_version")
    ]
    planned = [{"address": c["address"], "mode": "managed", "type": c["type"], "name": c["name"],
                "index": c["index"], "provider_name": c["provider_name"], "schema_version": 0,
                "values": c["change"]["after"], "sensitive_values": c["change"]["after_sensitive"]}
               for c in changes]
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                          "root_module": {"resources": config_resources}},
        "timestamp": "2026-11-22T00:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    json.dump(plan(n), sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
