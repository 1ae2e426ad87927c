"""SARIF 2.1.0: valid against the official schema, complete rule descriptors, stable fingerprints,
relative URIs, the GitHub result limit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from report_samples import CHECK_NOW, HCL_CASE, _finding, _ident, _many, _report, _small, _validate

from nhi_toolkit.cli import main
from nhi_toolkit.model import Severity
from nhi_toolkit.reporters import RenderOptions, render, sarif
from nhi_toolkit.rules.guide import documented_rules


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
