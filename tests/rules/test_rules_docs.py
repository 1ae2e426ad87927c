"""The rule registry is the one source of rule documentation: README table, docs/rules.md, help URIs."""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from nhi_toolkit.cli import main
from nhi_toolkit.model import Severity
from nhi_toolkit.rules import ALL_RULES
from nhi_toolkit.rules.base import DOCS_BASE_URL, Rule
from nhi_toolkit.rules.docs import README_MARKER, render_readme_table, render_rules_doc, replace_readme_table
from nhi_toolkit.rules.docs import main as docs_main
from nhi_toolkit.rules.guide import GUIDES, documented_rules

PACKAGE = REPO / "nhi_toolkit"


def _readme_rule_table() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("\n### Rules\n")
    block = text[start:].split("\n", 2)[2]
    lines = block.splitlines()
    assert lines[1] == README_MARKER, "the README rule table lost its generator comment"
    table = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return "\n".join(table) + "\n"


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    assert _readme_rule_table() == render_readme_table(), (
        "README.md's rule table drifted from the rule registry: run make docs "
        "(python -m nhi_toolkit.rules.docs --write-readme README.md)")


def test_readme_rule_table_is_in_id_order_with_rule_error_first() -> None:
    ids = [line.split("|")[1].strip() for line in render_readme_table().splitlines()[2:]]
    assert ids[0] == "NHI000" and ids == sorted(ids)
    assert ids == [r.id for r in documented_rules()]
    assert set(ids) == {r.id for r in ALL_RULES} | {"NHI000"}


def test_write_readme_replaces_only_the_table(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert replace_readme_table(readme) == readme
    drifted = readme.replace("| NHI004 | `expired` |", "| NHI004 | `expird` |")
    assert drifted != readme
    copy = tmp_path / "README.md"
    copy.write_text(drifted, encoding="utf-8")
    assert docs_main(["--write-readme", str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == readme
    (tmp_path / "other.md").write_text("# no table here\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        docs_main(["--write-readme", str(tmp_path / "other.md")])
    assert info.value.code == 2


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == render_rules_doc(), (
        "docs/rules.md drifted from the rule registry: run python -m nhi_toolkit.rules.docs > docs/rules.md")


def test_generator_prints_both_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert docs_main([]) == 0
    assert capsys.readouterr().out == render_rules_doc()
    assert docs_main(["--readme-table"]) == 0
    assert capsys.readouterr().out == render_readme_table()


def _github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation but '-' dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_help_uri_anchors_match_the_headings_of_docs_rules_md() -> None:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    anchors = {_github_slug(line[3:]) for line in text.splitlines() if line.startswith("## ")}
    fragments = {r.help_uri.partition("#")[2] for r in documented_rules()}
    assert fragments == anchors
    # and the index table at the top links the same anchors
    assert set(re.findall(r"\]\(#([^)]+)\)", text)) == anchors


@pytest.mark.parametrize("rule", documented_rules(), ids=lambda r: r.id)
def test_every_rule_is_fully_documented(rule: Rule) -> None:
    assert re.fullmatch(r"NHI\d{3}", rule.id)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert isinstance(rule.severity, Severity)
    assert rule.summary and rule.description and rule.fix
    guide = GUIDES[rule.id]  # why it matters, and the fix in CDKTF and in HCL
    assert guide.rationale and guide.fix_cdktf and guide.fix_hcl
    assert rule.help_uri == f"{DOCS_BASE_URL}#{rule.id.lower()}-{rule.name}"
    if rule.severities:
        labels = [sev for sev, _ in rule.severities]
        assert labels[0] == rule.severity, "the default severity comes first"
        assert len(labels) == len(set(labels)) >= 2
        assert all(when.strip() for _, when in rule.severities)


def test_rules_json_lists_which_condition_gives_which_severity() -> None:

    items = {i["id"]: i for i in json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).stdout)}
    assert [s["severity"] for s in items["NHI015"]["severities"]] == ["error", "warning"]
    assert [s["severity"] for s in items["NHI004"]["severities"]] == ["error"]
    for rule in documented_rules():
        assert items[rule.id]["severities"][0]["severity"] == rule.severity.label


_BY_KEY = {key: r for r in documented_rules() for key in (r.id, r.name)}


def _rule_named_in(node: ast.AST) -> Rule | None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in _BY_KEY:
            return _BY_KEY[sub.value]
    return None


def _enclosing(parents: dict[ast.AST, ast.AST], node: ast.AST, kind: type[ast.AST]) -> ast.AST | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, kind):
            return node
    return None


def _severity_choices() -> list[tuple[str, Rule | None, set[Severity]]]:
    """(where, rule, severities) of every ``X.finding(..., severity=...)`` call in the package."""
    found: list[tuple[str, Rule | None, set[Severity]]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        enclosing = functools.partial(_enclosing, parents)

        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "finding"):
                continue
            kw = next((k for k in call.keywords if k.arg == "severity"), None)
            if kw is None:
                continue
            levels = {Severity[n.attr] for n in ast.walk(kw.value)
                      if isinstance(n, ast.Attribute) and n.attr in Severity.__members__}
            owner = call.func.value
            rule: Rule | None = None
            if isinstance(owner, ast.Name) and owner.id == "self":
                cls = enclosing(call, ast.ClassDef)
                rule = _rule_named_in(next(s for s in cls.body if isinstance(s, ast.Assign)  # type: ignore[union-attr]
                                           and getattr(s.targets[0], "id", "") == "id"))
            elif isinstance(owner, ast.Call):
                rule = _rule_named_in(owner)
            elif isinstance(owner, ast.Name):
                func = enclosing(call, ast.FunctionDef)
                assigns = [a for a in ast.walk(func) if isinstance(a, ast.Assign)  # type: ignore[arg-type]
                           and any(getattr(t, "id", "") == owner.id for t in a.targets)]
                rule = next((r for a in assigns if (r := _rule_named_in(a.value)) is not None), None)
            found.append((f"{path.relative_to(REPO)}:{call.lineno}", rule, levels))
    return found


def test_every_severity_a_rule_gives_is_documented() -> None:
    choices = _severity_choices()
    assert len(choices) >= 6  # the scan sees the known places
    for where, rule, levels in choices:
        assert rule is not None, f"{where}: cannot tell which rule this finding belongs to"
        assert levels, f"{where}: severity is not a Severity member"
        documented = {sev for sev, _ in rule.severities} or {rule.severity}
        assert levels <= documented, (f"{where}: {rule.id} {rule.name} gives {sorted(s.label for s in levels)} "
                                      "but its `severities` do not say when")


def test_rule_error_pseudo_rule_is_documented() -> None:
    ids = [r.id for r in documented_rules()]
    assert ids[0] == "NHI000" and len(ids) == len(set(ids))


def test_docs_rules_md_matches_the_registry() -> None:
    path = REPO / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == render_rules_doc(), (
        "docs/rules.md drifted from the rule registry: run python -m nhi_toolkit.rules.docs > docs/rules.md")
    for rule in documented_rules():
        assert f"\n## {rule.id} {rule.name}\n" in render_rules_doc()
