"""The CI formats (sarif, junit, markdown, github, gitlab), several reports per run, nhi owners,
nhi explain and docs/rules.md.

Reports are built in memory where a shape is needed (25,000+ results, hostile text) and through the
command where the wiring matters. Markdown golden files live in tests/fixtures/reporters/; rewrite
them after a reviewed change with ``NHI_UPDATE_GOLDEN=1 pytest tests/reporters/test_reporters.py``.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, NOW, REPO

from nhi_toolkit.cli import main
from nhi_toolkit.engine import Report, _ident_key
from nhi_toolkit.model import UNKNOWN, Finding, Identity, InputKind, Location, Resource, Severity
from nhi_toolkit.reporters import REPORTERS, RenderOptions, render, sarif
from nhi_toolkit.reporters import github as gh
from nhi_toolkit.reporters import markdown as md
from nhi_toolkit.rules.docs import render_rules_doc
from nhi_toolkit.rules.guide import documented_rules

GOLDEN = FIXTURES / "reporters"
HCL_CASE = FIXTURES / "check" / "hcl-default-tags-revocation" / "input"
CHECK_NOW = "2026-12-01"
HOSTILE = "50% off\r\n::error::pwned, a:b <script>x</script> | **bold** @alice `tick` \x1b[31m\x07 [l](u)"


# -- building reports in memory ---------------------------------------------------------------

def _ident(address: str, owner: Any = "alice@example.com", expires: Any = "2026-07-01",
           file: str = "infra/main.tf", line: int | None = 3) -> Identity:
    rtype, name = address.split(".")[-2:]
    res = Resource(address=address, type=rtype, name=name, source=Location(file, line), kind=InputKind.HCL)
    expires_at = datetime.fromisoformat(expires).replace(tzinfo=UTC) if isinstance(expires, str) else None
    return Identity(resource=res, category="principal", owner=owner, expires=expires, expires_at=expires_at)


def _finding(address: str, rule_id: str = "NHI004", rule: str = "expired", severity: Severity = Severity.ERROR,
             message: str | None = None, file: str = "infra/main.tf", line: int | None = 3,
             suppressed: str | None = None) -> Finding:
    return Finding(address=address, rule_id=rule_id, rule=rule, severity=severity,
                   message=message or f"{address} expired at 2026-05-02T00:00:00Z", source=Location(file, line),
                   suppressed=suppressed, suppressed_until="2027-01-31" if suppressed else None)


def _report(identities: list[Identity], findings: list[Finding], statuses: dict[str, str] | None = None) -> Report:
    keys = {_ident_key(i): (statuses or {}).get(i.address, "ok") for i in identities}
    return Report(now=NOW, inputs=("infra",), identities=tuple(sorted(identities, key=lambda i: i.address)),
                  findings=tuple(sorted(findings, key=Finding.sort_key)), statuses=keys, fail_on="error")


def _small() -> Report:
    idents = [
        _ident("aws_iam_user.bot"),
        _ident("aws_iam_role.agent", owner=None, line=10),
        _ident("aws_iam_role.future", owner=UNKNOWN, expires=UNKNOWN, line=20),
        _ident("aws_iam_access_key.hostile", owner=HOSTILE, file="infra/keys.tf", line=7),
    ]
    findings = [
        _finding("aws_iam_user.bot"),
        _finding("aws_iam_role.agent", "NHI001", "missing-owner", message="aws_iam_role.agent has no owner",
                 line=10),
        _finding("aws_iam_role.future", "NHI007", "unknown-until-apply", Severity.INFO,
                 message="aws_iam_role.future owner is not known until apply", line=20),
        _finding("aws_iam_access_key.hostile", "NHI005", "expiring-soon", Severity.WARNING, message=HOSTILE,
                 file="infra/keys.tf", line=7),
        _finding("aws_iam_access_key.hostile", "NHI004", "expired", file="infra/keys.tf", line=7,
                 suppressed="vendor rotates by hand; ticket SEC-981"),
    ]
    return _report(idents, findings, {"aws_iam_user.bot": "expired", "aws_iam_role.agent": "no-owner",
                                      "aws_iam_role.future": "unknown"})


def _many(n_idents: int, per_ident: int = 1) -> Report:
    idents = [_ident(f"aws_iam_user.u{n:05d}", line=n + 1) for n in range(n_idents)]
    findings = [_finding(i.address, message=f"{i.address} expired at 2026-05-02T00:00:00Z (#{k})",
                         line=i.source.line) for i in idents for k in range(per_ident)]
    return _report(idents, findings, {i.address: "expired" for i in idents})


# -- SARIF ------------------------------------------------------------------------------------

def _validate(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.Draft4Validator(schema).validate(doc)


def test_sarif_is_valid_and_round_trips(sarif_schema: dict[str, Any]) -> None:
    options = RenderOptions(root=os.getcwd())
    text = render("sarif", _small(), options)
    doc = json.loads(text)
    _validate(doc, sarif_schema)
    assert doc == sarif.to_sarif(_small(), options)
    assert json.dumps(doc, indent=2, sort_keys=True) + "\n" == text
    assert text == render("sarif", _small(), options)  # deterministic
    (run,) = doc["runs"]
    results = run["results"]
    assert len(results) == 5
    assert [r["level"] for r in results] == ["error", "error", "error", "warning", "note"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"][0]["justification"].startswith("vendor rotates by hand")
    for r in results:
        loc = r["locations"][0]
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
        assert loc["logicalLocations"][0]["fullyQualifiedName"] == r["locations"][0]["logicalLocations"][0][
            "fullyQualifiedName"]
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    assert "\x1b" not in text and "\\u001b" not in text


def test_sarif_rule_descriptors_are_complete() -> None:
    doc = sarif.to_sarif(_small(), RenderOptions())
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in documented_rules()]
    for r in rules:
        assert r["name"] and r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["help"]["markdown"]
        assert r["helpUri"].startswith("https://") and r["helpUri"].endswith(f"#{r['id'].lower()}-"
                                                                              f"{r['properties']['nhi-rule']}")
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert float(r["properties"]["security-severity"]) > 0
        assert "security" in r["properties"]["tags"]


def test_sarif_fingerprints_follow_the_identity_not_the_line() -> None:
    def fp(line: int, file: str = "infra/main.tf", address: str = "aws_iam_user.bot") -> str:
        report = _report([_ident(address, file=file, line=line)], [_finding(address, file=file, line=line)])
        (result,) = sarif.to_sarif(report, RenderOptions(root=os.getcwd()))["runs"][0]["results"]
        return str(result["partialFingerprints"][sarif.FINGERPRINT_KEY])

    assert fp(3) == fp(40)
    assert fp(3) != fp(3, file="infra/other.tf")
    assert fp(3) != fp(3, address="aws_iam_user.other")


def test_sarif_uris_relative_inside_the_root_absolute_outside(tmp_path: Path,
                                                             sarif_schema: dict[str, Any]) -> None:
    inside = tmp_path / "repo" / "infra" / "main tf.tf"
    outside = tmp_path / "elsewhere" / "plan.json"
    report = _report([_ident("aws_iam_user.a", file=str(inside)), _ident("aws_iam_user.b", file=str(outside))],
                     [_finding("aws_iam_user.a", file=str(inside)), _finding("aws_iam_user.b", file=str(outside))])
    doc = sarif.to_sarif(report, RenderOptions(root=str(tmp_path / "repo")))
    _validate(doc, sarif_schema)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == (tmp_path / "repo").as_uri() + "/"
    by_addr = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]:
               r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]}
    assert by_addr["aws_iam_user.a"] == {"uri": "infra/main%20tf.tf", "uriBaseId": "SRCROOT"}
    assert by_addr["aws_iam_user.b"] == {"uri": outside.as_uri()}


def test_sarif_is_cut_at_the_github_limit_and_says_so(sarif_schema: dict[str, Any]) -> None:
    report = _many(sarif.MAX_RESULTS + 5)
    extra = _finding("aws_zzz.last", "NHI005", "expiring-soon", Severity.WARNING)
    report = _report(list(report.identities), [*report.findings, extra])
    doc = sarif.to_sarif(report, RenderOptions(root=os.getcwd()))
    run = doc["runs"][0]
    assert len(run["results"]) == sarif.MAX_RESULTS
    assert run["properties"]["truncated"] is True and run["properties"]["totalResults"] == sarif.MAX_RESULTS + 6
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "25,000" in note and "25,006" in note
    assert all(r["level"] == "error" for r in run["results"])  # the most severe are kept
    _validate({**doc, "runs": [{**run, "results": run["results"][:50]}]}, sarif_schema)


def test_sarif_of_a_real_check_validates(sarif_schema: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    result = CliRunner().invoke(main, ["check", str(HCL_CASE), "--now", CHECK_NOW, "-f", "sarif", "-o", str(out),
                                       "--sarif-root", str(HCL_CASE)])
    assert result.exit_code == 1, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    _validate(doc, sarif_schema)
    results = doc["runs"][0]["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["artifactLocation"] ==
                           {"uri": "hcl/main.tf", "uriBaseId": "SRCROOT"} for r in results)
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results} >= {22, 26}


# -- JUnit ------------------------------------------------------------------------------------

def test_junit_parses_and_counts() -> None:
    report = _small()
    rule_ids = ("NHI000", "NHI001", "NHI004", "NHI005", "NHI007")
    text = render("junit", report, RenderOptions(rule_ids=rule_ids))
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["NHI000 rule-error", "NHI001 missing-owner", "NHI004 expired",
                                               "NHI005 expiring-soon", "NHI007 unknown-until-apply"]
    cases = root.iter("testcase")
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 + 4 * 4  # one "every rule completed" case, then identities x rules
    assert all(c.get("name") and c.get("classname") and c.get("time") == "0" for c in cases)
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(failures) == 4 and len(skipped) == 1
    assert "vendor rotates by hand" in (skipped[0].find("skipped").get("message") or "")  # type: ignore[union-attr]
    assert root.get("tests") == str(len(cases)) and root.get("failures") == "4" and root.get("skipped") == "1"
    for s in suites:
        own = s.findall("testcase")
        assert s.get("tests") == str(len(own))
        assert s.get("failures") == str(sum(c.find("failure") is not None for c in own))
    assert "\x1b" not in text and "\x07" not in text


def test_junit_keeps_findings_without_an_identity() -> None:
    orphan = _finding("aws_iam_user.orphan", "NHI011", "drift", file="terraform.tfstate", line=None)
    crash = Finding(address="", rule_id="NHI000", rule="rule-error", severity=Severity.ERROR,
                    message="rule drift failed on x: KeyError", source=Location("plan.json"))
    root = ET.fromstring(render("junit", _report([], [orphan, crash]), RenderOptions(rule_ids=("NHI000", "NHI011"))))
    names = {(c.get("classname"), c.get("name")) for c in root.iter("testcase")}
    assert names == {("nhi.NHI011.drift", "aws_iam_user.orphan"), ("nhi.NHI000.rule-error", "plan.json")}
    assert root.get("failures") == "2"


# -- Markdown ---------------------------------------------------------------------------------

def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NHI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path} differs (NHI_UPDATE_GOLDEN=1 rewrites it)"


def test_markdown_small_golden() -> None:
    text = render("markdown", _small(), RenderOptions(root=os.getcwd()))
    _golden("small.md", text)
    assert text.splitlines()[0] == md.MARKER
    assert text.splitlines()[1].startswith("❌ **nhi check failed**: 2 errors, 1 warning, 1 info, 1 suppressed")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "@alice" not in text and "\x1b" not in text and "\r" not in text
    assert "\\*\\*bold\\*\\*" in text and "a\\|b" not in text and "\\| \\*\\*bold" in text


def test_markdown_collapses_past_50_rows() -> None:
    text = render("markdown", _many(60), RenderOptions(root=os.getcwd()))
    _golden("collapsed.md", text)
    assert text.count("<details>") == 2 and text.count("</details>") == 2
    assert "<summary>10 more identities</summary>" in text and "<summary>10 more findings</summary>" in text


def test_markdown_never_exceeds_the_comment_limit() -> None:
    report = _many(2000, per_ident=2)
    text = render("markdown", report, RenderOptions(root=os.getcwd()))
    _golden("truncated.md", text)
    assert len(text) <= md.MAX_CHARS
    assert text.count("<details>") == text.count("</details>")
    m = re.search(r"\*\*Truncated:\*\* ([\d,]+) identity rows and ([\d,]+) finding rows not shown", text)
    assert m, text[-500:]
    shown_idents = sum(1 for line in text.splitlines() if line.startswith(("| aws_iam_user",
                                                                                     "| aws\\_iam\\_user")))
    shown_findings = text.count("](https://")
    assert shown_idents + int(m.group(1).replace(",", "")) == 2000
    assert shown_findings + int(m.group(2).replace(",", "")) == 4000
    assert "SARIF or JSON report artifact" in text


def test_markdown_with_no_identities_passes() -> None:
    text = render("markdown", _report([], []))
    assert "✅ **nhi check passed**" in text and "No non-human identities found." in text


# -- GitHub annotations -----------------------------------------------------------------------

def _unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_are_escaped() -> None:
    hostile_file = "in,fra/ma:in%.tf"
    report = _report([_ident("aws_iam_user.bot", file=hostile_file)],
                     [_finding("aws_iam_user.bot", "NHI005", "expiring-soon", Severity.WARNING, message=HOSTILE,
                               file=hostile_file, line=9),
                      _finding("aws_iam_user.bot", file=hostile_file, line=9)])
    text = render("github", report, RenderOptions(root=os.getcwd()))
    lines = text.splitlines()
    assert len(lines) == 3  # one line per annotation: CR/LF never split a command
    assert lines[0].startswith("::error ") and lines[1].startswith("::warning ")  # errors first
    m = re.fullmatch(r"::warning file=([^,:]*),line=9,col=1,title=([^,:]*)::(.*)", lines[1])
    assert m, lines[1]
    assert _unescape(m.group(1)) == hostile_file
    assert _unescape(m.group(2)) == "NHI005 expiring-soon"
    message = _unescape(m.group(3))
    assert message.startswith("50% off\r\n::error::pwned, a:b") and "\x1b" not in message and "\x07" not in message
    assert "\\x1b" in message
    assert not any(line.startswith("::error::pwned") for line in lines)


def test_github_shows_ten_per_level_and_summarises_the_rest() -> None:
    text = render("github", _many(13), RenderOptions(root=os.getcwd()))
    lines = text.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == gh.PER_LEVEL
    assert sum(line.startswith("nhi: error: ") for line in lines) == 3
    assert "3 findings not annotated" in lines[-1] and lines[-1].startswith("nhi check failed")


def test_github_escape_functions() -> None:
    assert gh.escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert gh.escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"


# -- GitLab -----------------------------------------------------------------------------------

def test_gitlab_code_quality_report() -> None:
    issues = json.loads(render("gitlab", _small(), RenderOptions(root=os.getcwd())))
    assert len(issues) == 5
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"].startswith("infra/") and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == 5
    assert any(i["description"].startswith("[suppressed until 2027-01-31") for i in issues)


# -- several reports from one analysis --------------------------------------------------------

def test_several_formats_and_outputs_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    files = {fmt: tmp_path / f"r.{fmt}" for fmt in ("sarif", "junit", "markdown", "json", "gitlab")}
    args = ["check", str(HCL_CASE), "--now", CHECK_NOW, "--sarif-root", str(HCL_CASE)]
    for fmt, path in files.items():
        args += ["--format", fmt, "--output", str(path)]
    result = CliRunner().invoke(main, [*args, "--format", "github"])
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("::error file=hcl/main.tf,line=22,")
    json.loads(files["sarif"].read_text(encoding="utf-8"))
    ET.fromstring(files["junit"].read_text(encoding="utf-8"))
    assert files["markdown"].read_text(encoding="utf-8").startswith(md.MARKER)
    assert json.loads(files["json"].read_text(encoding="utf-8"))["summary"]["findings"] == 10
    assert len(json.loads(files["gitlab"].read_text(encoding="utf-8"))) == 10
    assert summary.read_text(encoding="utf-8") == files["markdown"].read_text(encoding="utf-8")


def test_one_format_alone_still_goes_to_stdout_and_one_output_alone_gets_text(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(HCL_CASE), "--now", CHECK_NOW, "--format", "json"])
    assert json.loads(result.stdout)["summary"]["identities"] == 8
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(main, ["check", str(HCL_CASE), "--now", CHECK_NOW, "-o", str(out)])
    assert result.stdout == "" and "8 identities, 10 findings" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("pairs", [
    ["-f", "json", "-f", "sarif"],
    ["-f", "json", "-o", "a", "-o", "b"],
    ["-o", "a", "-o", "b"],
    ["-f", "json", "-o", "same", "-f", "sarif", "-o", "same"],
])
def test_format_output_pairs_that_do_not_add_up_are_usage_errors(pairs: list[str], tmp_path: Path) -> None:
    pairs = [str(tmp_path / p) if p in ("a", "b", "same") else p for p in pairs]
    result = CliRunner().invoke(main, ["check", str(HCL_CASE), "--now", CHECK_NOW, *pairs])
    assert result.exit_code == 2
    assert "--format" in result.stderr or "--output" in result.stderr
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())  # nothing written before the usage error


# -- nhi owners -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_owners_digest(fmt: str, tmp_path: Path) -> None:
    args = ["owners", str(HCL_CASE), "--now", CHECK_NOW, "--format", fmt]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == CliRunner().invoke(main, args).stdout  # deterministic
    out = first.stdout
    if fmt == "json":
        doc = json.loads(out)
        (owner,) = doc["owners"]
        assert owner["owner"] == "platform@example.com"
        assert [e["address"] for e in owner["expired"]] == [
            "aws_iam_role.deployer", "aws_secretsmanager_secret.rotated", "aws_secretsmanager_secret.static",
            "aws_secretsmanager_secret_rotation.rotated", "aws_secretsmanager_secret_version.static"]
        assert owner["expired"][0]["days_left"] == -163
        assert doc["summary"]["expired"] == 5 and doc["expiring_soon_days"] == 14
    elif fmt == "markdown":
        assert out.startswith("<!-- nhi-toolkit:owners -->") and "| aws\\_iam\\_role.deployer | expired |" in out
    else:
        assert "platform@example.com: 5 expired, 0 expiring soon" in out
        assert "EXPIRED" in out and "163 days ago" in out


def test_owners_groups_no_owner_and_expiring_soon() -> None:
    from nhi_toolkit.reporters.owners import build_digest

    report = _report([_ident("aws_iam_user.a", owner="Alice@Example.com", expires="2026-06-05"),
                      _ident("aws_iam_user.b", owner="alice@example.com", expires="2026-05-01"),
                      _ident("aws_iam_user.c", owner=None), _ident("aws_iam_user.d", owner=UNKNOWN)], [])
    doc = build_digest(report, 14)
    (owner,) = doc["owners"]
    assert owner["owner"] == "Alice@Example.com" and owner["identities"] == 2
    assert [e["address"] for e in owner["expiring_soon"]] == ["aws_iam_user.a"]
    assert [e["address"] for e in owner["expired"]] == ["aws_iam_user.b"]
    assert [e["address"] for e in doc["no_owner"]] == ["aws_iam_user.c"]
    assert [e["address"] for e in doc["unknown_owner"]] == ["aws_iam_user.d"]


# -- nhi explain and the rule documentation ---------------------------------------------------

@pytest.mark.parametrize("rule", documented_rules(), ids=lambda r: r.id)
def test_explain_every_rule(rule: Any) -> None:
    for key in (rule.id, rule.name, rule.id.lower()):
        result = CliRunner().invoke(main, ["explain", key])
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert out.startswith(f"{rule.id} {rule.name} ")
        assert "Why it matters" in out and "Fix in CDKTF" in out and "Fix in HCL" in out
        assert rule.help_uri in out


def test_explain_unknown_rule_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["explain", "expird"])
    assert result.exit_code == 2 and "did you mean expired" in result.stderr


def test_rule_error_pseudo_rule_is_documented() -> None:
    ids = [r.id for r in documented_rules()]
    assert ids[0] == "NHI000" and len(ids) == len(set(ids))


def test_docs_rules_md_matches_the_registry() -> None:
    path = REPO / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == render_rules_doc(), (
        "docs/rules.md drifted from the rule registry: run python -m nhi_toolkit.rules.docs > docs/rules.md")
    for rule in documented_rules():
        assert f"\n## {rule.id} {rule.name}\n" in render_rules_doc()


def test_every_format_is_registered() -> None:
    assert set(REPORTERS) >= {"text", "json", "sarif", "junit", "markdown", "github", "gitlab"}


def test_text_summary_speaks_in_singular() -> None:
    report = _report([_ident("aws_iam_user.bot")], [_finding("aws_iam_user.bot")])
    assert "\n1 identity, 1 finding (1 error, 0 warning, 0 info)" in render("text", report)


def test_pre_commit_hook_checks_the_changed_files_directories() -> None:
    from nhi_toolkit.commands.precommit import check_args

    assert check_args(["--fail-on", "warning", "infra/a/main.tf", "infra/a/vars.tf", "top.tf"]) == [
        "check", "--fail-on", "warning", ".", "infra/a"]
    assert check_args(["--fail-on", "warning"]) is None


def test_text_quiet_and_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["check", str(HCL_CASE), "--now", CHECK_NOW]
    quiet = CliRunner().invoke(main, [*base, "--quiet"]).stdout
    assert quiet.startswith("Findings:\n") and "IDENTITY" not in quiet
    assert quiet.rstrip().endswith("as of 2026-12-01T00:00:00Z") and "\033[" not in quiet
    plain = CliRunner().invoke(main, base).stdout  # not a terminal: no colour
    assert "\033[" not in plain and "IDENTITY" in plain
    forced = CliRunner().invoke(main, [*base, "--color"]).stdout
    assert "\033[31mERROR  \033[0m NHI004 expired" in forced
    out = CliRunner().invoke(main, [*base, "--color", "-f", "json"]).stdout
    assert "\033[" not in out  # colour is for text only
    from nhi_toolkit.commands.check import use_color

    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(None) is False and use_color(True) is True


@pytest.mark.parametrize("file", ["in\x1b/ma\ud800in.tf", "/abs/\udcff x.tf", "s3://bucket/key x.tfstate"])
def test_every_ci_format_survives_hostile_text(file: str, sarif_schema: dict[str, Any]) -> None:
    # Lone surrogates come from JSON escapes and from file names that are not UTF-8.
    nasty = 'aws_iam_user.x["\ud800 \x1b]0;t\x07 \u202e <b> %0A \r\n::error::x"]'
    report = _report([_ident(nasty, owner="o\ud800\x1b", file=file)],
                     [_finding(nasty, message="m\ud800\x1b \r\n", file=file, suppressed="r\ud800 \x1b reason")])
    for fmt in ("sarif", "junit", "markdown", "github", "gitlab"):
        out = render(fmt, report, RenderOptions(root=os.getcwd()))
        out.encode("utf-8")
        assert "\x1b" not in out and "\x07" not in out, fmt
    _validate(json.loads(render("sarif", report, RenderOptions(root=os.getcwd()))), sarif_schema)
    ET.fromstring(render("junit", report))
    from nhi_toolkit.reporters.owners import render as digest

    for fmt in ("text", "markdown", "json"):
        assert "\x1b" not in digest(report, 14, fmt).encode("utf-8").decode("utf-8")


def test_ecosystem_entry_points_agree_with_the_code() -> None:
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert {"working-directory", "plan-args", "fail-on", "now"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/github-script@") for u in uses)
    script = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))["with"]["script"]
    assert md.MARKER in script
    check = next(s for s in steps if s.get("id") == "check")["run"]
    for fmt in ("sarif", "markdown", "github"):
        assert f"--format {fmt}" in check
    assert '--source-dir "$SOURCE_DIR"' in check  # findings point at the planned root's .tf lines
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "nhi-check" and "nhi_toolkit.commands.precommit" in hook["entry"]
    gitlab = yaml.safe_load((REPO / "examples" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = gitlab["nhi-check"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    assert "--format gitlab --output gl-code-quality.json" in " ".join(job["script"])


def test_text_table_fits_the_terminal_width() -> None:
    """On a terminal the identity (then owner) column is clipped so rows fit; files and pipes are
    never fitted (no width), so saved reports do not depend on a window's size."""
    from nhi_toolkit.reporters import RenderOptions, render

    long_address = "module.team_" + "x" * 150 + '["bot"].aws_iam_user.u'
    ident = _ident(long_address, owner="alice-with-a-rather-long-handle@example.com")
    report = _report([ident], [])
    wide = render("text", report)
    assert max(len(line) for line in wide.splitlines()) > 120
    fitted = render("text", report, RenderOptions(width=80))
    table = fitted.split("\n\n")[0].splitlines()
    assert all(len(line) <= 80 for line in table), table
    assert "…" in table[1]
    assert render("text", report, RenderOptions(width=400)) == wide
