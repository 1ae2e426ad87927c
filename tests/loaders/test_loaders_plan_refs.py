"""The plan reader walks configuration expressions only of resources it keeps a record of."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import change, plan_doc

from nhi_toolkit.loaders import common
from nhi_toolkit.loaders import plan as plan_mod
from nhi_toolkit.loaders.plan import load_plan

TAGS = {"owner": "alice@example.com", "expires_at": "2999-01-01"}


def _config(*resources: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"root_module": {"resources": [
        {"address": addr, "mode": "managed", "type": addr.split(".")[0], "name": addr.split(".")[1],
         "provider_config_key": "aws", "expressions": expr} for addr, expr in resources]}}


def _doc() -> dict[str, Any]:
    key_ref = {"user": {"references": ["aws_iam_user.u.name", "aws_iam_user.u"]}}
    bucket_ref = {"bucket": {"references": ["aws_s3_bucket.other.id", "aws_s3_bucket.other"]}}
    return plan_doc(
        change("aws_iam_user.u", {"name": "u", "tags": TAGS, "tags_all": TAGS}),
        change("aws_iam_access_key.k", {"user": "u", "status": "Active"}),
        change("aws_s3_bucket_policy.p", {"bucket": "b"}),
        configuration=_config(("aws_iam_user.u", {}), ("aws_iam_access_key.k", key_ref),
                              *((f"aws_s3_bucket_policy.p{i}", bucket_ref) for i in range(50))),
    )


def _wanted(rtype: str) -> bool:
    return rtype.startswith("aws_iam_")


def test_only_kept_resources_have_their_expressions_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[Any] = []
    real = common.collect_references

    def counting(expressions: Any, into: set[str]) -> None:
        walked.append(expressions)
        real(expressions, into)

    monkeypatch.setattr(plan_mod, "collect_references", counting)
    doc = load_plan(_doc(), "plan.json", _wanted)
    assert [r.address for r in doc.resources] == ["aws_iam_user.u", "aws_iam_access_key.k"]
    assert len(walked) == 2 * 3  # expressions, for_each and count of the two kept resources
    key = next(r for r in doc.resources if r.type == "aws_iam_access_key")
    assert key.references == ("aws_iam_user.u",)


def test_every_type_wanted_reads_every_resource() -> None:
    doc = load_plan(_doc(), "plan.json", lambda _: True)
    assert len(doc.resources) == 3
    assert next(r for r in doc.resources if r.type == "aws_s3_bucket_policy").references == ()
