"""Plan verification: every way a plan differs from destroying exactly the manifest, each named."""

from __future__ import annotations

import pytest
from retire_estates import NOW, inventory, plan_doc, rc, role_with_profile

from nhi_toolkit.retire import render_refusal, verify_plan

A = 'terraform_data.agent["old"]'
K = 'terraform_data.agent_key["old"]'
FRESH_K = 'terraform_data.agent_key["fresh \\"one\\""]'


def test_exact_plan_verifies() -> None:
    plan = plan_doc([rc(K, "delete"), rc(A, "delete"), rc('terraform_data.agent["x"]', "no-op"),
                     {"address": "data.x.y", "mode": "data", "change": {"actions": ["read"]}}])
    assert verify_plan(plan, [K, A]) == []


def test_for_each_coupled_over_reach_is_named() -> None:
    prior = [{"address": FRESH_K, "depends_on": ["terraform_data.agent"]}]
    plan = plan_doc([rc(K, "delete"), rc(A, "delete"), rc(FRESH_K, "delete")], prior)
    problems = verify_plan(plan, [K, A])
    assert [(p.address, p.kind) for p in problems] == [(FRESH_K, "over-reach")]
    assert "per resource, not per instance" in problems[0].message
    report = render_refusal(problems)
    assert report.splitlines()[0] == "nhi retire: refused: 1 problem(s); nothing was destroyed"
    assert report.splitlines()[1].startswith(f"refused: {FRESH_K}: would be destroyed but is not in the manifest")


def test_dependent_of_retired_role_is_over_reach() -> None:
    prior = [{"address": "aws_lambda_function.f", "depends_on": ["aws_iam_role.r"]}]
    plan = plan_doc([rc("aws_iam_role.r", "delete"), rc("aws_lambda_function.f", "delete")], prior)
    (p,) = verify_plan(plan, ["aws_iam_role.r"])
    assert p.kind == "over-reach" and "depends on aws_iam_role.r, which is being retired" in p.message


@pytest.mark.parametrize(
    ("actions", "kind"),
    [(("create",), "create"), (("update",), "update"), (("delete", "create"), "replace"),
     (("create", "delete"), "replace"), (("forget",), "forget")],
)
def test_any_other_change_is_refused(actions: tuple[str, ...], kind: str) -> None:
    plan = plan_doc([rc(A, "delete"), rc("aws_iam_user.other", *actions)])
    assert [(p.address, p.kind) for p in verify_plan(plan, [A])] == [("aws_iam_user.other", kind)]


def test_undestroyed_manifest_entry_and_wrong_nhi_now() -> None:
    plan = plan_doc([rc(A, "delete")], nhi_now="2026-11-01T00:00:00Z")
    problems = verify_plan(plan, [K, A], nhi_now="2026-12-01T00:00:00Z")
    assert sorted((p.address, p.kind) for p in problems) == [(K, "not-destroyed"), ("var.nhi_now", "plan")]
    assert verify_plan(plan_doc([], ), []) == []
    assert [p.kind for p in verify_plan({"errored": True}, [])] == ["plan"]


def test_deposed_object_outside_manifest_is_refused() -> None:
    plan = plan_doc([rc(A, "delete"), rc("aws_iam_user.x", "delete", deposed="abcd1234")])
    (p,) = verify_plan(plan, [A])
    assert p.kind == "over-reach" and "deposed object abcd1234" in p.address


def test_live_identity_destroyed_by_a_plan_is_named_with_the_way_out() -> None:
    idents = inventory(role_with_profile({"owner": "bob@example.com", "expires_at": "2030-01-01"}))
    prior = [{"address": "aws_iam_instance_profile.p", "depends_on": ["aws_iam_role.runner"]}]
    plan = plan_doc([rc("aws_iam_role.runner", "delete"), rc("aws_iam_instance_profile.p", "delete")], prior)
    (p,) = verify_plan(plan, ["aws_iam_role.runner"], identities={i.address: i for i in idents}, now=NOW)
    assert p.kind == "over-reach"
    assert "a live identity with its own owner or expiry" in p.message and "retire it explicitly" in p.message
