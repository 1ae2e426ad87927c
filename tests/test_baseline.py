"""Baselines: findings of an earlier JSON report are accepted (shown, marked) until an end date."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nhi_toolkit.baseline import load_baseline
from nhi_toolkit.errors import InputError

NOW = "2026-12-01"
CORPUS = Path("/work/shared/corpus/plan")
UNOWNED = 'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { expires_at = "2027-09-30" }\n}\n'


def _nhi(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nhi_toolkit.cli", *args], check=False, capture_output=True,
                          text=True, cwd=cwd, input=stdin, timeout=120)


def _json(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    doc = json.loads(proc.stdout)
    assert isinstance(doc, dict)
    return doc


def _findings(doc: dict[str, object]) -> list[tuple[str, str, str, bool]]:
    items = doc["findings"]
    assert isinstance(items, list)
    return sorted((f["rule"], f["address"], f["source"]["file"], f["suppressed"]) for f in items)


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(UNOWNED, encoding="utf-8")
    return tmp_path


def test_baseline_hides_what_it_holds_and_nothing_else(two_files: Path) -> None:
    wrote = _nhi("check", "a", "--now", NOW, "--write-baseline", "base.json", "--baseline-until", "2027-03-01",
                 "-q", cwd=two_files)
    assert wrote.returncode == 1, wrote.stderr
    base = json.loads((two_files / "base.json").read_text())
    assert base["baseline_until"] == "2027-03-01" and base["version"] == 1
    # Only a/ is in the baseline: the same address in b/main.tf is a new finding, not hidden.
    proc = _nhi("check", "a", "b", "--now", NOW, "--format", "json", "--baseline", "base.json", cwd=two_files)
    assert proc.returncode == 1, proc.stderr
    doc = _json(proc)
    assert _findings(doc) == [("missing-owner", "aws_iam_user.u", "a/main.tf", True),
                              ("missing-owner", "aws_iam_user.u", "b/main.tf", False)]
    waived = [f for f in doc["findings"] if f["suppressed"]]  # type: ignore[union-attr]
    assert waived[0]["suppression"] == {"reason": "in baseline base.json", "until": "2027-03-01"}
    # a/ alone: everything is in the baseline, the check passes and still lists the finding.
    alone = _nhi("check", "a", "--now", NOW, "--baseline", "base.json", cwd=two_files)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "[suppressed until 2027-03-01: in baseline base.json]" in alone.stdout


def test_matching_needs_rule_address_and_file(two_files: Path) -> None:
    _nhi("check", "a", "--now", NOW, "--write-baseline", "base.json", "--baseline-until", "2027-03-01",
         cwd=two_files)
    base = load_baseline(str(two_files / "base.json"))
    ((rule, address, file),) = base.keys
    assert (rule, address) == ("NHI001", "aws_iam_user.u") and file.startswith("a")
    # Another rule on the same address and file is new.
    (two_files / "a" / "main.tf").write_text(UNOWNED.replace('expires_at = "2027-09-30"', ""), encoding="utf-8")
    proc = _nhi("check", "a", "--now", NOW, "--format", "json", "--baseline", "base.json", cwd=two_files)
    assert [(f[0], f[3]) for f in _findings(_json(proc))] == [("missing-expiry", False), ("missing-owner", True)]
    assert proc.returncode == 1


def test_baseline_expires_and_says_so(two_files: Path) -> None:
    _nhi("check", "a", "--now", NOW, "--write-baseline", "base.json", "--baseline-until", "2027-03-01",
         cwd=two_files)
    later = _nhi("check", "a", "--now", "2027-03-02", "--format", "json", "--baseline", "base.json", cwd=two_files)
    assert later.returncode == 1
    found = _findings(_json(later))
    assert ("baseline-expired", "", "base.json", False) in found
    assert ("missing-owner", "aws_iam_user.u", found[-1][2], False) in found
    # Still valid on its last day.
    assert _nhi("check", "a", "--now", "2027-03-01T23:59:59Z", "--baseline", "base.json",
                cwd=two_files).returncode == 0


def test_unwaivable_findings_are_never_baselined(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n'
                                      '  tags = { owner = "a", expires_at = "2026-06-30" }\n}\n')
    _nhi("check", ".", "--now", NOW, "--write-baseline", "base.json", "--baseline-until", "2027-03-01",
         cwd=tmp_path)
    proc = _nhi("check", ".", "--now", NOW, "--format", "json", "--baseline", "base.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert [(f[0], f[3]) for f in _findings(_json(proc))] == [("expired", False)]


@pytest.mark.parametrize(("text", "why"), [
    ("not json", "not valid JSON"),
    ("[]", "no 'findings' list"),
    ('{"findings": [{"rule_id": "NHI001"}]}', "finding 1 lacks a rule_id, address or source.file"),
    ('{"findings": [], "baseline_until": "2027-02-30"}', "'baseline_until' is not a date"),
])
def test_malformed_baseline_is_exit_2_naming_the_file(tmp_path: Path, text: str, why: str) -> None:
    (tmp_path / "main.tf").write_text(UNOWNED)
    (tmp_path / "base.json").write_text(text)
    proc = _nhi("check", ".", "--now", NOW, "--baseline", "base.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("nhi: error: base.json") and why in proc.stderr
    assert "Traceback" not in proc.stderr
    with pytest.raises(InputError):
        load_baseline(str(tmp_path / "base.json"))


def test_missing_baseline_and_missing_end_date(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(UNOWNED)
    proc = _nhi("check", ".", "--now", NOW, "--baseline", "nope.json", cwd=tmp_path)
    assert proc.returncode == 2 and "nope.json" in proc.stderr
    proc = _nhi("check", ".", "--now", NOW, "--write-baseline", "b.json", cwd=tmp_path)
    assert proc.returncode == 2 and "--baseline-until" in proc.stderr


def test_plain_json_report_is_a_baseline_without_end_date(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(UNOWNED)
    report = _nhi("check", ".", "--now", NOW, "--format", "json", cwd=tmp_path)
    (tmp_path / "report.json").write_text(report.stdout)
    proc = _nhi("check", ".", "--now", NOW, "--baseline", "report.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not present")
def test_corpus_plans_baseline_round_trip(tmp_path: Path) -> None:
    plans = sorted(str(p) for p in CORPUS.glob("*.json"))[:8]
    first = _nhi("check", *plans, "--now", NOW, "--format", "json", "--fail-on", "never",
                 "--write-baseline", str(tmp_path / "base.json"), "--baseline-until", "2027-01-01", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = _json(first)
    again = _nhi("check", *plans, "--now", NOW, "--format", "json", "--fail-on", "info",
                 "--baseline", str(tmp_path / "base.json"), cwd=tmp_path)
    doc = _json(again)
    summary = doc["summary"]
    assert isinstance(summary, dict) and isinstance(before["summary"], dict)
    # Every finding is still listed; only unwaivable ones stay active.
    assert summary["findings"] + summary["suppressed"] == before["summary"]["findings"] + before["summary"]["suppressed"]
    active = [f for f in doc["findings"] if not f["suppressed"]]  # type: ignore[union-attr]
    assert all(f["rule"] in ("expired", "owner-offboarded") for f in active)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "markdown", "github", "gitlab"])
def test_baselined_and_waived_findings_stay_visible_in_every_format(tmp_path: Path, fmt: str) -> None:
    from nhi_toolkit.baseline import Baseline, finding_key
    from nhi_toolkit.config import config_from_mapping
    from nhi_toolkit.engine import check_paths
    from nhi_toolkit.expiry import parse_now
    from nhi_toolkit.reporters import RenderOptions, render

    (tmp_path / "main.tf").write_text(
        '# nhi:ignore[NHI002] until=2027-01-31 reason="vendor key, ticket SEC-12"\n'
        'resource "aws_iam_user" "u" {\n  name = "u"\n}\n', encoding="utf-8")
    main = str(tmp_path / "main.tf")
    base = Baseline("base.json", frozenset({finding_key("NHI001", "aws_iam_user.u", main)}), "2027-03-01")
    report = check_paths([str(tmp_path)], config_from_mapping({}), parse_now(NOW), baseline=base)
    assert not report.failed() and report.active == ()
    text = render(fmt, report, RenderOptions(root=str(tmp_path)))
    assert "in baseline base.json" in text and "vendor key, ticket SEC-12" in text


def test_a_baselined_current_object_does_not_hide_a_deposed_one_at_its_address(tmp_path: Path) -> None:
    # A deposed object is another credential: the current object's accepted finding is not its.
    def state(deposed: bool) -> str:
        inst = {"schema_version": 0, "attributes": {"name": "u", "tags": {"expires_at": "2027-09-30"}}}
        insts = [inst, {**inst, "deposed": "00000001"}] if deposed else [inst]
        return json.dumps({"version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": "l", "outputs": {},
                           "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "u",
                                          "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                                          "instances": insts}]})

    (tmp_path / "terraform.tfstate").write_text(state(False), encoding="utf-8")
    wrote = _nhi("check", "terraform.tfstate", "--now", NOW, "--write-baseline", "base.json",
                 "--baseline-until", "2027-03-01", "-q", cwd=tmp_path)
    assert wrote.returncode == 1, wrote.stderr
    (tmp_path / "terraform.tfstate").write_text(state(True), encoding="utf-8")
    proc = _nhi("check", "terraform.tfstate", "--now", NOW, "--format", "json", "--baseline", "base.json",
                cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    verdicts = {f["message"].endswith("(deposed object 00000001)"): f["suppressed"]
                for f in _json(proc)["findings"]}  # type: ignore[union-attr]
    assert verdicts == {False: True, True: False}
    # A baseline holding the deposed object's finding accepts it.
    assert _nhi("check", "terraform.tfstate", "--now", NOW, "--write-baseline", "both.json",
                "--baseline-until", "2027-03-01", "-q", cwd=tmp_path).returncode == 1
    assert _nhi("check", "terraform.tfstate", "--now", NOW, "--baseline", "both.json", "-q",
                cwd=tmp_path).returncode == 0
