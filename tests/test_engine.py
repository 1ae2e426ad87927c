"""One identity, many inputs: a plan, a state and a configuration checked together give one row each.

Also the status word's precedence (table-driven) and the text table's rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, NOW_TEXT, Run, change, plan_doc, run_nhi, state_doc, state_resource, write_json

from nhi_toolkit.engine import STATUS_PRECEDENCE, identity_status
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Resource, Severity

OWNER = "alice@example.com"
TAGS = {"owner": OWNER, "expires_at": "2026-06-20"}

HCL = """\
variable "owner" {
  type = string
}

resource "aws_iam_role" "r" {
  name = "r"
  tags = {
    owner      = var.owner
    expires_at = "2026-06-20"
  }
}

resource "aws_iam_user" "kept" {
  name = "kept"
  tags = {
    expires_at = "2026-06-20"
  }
  lifecycle {
    prevent_destroy = true
  }
}
"""

#: The fields a source has beyond file and line when it was not mapped to a .tf block.
UNMAPPED = {"column": None, "module_call": None, "construct_path": None, "input": None}


def check(*paths: Path, fmt: str = "json") -> Run:
    run = run_nhi(["check", *paths, "--now", NOW_TEXT, "--format", fmt])
    assert run.stderr == ""
    return run


def rows(report: dict[str, Any], address: str) -> list[dict[str, Any]]:
    return [i for i in report["identities"] if i["address"] == address]


def findings(report: dict[str, Any], address: str) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["source"]["file"]) for f in report["findings"] if f["address"] == address)


@pytest.fixture
def hcl_dir(tmp_path: Path) -> Path:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text(HCL, encoding="utf-8")
    return d


# -- plan + state -----------------------------------------------------------------------------------

@pytest.fixture
def plan_and_state(tmp_path: Path) -> tuple[Path, Path]:
    plan = write_json(tmp_path / "plan.json", plan_doc(
        # The plan renews an expired user: after apply it is owned and in date.
        change("aws_iam_user.bot", {"name": "bot", "tags": TAGS, "tags_all": TAGS}, actions=["update"],
               before={"name": "bot", "tags": {"owner": "bob", "expires_at": "2026-01-01"}}),
        # ... and deletes an expired one.
        change("aws_iam_user.old", None, actions=["delete"],
               before={"name": "old", "tags": {"owner": "bob", "expires_at": "2026-01-01"}}),
    ))
    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "bot", {"name": "bot", "tags": {"owner": "bob", "expires_at": "2026-01-01"}}),
        state_resource("aws_iam_user", "old", {"name": "old", "tags": {"owner": "bob", "expires_at": "2026-01-01"}}),
    ))
    return plan, state


def test_plan_and_state_join_into_one_row_each(plan_and_state: tuple[Path, Path]) -> None:
    plan, state = plan_and_state
    run = check(plan, state)
    report = run.json()
    assert run.code == 0, report["findings"]
    assert [i["address"] for i in report["identities"]] == ["aws_iam_user.bot", "aws_iam_user.old"]
    bot, old = report["identities"]
    # The plan's after-values win over state: no 'expired' from the state's view.
    assert (bot["owner"], bot["expires_at"], bot["status"], bot["action"]) == (OWNER, "2026-06-20", "ok", "update")
    assert old["status"] == "deleting"
    assert report["findings"] == []
    assert bot["source"] == {"file": str(plan), "line": None, **UNMAPPED}
    assert bot["sources"] == [{"file": str(plan), "line": None, **UNMAPPED}, {"file": str(state), "line": None, **UNMAPPED}]
    assert report["summary"]["identities"] == 2


def test_source_is_the_first_input_in_argument_order(plan_and_state: tuple[Path, Path]) -> None:
    plan, state = plan_and_state
    report = check(state, plan).json()
    bot = rows(report, "aws_iam_user.bot")
    assert len(bot) == 1
    assert bot[0]["source"] == {"file": str(state), "line": None, **UNMAPPED}
    assert bot[0]["sources"] == [{"file": str(state), "line": None, **UNMAPPED}, {"file": str(plan), "line": None, **UNMAPPED}]
    # Which view wins does not depend on the order.
    assert (bot[0]["owner"], bot[0]["status"]) == (OWNER, "ok")


def test_state_value_does_not_fill_what_the_plan_changes(tmp_path: Path) -> None:
    # The update sets the expiry to a value known only after apply: the one in state is the old one.
    plan = write_json(tmp_path / "plan.json", plan_doc(change(
        "aws_iam_user.bot", {"name": "bot", "tags": {"owner": OWNER, "expires_at": None}},
        actions=["update"], after_unknown={"tags": {"expires_at": True}, "tags_all": True})))
    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "bot", {"name": "bot", "tags": {"owner": OWNER, "expires_at": "2026-01-01"}})))
    report = check(plan, state).json()
    (bot,) = report["identities"]
    assert bot["expires_at"] is None and bot["unknown"] == ["expires_at"] and bot["status"] == "unknown"
    assert [f["rule"] for f in report["findings"]] == ["unknown-until-apply"]


# -- plan + HCL -------------------------------------------------------------------------------------

@pytest.fixture
def plan_for_hcl(tmp_path: Path) -> Path:
    return write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": TAGS, "tags_all": TAGS}),
        change("aws_iam_user.kept", {"name": "kept", "tags": {"expires_at": "2026-06-20"},
                                     "tags_all": {"expires_at": "2026-06-20"}}),
    ))


def test_plan_and_hcl_join_and_the_known_value_wins(hcl_dir: Path, plan_for_hcl: Path) -> None:
    report = check(hcl_dir, plan_for_hcl).json()
    assert [i["address"] for i in report["identities"]] == ["aws_iam_role.r", "aws_iam_user.kept"]
    role, user = report["identities"]
    # HCL cannot resolve var.owner; the plan knows it: no crossed unknown-until-apply finding.
    assert (role["owner"], role["status"], role["unknown"]) == (OWNER, "ok", [])
    assert findings(report, "aws_iam_role.r") == []
    assert role["source"] == {"file": str(hcl_dir / "main.tf"), "line": 5, **UNMAPPED, "column": 1}
    assert role["sources"] == [{"file": str(hcl_dir / "main.tf"), "line": 5, **UNMAPPED, "column": 1},
                               {"file": str(plan_for_hcl), "line": None, **UNMAPPED}]
    assert role["action"] == "create"
    # prevent_destroy is only in the configuration; it survives the join. One finding per rule.
    assert user["status"] == "no-owner"
    assert [r for r, _ in findings(report, "aws_iam_user.kept")] == ["missing-owner", "missing-revocation-path"]


def test_both_inputs_missing_an_owner_give_one_finding(tmp_path: Path) -> None:
    tf = tmp_path / "infra"
    tf.mkdir()
    (tf / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n', encoding="utf-8")
    plan = write_json(tmp_path / "plan.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags_all": {}})))
    run = check(plan, tf)
    report = run.json()
    assert run.code == 1
    assert len(report["identities"]) == 1
    assert [f["rule"] for f in report["findings"]] == ["missing-owner", "missing-expiry"]
    assert {f["source"]["file"] for f in report["findings"]} == {str(plan)}


def test_plan_unknown_hcl_known_is_judged_on_the_known(tmp_path: Path) -> None:
    tf = tmp_path / "infra"
    tf.mkdir()
    (tf / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = {\n    owner = "x@example.com"\n'
        '    expires_at = "2026-01-01"\n  }\n}\n', encoding="utf-8")
    plan = write_json(tmp_path / "plan.json", plan_doc(change(
        "aws_iam_user.u", {"name": "u", "tags": None}, after_unknown={"tags": True, "tags_all": True})))
    report = check(plan, tf).json()
    (ident,) = report["identities"]
    assert (ident["owner"], ident["status"]) == ("x@example.com", "expired")
    assert [f["rule"] for f in report["findings"]] == ["expired"]
    # Where each value came from is said by the input it was taken from, not the plan's view.
    assert (ident["owner_source"], ident["expiry_source"]) == ("tag", "tag")


def test_joined_declaration_travels_with_the_value_it_gave(tmp_path: Path) -> None:
    # The plan knows the tags only after apply; the configuration has no expiry tag, so a declaration
    # gives it there. The joined row takes that expiry, and says it came from the declaration.
    tf = tmp_path / "infra"
    tf.mkdir()
    (tf / "main.tf").write_text(
        'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = {\n    owner = "x@example.com"\n  }\n}\n',
        encoding="utf-8")
    config = tmp_path / "nhi.toml"
    config.write_text('[[tool.nhi.declarations]]\naddress = "aws_iam_user.u"\nowner = "y@example.com"\n'
                      'expires_at = 2027-01-01\nreason = "pilot user, retired with the pilot (SEC-12)"\n', encoding="utf-8")
    plan = write_json(tmp_path / "plan.json", plan_doc(change(
        "aws_iam_user.u", {"name": "u", "tags": None}, after_unknown={"tags": True, "tags_all": True})))
    report = run_nhi(["check", plan, tf, "--now", NOW_TEXT, "--format", "json", "--config", str(config)]).json()
    (ident,) = report["identities"]
    assert (ident["owner"], ident["owner_source"]) == ("x@example.com", "tag")
    assert (ident["expires_at"], ident["expiry_source"]) == ("2027-01-01", "declaration")
    assert ident["declaration"]["address_pattern"] == "aws_iam_user.u"


# -- state + HCL ------------------------------------------------------------------------------------

def test_state_and_hcl_join_and_keep_declared_vs_state_drift(tmp_path: Path, hcl_dir: Path) -> None:
    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "kept", {"name": "kept", "tags": TAGS}),
        state_resource("aws_iam_user", "orphan", {"name": "orphan", "tags": TAGS}),
    ))
    run = check(hcl_dir, state)
    report = run.json()
    assert [i["address"] for i in report["identities"]] == ["aws_iam_role.r", "aws_iam_user.kept",
                                                            "aws_iam_user.orphan"]
    kept = rows(report, "aws_iam_user.kept")[0]
    # State's view (it has the owner tag) wins over the declared one; prevent_destroy still counts.
    assert kept["owner"] == OWNER
    assert kept["status"] == "error"
    assert [r for r, _ in findings(report, "aws_iam_user.kept")] == ["missing-revocation-path"]
    assert len(kept["sources"]) == 2
    drift = {(f["address"], f["severity"]) for f in report["findings"] if f["rule"] == "drift"}
    assert drift == {("aws_iam_user.orphan", "error"), ("aws_iam_role.r", "info")}
    assert rows(report, "aws_iam_user.orphan")[0]["status"] == "error"


def test_declared_vs_state_drift_is_the_drift_rules_judged_once_with_every_document(
        tmp_path: Path, hcl_dir: Path) -> None:
    from nhi_toolkit.config import config_from_mapping
    from nhi_toolkit.loaders import load_inputs
    from nhi_toolkit.rules.base import Context
    from nhi_toolkit.rules.retirement import Drift

    states = [write_json(tmp_path / f"{n}.tfstate", state_doc(
        state_resource("aws_iam_user", "kept", {"name": "kept", "tags": TAGS}),
        state_resource("aws_iam_user", n, {"name": n, "tags": TAGS}))) for n in ("first", "second")]
    docs = load_inputs([str(hcl_dir), *map(str, states)])
    config = config_from_mapping({})
    judged = [sorted(f.address for f in Drift().check_all(Context.make(config, NOW, doc, [], None, docs)))
              for doc in docs]
    # Only the first state's context reports it, for every state: one finding per drifted address.
    assert judged == [[], ["aws_iam_role.r", "aws_iam_user.first", "aws_iam_user.second"], []]
    # Without the other documents in its context the rule sees no declared-vs-state drift.
    assert list(Drift().check_all(Context.make(config, NOW, docs[1], [], None))) == []


def test_declared_vs_state_drift_takes_severity_overrides_and_waivers(tmp_path: Path, hcl_dir: Path) -> None:
    from nhi_toolkit.config import config_from_mapping
    from nhi_toolkit.engine import check_paths

    state = write_json(tmp_path / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "kept", {"name": "kept", "tags": TAGS}),
        state_resource("aws_iam_user", "orphan", {"name": "orphan", "tags": TAGS}),
    ))
    config = config_from_mapping({"severity": {"drift": "warning"}, "suppress": [
        {"rule": "drift", "address": "aws_iam_role.r", "reason": "applied by the next pipeline run",
         "until": "2026-07-01"}]})
    report = check_paths([str(hcl_dir), str(state)], config, NOW)
    drift = {(f.address, f.severity.label, f.suppressed is not None) for f in report.findings if f.rule == "drift"}
    assert drift == {("aws_iam_user.orphan", "warning", False), ("aws_iam_role.r", "warning", True)}
    assert "suppression-stale" not in {f.rule for f in report.findings}
    assert "drift" not in {f.rule for f in check_paths([str(hcl_dir), str(state)],
                                                       config_from_mapping({"disable": ["drift"]}), NOW).findings}


# -- inputs of one kind are not joined --------------------------------------------------------------

def test_two_plans_keep_a_row_each(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags": TAGS,
                                                                            "tags_all": TAGS})))
    b = write_json(tmp_path / "b.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags_all": {}})))
    report = check(a, b).json()
    us = rows(report, "aws_iam_user.u")
    assert [(u["source"]["file"], u["status"]) for u in us] == [(str(a), "ok"), (str(b), "no-owner")]
    assert all(len(u["sources"]) == 1 for u in us)
    assert {f["source"]["file"] for f in report["findings"]} == {str(b)}


# -- text table -------------------------------------------------------------------------------------

def test_text_table_has_one_row_per_identity_and_every_finding(hcl_dir: Path, plan_for_hcl: Path) -> None:
    out = check(plan_for_hcl, hcl_dir, fmt="text").stdout
    table = out.split("\n\n", 1)[0].splitlines()
    assert table[0].split() == ["IDENTITY", "OWNER", "EXPIRES", "STATUS", "FINDING"]
    assert [line.split()[0] for line in table[1:] if not line.startswith(" ")] == \
        ["aws_iam_role.r", "aws_iam_user.kept"]
    kept = table.index(next(line for line in table if line.startswith("aws_iam_user.kept")))
    assert table[kept].split()[-3:] == ["no-owner", "error:", "missing-owner"]
    assert table[kept + 1].split() == ["error:", "missing-revocation-path"]
    assert kept + 2 == len(table)


def test_text_table_for_two_rows_of_one_address_shows_each_its_findings(tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags": TAGS,
                                                                            "tags_all": TAGS})))
    b = write_json(tmp_path / "b.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags_all": {}})))
    table = check(a, b, fmt="text").stdout.split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split() for line in table] == [
        ["aws_iam_user.u", OWNER, "2026-06-20", "ok"],
        ["aws_iam_user.u", "-", "-", "no-owner", "error:", "missing-owner"],
        ["error:", "missing-expiry"]]


# -- status precedence ------------------------------------------------------------------------------

def _identity(*, action: str | None = "create", owner: Any = OWNER, expires: Any = "2026-12-31",
              error: str | None = None) -> Identity:
    from nhi_toolkit.expiry import expiry_instant

    at = expiry_instant(expires) if isinstance(expires, str) and error is None else None
    res = Resource(address="aws_iam_user.u", type="aws_iam_user", name="u", source=Location("p.json"),
                   kind=InputKind.PLAN, action=action)
    return Identity(resource=res, category="principal", owner=owner, expires=expires, expires_at=at,
                    expiry_error=error)


def _finding(rule_id: str, severity: Severity, suppressed: str | None = None) -> Finding:
    return Finding(address="aws_iam_user.u", rule_id=rule_id, rule=rule_id.lower(), severity=severity,
                   message="m", source=Location("p.json"), suppressed=suppressed)


ERR = _finding("NHI010", Severity.ERROR)
WARN = _finding("NHI006", Severity.WARNING)
INFO = _finding("NHI007", Severity.INFO)
SOON = _finding("NHI005", Severity.WARNING)


@pytest.mark.parametrize("kwargs, found, expected", [
    ({"action": "forget", "owner": None}, [ERR], "forgotten"),
    ({"action": "delete", "expires": "2026-01-01"}, [], "deleting"),
    ({"expires": "2026-02-30", "error": "is not a real date", "owner": None}, [ERR], "invalid-expiry"),
    ({"expires": "2026-01-01", "owner": None}, [ERR], "expired"),
    ({"owner": None, "expires": None}, [ERR], "no-owner"),
    ({"expires": None, "owner": UNKNOWN}, [], "no-expiry"),
    ({}, [ERR, WARN], "error"),
    ({"expires": "2026-06-05"}, [ERR], "error"),
    ({"expires": "2026-06-05"}, [SOON, WARN], "expiring-soon"),
    ({"expires": "2026-06-05"}, [_finding("NHI005", Severity.ERROR)], "expiring-soon"),  # severity override
    ({"owner": UNKNOWN}, [WARN, INFO], "warning"),
    ({"owner": UNKNOWN}, [INFO], "unknown"),
    ({"expires": UNKNOWN}, [_finding("NHI010", Severity.ERROR, suppressed="waived until the vendor fixes it")],
     "unknown"),
    ({}, [INFO], "ok"),
    ({}, [], "ok"),
])
def test_status_precedence(kwargs: dict[str, Any], found: list[Finding], expected: str) -> None:
    assert identity_status(_identity(**kwargs), NOW, 14, found) == expected


def test_status_precedence_list_is_complete() -> None:
    assert STATUS_PRECEDENCE == ("forgotten", "deleting", "invalid-expiry", "expired", "platform-managed",
                                 "no-owner", "no-expiry", "error", "expiring-soon", "warning", "unknown", "ok")


@pytest.mark.parametrize("word", ["ok", "unknown"])
def test_status_is_never_ok_or_unknown_with_an_active_error(word: str) -> None:
    owner = OWNER if word == "ok" else UNKNOWN
    assert identity_status(_identity(owner=owner), NOW, 14, []) == word
    for rule_id in ("NHI000", "NHI010", "NHI011", "NHI012", "NHI013", "NHI007"):
        assert identity_status(_identity(owner=owner), NOW, 14,
                               [_finding(rule_id, Severity.ERROR)]) not in ("ok", "unknown")


def test_a_deposed_object_s_findings_are_on_its_own_row() -> None:
    from nhi_toolkit.config import Config
    from nhi_toolkit.engine import check_documents
    from nhi_toolkit.loaders.state import load_show_state

    def user(tags: Any, deposed: str | None = None) -> dict[str, Any]:
        res = {"address": "aws_iam_user.bot", "mode": "managed", "type": "aws_iam_user", "name": "bot",
               "provider_name": "registry.terraform.io/hashicorp/aws", "values": {"name": "bot", "tags": tags},
               "sensitive_values": {}}
        return {**res, "deposed_key": deposed} if deposed else res

    owned = {"owner": "ana@example.com", "expires_at": "2027-03-01"}
    doc = load_show_state({"format_version": "1.0", "values": {"root_module": {
        "resources": [user(owned), user(None, "00000001")]}}}, "show.json", lambda t: True)
    report = check_documents([doc], Config(), NOW)
    rows = {i.resource.metadata.get("deposed", ""): i for i in report.identities}
    assert report.findings_of(rows[""]) == ()
    assert report.status_of(rows[""]) == "ok"
    assert {f.rule for f in report.findings_of(rows["00000001"])} == {"missing-owner", "missing-expiry"}
