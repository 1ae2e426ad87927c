"""The screen (nhi_toolkit.rules.screen): no check it stands for finds anything about a plain or a
settled identity, and skipping those checks changes no report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, FIXTURES, NOW
from rule_runs import GOOD, OWNER, resource, run, tagged

from nhi_toolkit import engine
from nhi_toolkit.config import Config, config_from_mapping, load_config
from nhi_toolkit.engine import check_paths
from nhi_toolkit.model import UNKNOWN, Identity, Resource
from nhi_toolkit.records import Report
from nhi_toolkit.rules import ALL_RULES, Context, rule_by_key
from nhi_toolkit.rules.screen import OTHER, PLAIN, SETTLED, screen


def _iso(days: float) -> str:
    instant: datetime = NOW + timedelta(days=days)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _resources() -> Iterator[Resource]:
    """Identities on and around every edge the screen tests: the window, the lifetime limit,
    expired, invalid, unknown, inherited, native expiries and lifetimes, platform-managed."""
    n = 0

    def role(tags: Any, **kw: Any) -> Resource:
        nonlocal n
        n += 1
        return tagged(tags, f"aws_iam_role.r{n}", **kw)

    for days in (-1, 0, 1e-5, 13.99, 14, 14 + 1e-5, 15, 89.99, 90, 90.01, 364, 365, 365 + 1e-5, 366, 4000):
        yield role({"owner": OWNER, "expires_at": _iso(days)})
    for expires in (GOOD, "2026-06-14", "2026-06-15", "2026-06-16", "not a date", "", "2026-02-30"):
        yield role({"owner": OWNER, "expires_at": expires})
    yield role({"expires_at": GOOD})
    yield role({"owner": OWNER})
    yield role({"owner": "", "expires_at": GOOD})
    yield role({"owner": OWNER, "expires_at": GOOD, "expiry": "2026-06-05"})
    yield role({"owner": OWNER, "expires_at": GOOD}, action="delete")
    yield role({"owner": OWNER, "expires_at": GOOD}, metadata={"unknown_instances": "for_each"})
    yield role(None)
    yield resource("aws_iam_service_linked_role.s", {"aws_service_name": "x.amazonaws.com", "tags": {}})
    yield resource("aws_iam_service_linked_role.t", {"aws_service_name": "x.amazonaws.com",
                                                    "tags": {"owner": OWNER, "expires_at": GOOD}})
    yield tagged({"owner": OWNER, "expires_at": GOOD}, "aws_iam_user.u")
    yield resource("aws_iam_access_key.k", {"user": "u"}, references=("aws_iam_user.u",))
    for n, end in enumerate((_iso(3), _iso(30), "2026-07-15T12:00:00Z", "2026-07-16T00:00:00Z", _iso(60))):
        yield resource(f"azuread_application_password.p{n}", {"end_date": end, "application_id": "a"})
    yield resource("vault_token.t", {"ttl": "768h", "policies": []})
    for n, seconds in enumerate((3600, 90 * 86400)):  # a lifetime from creation, owner and expiry declared
        yield resource(f"databricks_token.t{n}", {"lifetime_seconds": seconds, "expiry_time": UNKNOWN,
                                                  "creation_time": UNKNOWN})


#: Owner and expiry for the tokens and passwords above, which carry no tags.
CONFIG = {"declarations": [{"address": "databricks_token.*", "owner": OWNER, "expires_at": date(2026, 6, 20),
                            "reason": "declared for the screen's test"},
                           {"address": "azuread_application_password.*", "owner": OWNER,
                            "expires_at": date(2026, 7, 15), "reason": "declared for the screen's test"}]}


def _identities(report: Report) -> list[Identity]:
    return list(report.identities)


@pytest.mark.parametrize("leavers", [None, {OWNER: date(2026, 1, 1)}])
def test_no_check_the_screen_stands_for_finds_anything_on_a_settled_identity(leavers: Any) -> None:
    config = config_from_mapping(CONFIG)
    report = run(*_resources(), config=config, leavers=leavers)
    idents = _identities(report)
    ctx = Context.make(config, NOW, report_document(), idents, leavers)
    judge, quiet_plain, quiet_settled = screen(ctx)
    assert quiet_plain < quiet_settled
    checks = {level: [r for r in ALL_RULES if type(r).check in quiet]
              for level, quiet in ((PLAIN, quiet_plain), (SETTLED, quiet_settled))}
    assert {r.name for r in checks[SETTLED]} >= {"missing-owner", "expired", "expiring-soon", "expiry-too-far"}
    assert {r.name for r in checks[PLAIN]} >= {"missing-owner", "missing-expiry", "expiry-mismatch"}
    assert {"expired", "expiring-soon", "expiry-too-far"}.isdisjoint(r.name for r in checks[PLAIN])
    assert (rule_by_key("owner-offboarded") in checks[PLAIN]) is (leavers is None)
    levels = [judge(i) for i in idents]
    assert {OTHER, PLAIN, SETTLED} <= set(levels)
    assert any(i.native_lifetime is not None and i.owner == OWNER for i in idents)
    for ident, level in zip(idents, levels, strict=True):
        for rule in checks.get(level, []) + (checks[PLAIN] if level == SETTLED else []):
            assert list(rule.check(ident, ctx)) == [], (rule.name, ident.address, level)


def report_document() -> Any:
    from nhi_toolkit.loaders.common import Document
    from nhi_toolkit.model import InputKind

    return Document("t.json", InputKind.PLAN, ())


def _unscreened(ctx: Context) -> tuple[Any, frozenset[Any], frozenset[Any]]:
    return (lambda identity: OTHER), frozenset(), frozenset()


def _same(a: Report, b: Report) -> None:
    assert a.findings == b.findings
    assert a.statuses == b.statuses
    assert a.identities == b.identities


@pytest.mark.parametrize("config", [config_from_mapping(CONFIG),
                                    config_from_mapping({**CONFIG, "expiring_soon_days": 400})])
def test_skipping_the_screened_checks_changes_no_report(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = list(_resources())
    screened = run(*resources, config=config, leavers={"bob@example.com": None})
    monkeypatch.setattr(engine, "screen", _unscreened)
    _same(screened, run(*resources, config=config, leavers={"bob@example.com": None}))


CASES = sorted(p for p in (FIXTURES / "check").iterdir() if (p / "input").is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_reports_are_the_same_without_the_screen(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    inputs = [f"input/{p.name}" for p in sorted((case / "input").iterdir())]
    config = load_config("nhi.toml" if (case / "nhi.toml").is_file() else None, inputs, {})
    screened = check_paths(inputs, config, NOW, map_sources=True)
    monkeypatch.setattr(engine, "screen", _unscreened)
    _same(screened, check_paths(inputs, config, NOW, map_sources=True))


def test_corpus_reports_are_the_same_without_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(p for kind in ("plan", "state") for p in (CORPUS / kind).glob("*.json"))
    if not files:
        pytest.skip("no corpus")
    screened: list[Report | None] = []
    for path in files:
        try:
            screened.append(check_paths([str(path)], Config(), NOW))
        except Exception:  # noqa: BLE001 - inputs the loader refuses are not this test's business
            screened.append(None)
    monkeypatch.setattr(engine, "screen", _unscreened)
    for path, report in zip(files, screened, strict=True):
        if report is not None:
            _same(report, check_paths([str(path)], Config(), NOW))
