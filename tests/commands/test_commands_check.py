"""``nhi check`` and ``nhi rules`` through click's CliRunner and through the installed command."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import (
    FIXTURES,
    NOW_TEXT,
    Run,
    change,
    plan_doc,
    run_nhi,
    validate_report,
    write_json,
)

from nhi_toolkit.cli import main
from nhi_toolkit.reporters import markdown as md

OWNER = "alice@example.com"


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture
def mixed_plan(tmp_path: Path) -> Path:
    """One error (missing-owner), one warning (expiring-soon), one info (unknown-until-apply)."""
    return write_json(tmp_path / "plan.json", plan_doc(
        change("aws_iam_role.no_owner", {"name": "a", "tags": {"expires_at": "2026-06-20"}}),
        change("aws_iam_role.soon", {"name": "b", "tags": {"owner": OWNER, "expires_at": "2026-06-05"}}),
        change("aws_iam_role.later", {"name": "c", "tags": {"owner": OWNER}}, after_unknown={"tags_all": True}),
        change('module.bots.aws_iam_user.agent["team \\"x\\" bot"]',
               {"name": "d", "tags": {"owner": OWNER, "expires_at": "2026-06-20"}}),
    ))


@pytest.fixture
def clean_plan(tmp_path: Path) -> Path:
    return write_json(tmp_path / "clean.json", plan_doc(
        change("aws_iam_role.ok", {"name": "a", "tags": {"owner": OWNER, "expires_at": "2026-06-20"}})))


def test_json_contract(mixed_plan: Path) -> None:
    result = invoke("check", mixed_plan, "--now", NOW_TEXT, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    validate_report(doc)
    assert doc["now"] == "2026-06-01T00:00:00Z"
    assert doc["inputs"] == [str(mixed_plan)]
    by_addr = {i["address"]: i for i in doc["identities"]}
    agent = by_addr['module.bots.aws_iam_user.agent["team \\"x\\" bot"]']
    assert agent["type"] == "aws_iam_user" and agent["status"] == "ok"
    assert agent["source"] == {"file": str(mixed_plan), "line": None, "column": None, "module_call": None,
                               "construct_path": None, "input": None}
    rules = {(f["address"], f["rule"], f["severity"]) for f in doc["findings"]}
    assert rules == {("aws_iam_role.no_owner", "missing-owner", "error"),
                     ("aws_iam_role.soon", "expiring-soon", "warning"),
                     ("aws_iam_role.later", "unknown-until-apply", "info")}
    assert doc["summary"]["by_severity"] == {"error": 1, "warning": 1, "info": 1}


def test_now_is_reported_in_utc(clean_plan: Path) -> None:
    doc = json.loads(invoke("check", clean_plan, "--now", "2026-06-01T02:30:00+02:00", "-f", "json").stdout)
    assert doc["now"] == "2026-06-01T00:30:00Z"
    doc = json.loads(invoke("check", clean_plan, "--now", "2026-06-01", "-f", "json").stdout)
    assert doc["now"] == "2026-06-01T00:00:00Z"


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_with_an_error(mixed_plan: Path, fail_on: str, code: int) -> None:
    assert invoke("check", mixed_plan, "--now", NOW_TEXT, "--fail-on", fail_on).exit_code == code


@pytest.mark.parametrize(("fail_on", "code"), [(None, 0), ("error", 0), ("warning", 1), ("info", 1),
                                               ("never", 0)])
def test_fail_on_with_a_warning_only(tmp_path: Path, fail_on: str | None, code: int) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_role.soon", {"name": "b", "tags": {"owner": OWNER, "expires_at": "2026-06-05"}})))
    args = ["check", path, "--now", NOW_TEXT] + (["--fail-on", fail_on] if fail_on else [])
    assert invoke(*args).exit_code == code


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 0), ("info", 1)])
def test_fail_on_with_info_only(tmp_path: Path, fail_on: str, code: int) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": {}}, after_unknown={"tags": True})))
    assert invoke("check", path, "--now", NOW_TEXT, "--fail-on", fail_on).exit_code == code


def test_clean_input_exits_zero(clean_plan: Path) -> None:
    result = invoke("check", clean_plan, "--now", NOW_TEXT, "--fail-on", "info")
    assert result.exit_code == 0
    assert "1 identity, 0 findings" in result.stdout


def test_fail_on_from_config_and_flag_wins(tmp_path: Path, mixed_plan: Path) -> None:
    cfg = tmp_path / "cfg" / "nhi.toml"
    cfg.parent.mkdir()
    cfg.write_text('[tool.nhi]\nfail_on = "never"\n', encoding="utf-8")
    assert invoke("check", mixed_plan, "--now", NOW_TEXT, "--config", cfg).exit_code == 0
    assert invoke("check", mixed_plan, "--now", NOW_TEXT, "--config", cfg, "--fail-on", "error").exit_code == 1


def test_config_file_next_to_the_input_is_found(tmp_path: Path, mixed_plan: Path) -> None:
    (mixed_plan.parent / "nhi.toml").write_text('[tool.nhi]\nowner_keys = ["team"]\n', encoding="utf-8")
    doc = json.loads(invoke("check", mixed_plan, "--now", NOW_TEXT, "-f", "json").stdout)
    assert sum(f["rule"] == "missing-owner" for f in doc["findings"]) == 3


def test_config_errors_exit_two(tmp_path: Path, clean_plan: Path) -> None:
    cfg = tmp_path / "cfg" / "nhi.toml"
    cfg.parent.mkdir()
    for body, message in [('[tool.nhi]\nowner_kyes = ["x"]\n', "unknown setting 'owner_kyes'"),
                          ("[tool.nhi\n", "not valid TOML"),
                          ('[tool.nhi]\nfail_on = "sometimes"\n', "fail_on")]:
        cfg.write_text(body, encoding="utf-8")
        result = invoke("check", clean_plan, "--now", NOW_TEXT, "--config", cfg)
        assert result.exit_code == 2 and message in result.stderr and str(cfg) in result.stderr
    result = invoke("check", clean_plan, "--now", NOW_TEXT, "--config", tmp_path / "missing.toml")
    assert result.exit_code == 2 and "missing.toml" in result.stderr


def test_output_file(tmp_path: Path, mixed_plan: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke("check", mixed_plan, "--now", NOW_TEXT, "-f", "json", "--output", out)
    assert result.exit_code == 1 and result.stdout == ""
    validate_report(json.loads(out.read_text(encoding="utf-8")))


def test_expiring_soon_days_flag(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": {"owner": OWNER, "expires_at": "2026-06-25"}})))
    assert invoke("check", path, "--now", NOW_TEXT, "--fail-on", "warning").exit_code == 0
    assert invoke("check", path, "--now", NOW_TEXT, "--fail-on", "warning",
                  "--expiring-soon-days", "30").exit_code == 1


@pytest.mark.parametrize("body", ["owner,left_on\nALICE@example.com,2026-01-31\n", "# leavers\nalice\n"])
def test_leavers(tmp_path: Path, clean_plan: Path, body: str) -> None:
    leavers = tmp_path / "leavers.csv"
    leavers.write_text(body, encoding="utf-8")
    result = invoke("check", clean_plan, "--now", NOW_TEXT, "--leavers", leavers, "-f", "json")
    assert result.exit_code == 1
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["owner-offboarded"]


@pytest.mark.parametrize("now", ["yesterday", "2026-02-30", "2026-06-01T10:00:00", "06/01/2026", " "])
def test_invalid_now_is_a_usage_error(clean_plan: Path, now: str) -> None:
    result = invoke("check", clean_plan, "--now", now)
    assert result.exit_code == 2
    assert "--now" in result.stderr and "Traceback" not in result.stderr


def test_empty_now_is_a_usage_error(clean_plan: Path) -> None:
    result = invoke("check", clean_plan, "--now", "")
    assert result.exit_code == 2
    assert "--now" in result.stderr


def test_now_from_environment(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", plan_doc(
        change("aws_iam_role.r", {"name": "r", "tags": {"owner": OWNER, "expires_at": "2026-06-20"}})))
    assert invoke("check", path, "-f", "json", env={"NHI_NOW": "2026-06-21"}).exit_code == 1
    assert invoke("check", path, "-f", "json", env={"NHI_NOW": "2026-06-01"}).exit_code == 0
    # The flag wins over the environment.
    assert invoke("check", path, "--now", "2026-06-01", env={"NHI_NOW": "2026-06-21"}).exit_code == 0
    assert invoke("check", path, env={"NHI_NOW": "not a date"}).exit_code == 2


def test_usage_errors_exit_two(clean_plan: Path) -> None:
    assert invoke("check").exit_code == 2
    assert invoke("check", clean_plan, "--format", "yaml").exit_code == 2
    assert invoke("check", clean_plan, "--fail-on", "sometimes").exit_code == 2
    assert invoke("check", clean_plan, "--expiring-soon-days", "-1").exit_code == 2


def test_rules_command() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    assert "NHI001  missing-owner" in result.stdout
    items = json.loads(invoke("rules", "--format", "json").stdout)
    names = {i["name"] for i in items}
    assert {"missing-owner", "missing-expiry", "invalid-expiry", "expired", "expiring-soon", "expiry-too-far",
            "missing-revocation-path", "drift", "owner-offboarded", "shared-identity"} <= names
    assert all(i["severity"] in ("error", "warning", "info") for i in items)


# -- bad inputs ---------------------------------------------------------------------------------

SECRET_TOKEN = "ghp_Zq9SECRETLOOKINGTOKENx7Kw2"


def _bad_inputs(tmp: Path) -> list[tuple[str, Path, str]]:
    """(label, path, words the message must contain)."""
    cases: list[tuple[str, Path, str]] = [("missing", tmp / "missing.json", "no such file")]

    def put(name: str, data: bytes, expect: str) -> None:
        p = tmp / name
        p.write_bytes(data)
        cases.append((name, p, expect))

    put("empty.json", b"", "empty")
    put("truncated.json", json.dumps(plan_doc(change("aws_iam_role.r", {"name": "r"})))[:40].encode(), "ends early")
    put("not-json.json", b"this is not json\n", "not valid JSON")
    put("array.json", b"[1, 2, 3]", "JSON array")
    put("string.json", b'"just a string"', "JSON string")
    put("number.json", b"42", "JSON number")
    put("plan.tfplan", b"PK\x03\x04" + bytes(range(256)), "binary plan")
    put("nan.json", b'{"format_version": "1.0", "resource_changes": [], "x": NaN}', "NaN")
    put("deep.json", b"[" * 100000 + b"]" * 100000, "too deep")
    put("random.json", bytes((i * 7919 + 13) % 256 for i in range(4096)), "not")
    put("object.json", b'{"hello": "world"}', "not a Terraform plan")
    put("v0.tfstate", json.dumps({"version": 0, "serial": 1, "modules": []}).encode(), "state version 0")
    hcl = tmp / "bad-hcl"
    hcl.mkdir()
    (hcl / "main.tf").write_text(
        f'resource "aws_iam_user" "u" {{\n  name = "x"\n  token = "{SECRET_TOKEN}" }}}}\n', encoding="utf-8")
    cases.append(("hcl syntax", hcl, "main.tf:3:"))
    nothing = tmp / "nothing"
    nothing.mkdir()
    (nothing / "README.md").write_text("no terraform here\n", encoding="utf-8")
    (nothing / "notes.txt").write_text("still none\n", encoding="utf-8")
    cases.append(("nothing", nothing, "nothing Terraform here"))
    return cases


def _assert_clean_refusal(label: str, path: Path, expect: str, code: int, stdout: str, stderr: str) -> None:
    assert code == 2, (label, stderr)
    assert stdout == "", label
    assert "Traceback" not in stderr, label
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, (label, stderr)
    assert lines[0].startswith("nhi: error: "), label
    assert str(path) in lines[0], label
    assert expect in lines[0], (label, lines[0])
    assert SECRET_TOKEN not in stderr


def test_bad_inputs_through_cli_runner(tmp_path: Path) -> None:
    for label, path, expect in _bad_inputs(tmp_path):
        result = CliRunner().invoke(main, ["check", str(path), "--now", NOW_TEXT, "-f", "json"])
        _assert_clean_refusal(label, path, expect, result.exit_code, result.stdout, result.stderr)


def test_bad_inputs_through_the_installed_command(tmp_path: Path) -> None:
    for label, path, expect in _bad_inputs(tmp_path):
        run = run_nhi(["check", str(path), "--now", NOW_TEXT, "-f", "json"])
        _assert_clean_refusal(label, path, expect, run.code, run.stdout, run.stderr)


def test_hcl_error_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        f'resource "aws_iam_user" "u" {{\n  name = "x"\n  token = "{SECRET_TOKEN}" }}}}\n', encoding="utf-8")
    run = run_nhi(["check", str(tmp_path), "--now", NOW_TEXT])
    assert run.code == 2
    assert f"{tmp_path / 'main.tf'}:3:" in run.stderr
    assert SECRET_TOKEN not in run.stderr


def test_one_bad_input_among_good_ones_fails_the_run(tmp_path: Path, clean_plan: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    result = invoke("check", clean_plan, bad, "--now", NOW_TEXT)
    assert result.exit_code == 2 and str(bad) in result.stderr


# -- the installed command ----------------------------------------------------------------------

def test_installed_command_json_and_exit_codes(mixed_plan: Path, clean_plan: Path, tmp_path: Path) -> None:
    run = run_nhi(["check", mixed_plan, "--now", NOW_TEXT, "--format", "json"])
    assert run.code == 1 and run.stderr == ""
    validate_report(run.json())
    assert run_nhi(["check", clean_plan, "--now", NOW_TEXT]).code == 0
    assert run_nhi(["check", mixed_plan, "--now", NOW_TEXT, "--fail-on", "never"]).code == 0
    out = tmp_path / "out.json"
    run = run_nhi(["check", mixed_plan, "--now", NOW_TEXT, "-f", "json", "-o", out])
    assert run.code == 1 and run.stdout == "" and json.loads(out.read_text(encoding="utf-8"))["version"] == 1


def test_installed_command_now_env_and_invalid_now(clean_plan: Path) -> None:
    run = run_nhi(["check", clean_plan, "-f", "json"], env={"NHI_NOW": "2026-06-01T12:00:00+02:00"})
    assert run.code == 0 and run.json()["now"] == "2026-06-01T10:00:00Z"
    run = run_nhi(["check", clean_plan, "--now", "2026-13-45"])
    assert run.code == 2 and "Traceback" not in run.stderr and "--now" in run.stderr


def test_installed_command_config_and_rules(tmp_path: Path, mixed_plan: Path) -> None:
    cfg = tmp_path / "cfg" / "pyproject.toml"
    cfg.parent.mkdir()
    cfg.write_text('[project]\nname = "x"\n\n[tool.nhi]\ndisable = ["missing-owner"]\n', encoding="utf-8")
    run = run_nhi(["check", mixed_plan, "--now", NOW_TEXT, "--config", cfg, "-f", "json"])
    assert run.code == 0 and "missing-owner" not in {f["rule"] for f in run.json()["findings"]}
    run = run_nhi(["rules", "--format", "json"])
    assert run.code == 0 and len(run.json()) >= 10
    assert run_nhi(["--version"]).code == 0


def _same_bytes(runs: list[Run]) -> None:
    assert len({(r.code, r.stdout, r.stderr) for r in runs}) == 1


def test_deterministic_output(mixed_plan: Path, tmp_path: Path) -> None:
    hcl = tmp_path / "hcl"
    hcl.mkdir()
    (hcl / "main.tf").write_text(
        'resource "aws_iam_user" "b" {\n  name = "b"\n}\nresource "aws_iam_user" "a" {\n  name = "a"\n}\n'
        'resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.a.name\n}\n', encoding="utf-8")
    for fmt in ("json", "text"):
        args = ["check", mixed_plan, hcl, "--now", NOW_TEXT, "-f", fmt]
        _same_bytes([run_nhi(args), run_nhi(args, env={"PYTHONHASHSEED": "12345"}),
                     run_nhi(args, env={"PYTHONHASHSEED": "999", "TZ": "Asia/Kolkata"})])


def test_output_does_not_depend_on_local_timezone(clean_plan: Path) -> None:
    if not hasattr(os, "uname"):
        pytest.skip("TZ handling differs off POSIX")
    a = run_nhi(["check", clean_plan, "--now", "2026-06-01", "-f", "text"], env={"TZ": "UTC"})
    b = run_nhi(["check", clean_plan, "--now", "2026-06-01", "-f", "text"], env={"TZ": "Pacific/Kiritimati"})
    assert a.stdout == b.stdout and "2026-06-01T00:00:00Z" in a.stdout


# -- integration fixture folders (tests/fixtures/check/<case>/) ----------------------------------

def _regenerate_module() -> Any:
    import importlib.util

    path = FIXTURES / "check" / "regenerate.py"
    spec = importlib.util.spec_from_file_location("nhi_fixture_regenerate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGENERATE = _regenerate_module()
CASES = REGENERATE.cases()


def test_fixture_cases_exist() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_case(case: Path) -> None:
    code, out, err = REGENERATE.run_case(case)
    expected_text = (case / "expected.json").read_text(encoding="utf-8")
    assert err == ""
    assert out == expected_text, (
        f"{case.name}: output differs from expected.json; if the change is intended, run "
        f"'python tests/fixtures/check/regenerate.py {case.name}' and review the diff")
    doc = json.loads(out)
    validate_report(doc)
    assert code == (1 if doc["summary"]["failed"] else 0)
    assert doc["now"] == REGENERATE.NOW


@pytest.mark.parametrize("case", CASES[:3], ids=[c.name for c in CASES[:3]])
def test_fixture_case_through_the_installed_command(case: Path) -> None:
    run = run_nhi(REGENERATE.case_args(case), cwd=case)
    assert run.stdout == (case / "expected.json").read_text(encoding="utf-8")


def test_unwritable_output_names_the_file(tmp_path: Path, clean_plan: Path) -> None:
    target = tmp_path / "no-such-dir" / "report.json"
    result = CliRunner().invoke(main, ["check", str(clean_plan), "--now", NOW_TEXT, "-o", str(target)])
    assert result.exit_code == 2
    assert str(target) in result.stderr and "internal error" not in result.stderr


HCL_CASE = FIXTURES / "check" / "hcl-default-tags-revocation" / "input"
CHECK_NOW = "2026-12-01"


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


def test_the_program_ends_at_once_with_its_code_and_every_byte_an_importer_gets_system_exit(tmp_path: Path) -> None:
    """``python -m nhi_toolkit.cli check`` ends without freeing its records (end_process): the exit
    code, standard output and standard error are what an ordinary exit gives. A script that imports
    the command and catches SystemExit still gets it (and runs on after it)."""
    import subprocess
    import sys

    plan = write_json(tmp_path / "plan.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags": {}})))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-m", "nhi_toolkit.cli", "check", str(plan), "--format", "json",
                           "--now", NOW_TEXT], capture_output=True, env=env, check=False)
    inproc = invoke("check", plan, "--format", "json", "--now", NOW_TEXT)
    assert (proc.returncode, proc.stdout.decode()) == (inproc.exit_code, inproc.stdout) == (1, inproc.stdout)
    assert proc.stderr == b""
    code = ("import sys\nfrom nhi_toolkit.cli import main\ntry:\n    main(['check', sys.argv[1], '--now', "
            f"'{NOW_TEXT}', '--format', 'json'])\nexcept SystemExit as e:\n    print('exit', e.code)\n")
    script = subprocess.run([sys.executable, "-c", code, str(plan)], capture_output=True, text=True, env=env,
                            check=False)
    assert script.returncode == 0 and script.stdout.endswith("exit 1\n"), script.stderr
