"""What a new user reads in README.md matches what the code does."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi_toolkit.config import ConfigError, config_from_mapping


def test_suppressions_is_not_a_config_key() -> None:
    # [[tool.nhi.suppressions]] is a plausible slip for [[tool.nhi.suppress]]: an error, never ignored.
    table = {"suppressions": [{"rule": "expired", "reason": "long enough reason", "until": "2027-01-01"}]}
    with pytest.raises(ConfigError, match="unknown setting 'suppressions'"):
        config_from_mapping(table, "nhi.toml")


README = Path(__file__).resolve().parent.parent / "README.md"


def _section_table(heading: str) -> list[list[str]]:
    """The rows (cells without backticks) of the first table under a README heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    rows: list[list[str]] = []
    for line in text[start + 1:].splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([c.strip().strip("`") for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # header and separator


def test_readme_rule_table_matches_nhi_rules() -> None:
    from nhi_toolkit.rules.guide import documented_rules

    documented = {row[0]: (row[1], row[2]) for row in _section_table("### Rules")}
    code = {r.id: (r.name, r.severity.label) for r in documented_rules()}
    assert sorted(documented) == sorted(code)
    for rule_id, (name, severity) in code.items():
        assert documented[rule_id][0] == name, rule_id
        assert documented[rule_id][1].split()[0] == severity, rule_id


def test_readme_status_table_matches_engine() -> None:
    from nhi_toolkit.engine import STATUS_PRECEDENCE

    assert tuple(row[0] for row in _section_table(
        "`status` is one word, the first of these that applies (the text table's STATUS column is the same):"
    )) == STATUS_PRECEDENCE


def test_readme_config_example_uses_every_setting() -> None:
    import tomllib

    from nhi_toolkit.config import _KNOWN

    text = README.read_text(encoding="utf-8")
    example = text[text.index("```toml\n[tool.nhi]") + len("```toml\n"):]
    table = tomllib.loads(example[:example.index("```")])["tool"]["nhi"]
    assert set(table) == _KNOWN
    config_from_mapping(table, "README.md")  # the example itself is valid


def test_nhi_rules_lists_every_documented_rule_by_id_in_aligned_columns() -> None:
    import json

    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    listed = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).output)
    ids = [r["id"] for r in listed]
    assert ids[0] == "NHI000" and ids == sorted(ids)
    lines = CliRunner().invoke(main, ["rules"]).output.splitlines()
    assert [line.split()[0] for line in lines] == ids
    # the severity column starts at the same place on every line, however long the name
    assert len({line.index(r["severity"], 8 + len(r["name"])) for line, r in zip(lines, listed, strict=True)}) == 1


def _help(args: list[str]) -> str:
    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("group", [[], ["audit"]])
def test_group_help_lists_whole_first_sentences(group: list[str]) -> None:
    text = _help(group)
    commands = text[text.index("Commands:"):]
    assert "..." not in commands


def test_every_flag_in_a_readme_command_is_in_that_commands_help() -> None:
    import re

    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    commands = " ".join(blocks).replace("\\\n", " ").splitlines()
    seen = 0
    for line in commands:
        for part in re.split(r"&&|\|", line.split("#")[0]):
            words = part.split()
            if len(words) < 2 or words[0] != "nhi":
                continue
            path = words[1:3] if words[1] == "audit" else words[1:2]
            helptext = _help(path)
            for flag in (w.split("=")[0].strip("[]") for w in words if w.startswith(("--", "[--"))):
                assert flag in helptext, (path, flag)
                seen += 1
    assert seen > 20


@pytest.mark.parametrize(("rows", "states", "line"), [
    (1, 1, "1 identity in 1 state as of N"), (2, 1, "2 identities in 1 state as of N"),
    (0, 3, "0 identities in 3 states as of N"),
])
def test_inventory_summary_line_counts_in_english(rows: int, states: int, line: str) -> None:
    from nhi_toolkit.fleet import render_inventory

    row = ("aws_iam_user.a", "aws_iam_user", "s.tfstate", "default", "a@example.com", "2027-01-01", "ok")
    text = render_inventory([row] * rows, "table", states=states, now="N")
    assert text.splitlines()[-1] == line


def test_config_is_found_next_to_the_first_input_that_has_one(tmp_path: Path) -> None:
    from nhi_toolkit.config import find_config_file

    first, second, cwd = tmp_path / "a", tmp_path / "b", tmp_path / "cwd"
    for d in (first, second, cwd):
        d.mkdir()
    (second / "nhi.toml").write_text("[tool.nhi]\n", encoding="utf-8")
    (cwd / "nhi.toml").write_text("[tool.nhi]\n", encoding="utf-8")
    assert find_config_file([first, second], cwd=cwd) == second / "nhi.toml"
    assert find_config_file([first], cwd=cwd) == cwd / "nhi.toml"


def test_readme_json_example_has_the_fields_of_a_real_report() -> None:
    import json

    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    text = README.read_text(encoding="utf-8")
    start = text.index("```json\n") + len("```json\n")
    example = json.loads(text[start:text.index("```", start)])
    plan = README.parent / "tests" / "fixtures" / "check" / "leavers" / "input" / "plan.json"
    run = CliRunner().invoke(main, ["check", str(plan), "--now", "2026-12-01", "-f", "json"])
    real = json.loads(run.output)
    assert set(example) == set(real)
    assert set(example["identities"][0]) == set(real["identities"][0])
    assert set(example["findings"][0]) == set(real["findings"][0])
    assert set(example["summary"]) == set(real["summary"])
    # the example is consistent with itself: one expired identity, one expired finding about it
    assert example["findings"][0]["address"] == example["identities"][0]["address"]
    assert example["summary"]["by_status"] == {example["identities"][0]["status"]: 1}


@pytest.mark.parametrize(("now", "says"), [
    ("yesterday", "not a YYYY-MM-DD date or an RFC 3339 timestamp with an offset\n"),
    ("2026-02-30", "not a real calendar date (use YYYY-MM-DD or RFC 3339)\n"),
])
def test_bad_now_is_one_clear_usage_error(now: str, says: str) -> None:
    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    run = CliRunner().invoke(main, ["check", str(README), "--now", now])
    assert run.exit_code == 2 and run.output.endswith(says), run.output


@pytest.mark.parametrize("sub", ["verify", "show", "repair"])
def test_audit_errors_read_like_every_other_command(sub: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    missing = tmp_path / "audit.jsonl"
    run = CliRunner().invoke(main, ["audit", sub, str(missing)])
    assert run.exit_code == 2 and run.output.startswith(f"nhi: error: {missing}"), run.output


@pytest.mark.parametrize("command", [["check", "README.md"], ["retire", "--state", "README.md"]])
def test_bad_nhi_now_names_the_variable_not_the_flag(command: list[str]) -> None:
    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    run = CliRunner().invoke(main, command, env={"NHI_NOW": "soon"})
    assert run.exit_code == 2 and "Invalid value for NHI_NOW: " in run.output, run.output
    run = CliRunner().invoke(main, [*command, "--now", "soon"], env={"NHI_NOW": "2026-12-01"})
    assert run.exit_code == 2 and "Invalid value for --now: " in run.output, run.output


def test_every_file_the_demo_names_is_tracked() -> None:
    """``make demo`` runs from a fresh clone: a file it needs that an ignore rule keeps out of the
    repository (``*.tfstate`` is ignored) would exist only on the machine that wrote it."""
    import re
    import shutil
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    demo = (repo / "examples" / "demo.sh").read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w/.-])examples/[\w./-]+", demo))
    tracked = subprocess.run(["git", "ls-files", "examples"], cwd=repo, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    missing = [p for p in sorted(named)
               if p not in tracked and not any(t.startswith(p.rstrip("/") + "/") for t in tracked)]
    assert not missing, f"make demo needs files git does not track: {missing}"
