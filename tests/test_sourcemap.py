"""Source mapping end to end: a plan made by real Terraform from a local module tree, checked with
``--source-dir`` in every format, points at the exact line and column of each declaring block, with
the module calls on the way as related locations; synthesized example stacks carry construct paths.

The tree uses the builtin ``terraform_data`` (no provider can be downloaded here) as a custom identity
type whose tags sit at ``input.tags``, and nests local modules expanded with ``for_each``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.cli import main
from nhi_toolkit.reporters import REPORTERS
from nhi_toolkit.terraform import Terraform

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
NOW = "2026-06-01"

CONFIG = '[tool.nhi.identity_types.terraform_data]\ntags_path = "input.tags"\n'

ROOT_TF = """\
terraform {
  required_version = ">= 1.4"
}

resource "terraform_data" "root_unowned" {
  input = {
    tags = { expires_at = "2027-01-01" }
  }
}

module "team" {
  source   = "./modules/team"
  for_each = toset(["alpha", "beta"])
  team     = each.key
}

resource "terraform_data" "root_fine" {
  input = {
    tags = { owner = "ops@example.com", expires_at = "2027-01-01" }
  }
}
"""

TEAM_TF = """\
variable "team" {
  type = string
}

resource "terraform_data" "lead" {
  input = {
    tags = { expires_at = "2027-01-01", team = var.team }
  }
}

module "bot" {
  source   = "../bot"
  for_each = toset(["a", "b"])
  name     = "${var.team}-${each.key}"
}
"""

BOT_TF = """\
variable "name" {
  type = string
}

# indented on purpose: the column is part of the location
  resource "terraform_data" "this" {
    input = {
      tags = { owner = "bot@example.com", name = var.name }
    }
  }
"""

#: configuration address -> (file, line, column, module call sites as (file, line)).
EXPECTED = {
    "terraform_data.root_unowned": ("infra/main.tf", 5, 1, None),
    "module.team.terraform_data.lead": ("infra/modules/team/main.tf", 5, 1, [("infra/main.tf", 11)]),
    "module.team.module.bot.terraform_data.this": (
        "infra/modules/bot/main.tf", 6, 3, [("infra/main.tf", 11), ("infra/modules/team/main.tf", 11)]),
}
#: address -> (rule id, configuration address) of every finding the tree must give.
FINDINGS = {
    "terraform_data.root_unowned": ("NHI001", "terraform_data.root_unowned"),
    **{f'module.team["{t}"].terraform_data.lead': ("NHI001", "module.team.terraform_data.lead")
       for t in ("alpha", "beta")},
    **{f'module.team["{t}"].module.bot["{b}"].terraform_data.this':
       ("NHI002", "module.team.module.bot.terraform_data.this") for t in ("alpha", "beta") for b in ("a", "b")},
}


def test_expected_lines_are_the_block_headers() -> None:
    """The numbers asserted below are where the blocks really start (a guard on this file's texts)."""
    texts = {"infra/main.tf": ROOT_TF, "infra/modules/team/main.tf": TEAM_TF, "infra/modules/bot/main.tf": BOT_TF}
    for cfg, (file, line, column, calls) in EXPECTED.items():
        rtype, name = cfg.split(".")[-2:]
        header = texts[file].splitlines()[line - 1]
        assert header.strip() == f'resource "{rtype}" "{name}" {{' and header.index("resource") == column - 1
        for call_file, call_line in calls or ():
            assert texts[call_file].splitlines()[call_line - 1].startswith("module ")


# -- the plan made by real Terraform ------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tf: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``infra/`` (the module tree), ``out/plan.json`` (its plan) and ``nhi.toml``, in one folder."""
    root = tmp_path_factory.mktemp("sourcemap")
    infra = root / "infra"
    for rel, text in (("main.tf", ROOT_TF), ("modules/team/main.tf", TEAM_TF), ("modules/bot/main.tf", BOT_TF)):
        (infra / rel).parent.mkdir(parents=True, exist_ok=True)
        (infra / rel).write_text(text, encoding="utf-8")
    (root / "nhi.toml").write_text(CONFIG, encoding="utf-8")
    tf.init(infra, backend=False)
    plan = tf.plan(infra, out="p.tfplan")
    shown = tf.show_json(infra, plan.planfile or "")
    (root / "out").mkdir()
    write_json(root / "out" / "plan.json", shown)
    return root


def _check(root: Path, *args: str) -> tuple[int, str]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, ["check", *args, "--now", NOW, "--config", "nhi.toml"])
    finally:
        os.chdir(cwd)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def reports(workspace: Path) -> dict[str, str]:
    """Every format from one run: ``nhi check out/plan.json --source-dir infra``."""
    pairs = [a for fmt in sorted(REPORTERS) for a in ("-f", fmt, "-o", f"report.{fmt}")]
    code, _ = _check(workspace, "out/plan.json", "--source-dir", "infra", *pairs)
    assert code == 1
    return {fmt: (workspace / f"report.{fmt}").read_text(encoding="utf-8") for fmt in REPORTERS}


def _where(address: str) -> tuple[str, int, int, list[tuple[str, int]] | None]:
    return EXPECTED[FINDINGS[address][1]]


@pytest.mark.terraform
def test_json_sources_point_at_the_declaring_blocks(reports: dict[str, str]) -> None:
    doc = json.loads(reports["json"])
    assert doc["version"] == 1 and doc["inputs"] == ["out/plan.json"]
    got = {f["address"]: f for f in doc["findings"]}
    assert set(got) == set(FINDINGS)
    for address, f in got.items():
        file, line, column, calls = _where(address)
        assert f["rule_id"] == FINDINGS[address][0]
        assert f["source"] == {
            "file": file, "line": line, "column": column, "input": "out/plan.json", "construct_path": None,
            "module_call": None if calls is None else [{"file": c, "line": n} for c, n in calls]}
    fine = next(i for i in doc["identities"] if i["address"] == "terraform_data.root_fine")
    assert (fine["status"], fine["source"]["file"], fine["source"]["line"]) == ("ok", "infra/main.tf", 17)
    assert fine["sources"] == [fine["source"]]


@pytest.mark.terraform
def test_sarif_validates_and_locates_blocks_and_calls(reports: dict[str, str]) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA}")
    import jsonschema

    doc = json.loads(reports["sarif"])
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    (run,) = doc["runs"]
    assert len(run["results"]) == len(FINDINGS)
    prints = set()
    for r in run["results"]:
        (loc,) = r["locations"]
        address = loc["logicalLocations"][0]["fullyQualifiedName"]
        assert loc["logicalLocations"][0]["kind"] == "resource"
        file, line, column, calls = _where(address)
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"] == {"uri": file, "uriBaseId": "SRCROOT"}
        assert phys["region"] == {"startLine": line, "startColumn": column}
        related = [(x["physicalLocation"]["artifactLocation"]["uri"], x["physicalLocation"]["region"]["startLine"])
                   for x in r.get("relatedLocations", [])]
        assert related == (calls or [])
        assert [x["id"] for x in r.get("relatedLocations", [])] == list(range(1, len(related) + 1))
        assert r["properties"]["input"] == "out/plan.json"
        prints.add(r["partialFingerprints"]["nhiFinding/v1"])
    assert len(prints) == len(FINDINGS)  # rule + address + file: one alert per identity
    steps = {x["message"]["text"] for r in run["results"] for x in r.get("relatedLocations", [])}
    assert 'Module call for module.team["beta"].module.bot["a"].' in steps


@pytest.mark.terraform
def test_sarif_fingerprints_ignore_the_line(workspace: Path, reports: dict[str, str], tmp_path: Path) -> None:
    """A block moved down a line keeps its alerts: the fingerprint is rule + address + file."""
    moved = tmp_path / "ws"
    shutil.copytree(workspace, moved)
    bot = moved / "infra" / "modules" / "bot" / "main.tf"
    bot.write_text("\n" + bot.read_text(encoding="utf-8"), encoding="utf-8")
    _check(moved, "out/plan.json", "--source-dir", "infra", "-f", "sarif", "-o", "again.sarif")

    def prints(text: str) -> dict[str, tuple[str, int]]:
        return {r["partialFingerprints"]["nhiFinding/v1"]:
                (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                 r["locations"][0]["physicalLocation"]["region"]["startLine"])
                for r in json.loads(text)["runs"][0]["results"]}

    before, after = prints(reports["sarif"]), prints((moved / "again.sarif").read_text(encoding="utf-8"))
    assert set(before) == set(after)
    shifted = [k for k in before if before[k][0] == "infra/modules/bot/main.tf"]
    assert len(shifted) == 4 and all(after[k][1] == before[k][1] + 1 for k in shifted)


@pytest.mark.terraform
def test_junit_cases_name_the_declaring_file_and_line(reports: dict[str, str]) -> None:
    root = ET.fromstring(reports["junit"])
    failed = {c.get("name"): (c.get("file"), c.get("line"), c.get("classname"))
              for c in root.iter("testcase") if c.find("failure") is not None}
    assert set(failed) == set(FINDINGS)
    for address, (file, line, classname) in failed.items():
        want_file, want_line, _, _ = _where(address)
        assert (file, line) == (want_file, str(want_line))
        assert classname is not None and classname.startswith(f"nhi.{FINDINGS[address][0]}.")


@pytest.mark.terraform
def test_markdown_github_gitlab_and_text_point_at_the_block(workspace: Path, reports: dict[str, str]) -> None:
    gitlab = {(i["location"]["path"], i["location"]["lines"]["begin"]) for i in json.loads(reports["gitlab"])}
    assert gitlab == {(f, n) for f, n, _, _ in EXPECTED.values()}
    annotations = [line for line in reports["github"].splitlines() if line.startswith("::")]
    assert len(annotations) == len(FINDINGS)
    for address in FINDINGS:
        file, line, column, _ = _where(address)
        assert f"file={file},line={line},col={column}," in reports["github"]
        assert f"{file}:{line}" in reports["markdown"]
        assert f"at {file}:{line}" in reports["text"]
    for fmt in ("markdown", "github", "gitlab", "text", "junit"):
        assert "plan.json" not in reports[fmt].replace("out/plan.json", ""), fmt
        assert str(workspace) not in reports[fmt], fmt  # relative paths only


@pytest.mark.terraform
def test_absolute_source_dir_gives_the_same_bytes(workspace: Path, reports: dict[str, str]) -> None:
    for fmt in ("json", "sarif", "github", "markdown"):
        _, out = _check(workspace, "out/plan.json", "--source-dir", str(workspace / "infra"), "-f", fmt)
        assert out == reports[fmt], fmt
        assert str(workspace) not in out.replace(f"file://{workspace}/", "")  # SARIF's root URI only


@pytest.mark.terraform
def test_default_source_dir_is_the_plans_own_folder(workspace: Path, reports: dict[str, str]) -> None:
    shutil.copy(workspace / "out" / "plan.json", workspace / "infra" / "plan.json")
    try:
        _, out = _check(workspace, "infra/plan.json", "-f", "json")
    finally:
        (workspace / "infra" / "plan.json").unlink()
    got = {f["address"]: f["source"] for f in json.loads(out)["findings"]}
    for address, source in got.items():
        file, line, column, _ = _where(address)
        assert (source["file"], source["line"], source["column"], source["input"]) == (
            file, line, column, "infra/plan.json")
    _, plain = _check(workspace, "out/plan.json", "-f", "json")  # no .tf beside it: not mapped
    assert {f["source"]["file"] for f in json.loads(plain)["findings"]} == {"out/plan.json"}
    assert {f["source"]["input"] for f in json.loads(plain)["findings"]} == {None}


# -- without Terraform: unmatched blocks, state, errors -----------------------------------------


TAGGED = {"owner": "o@example.com", "expires_at": "2026-07-01"}


def _config(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")


def _json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out = _check(root, *args, "-f", "json", "--fail-on", "never")
    return code, json.loads(out) if out.strip() else {}


@pytest.fixture
def small(tmp_path: Path) -> Path:
    (tmp_path / "nhi.toml").write_text("[tool.nhi]\n", encoding="utf-8")
    _config(tmp_path / "infra", {
        "main.tf": 'module "svc" {\n  source = "./svc"\n  count  = 2\n}\n',
        "svc/main.tf": '\nresource "aws_iam_user" "u" {\n  name = "x"\n}\n',
    })
    return tmp_path


def test_unmatched_address_keeps_the_input_quietly(small: Path) -> None:
    write_json(small / "plan.json", plan_doc(
        change('module.svc[1].aws_iam_user.u', {"name": "x", "tags": {}, "tags_all": {}}),
        change("aws_iam_user.elsewhere", {"name": "y", "tags": {}, "tags_all": {}}),
    ))
    code, doc = _json(small, "plan.json", "--source-dir", "infra")
    assert code == 0
    src = {i["address"]: i["source"] for i in doc["identities"]}
    assert src["module.svc[1].aws_iam_user.u"] == {
        "file": "infra/svc/main.tf", "line": 2, "column": 1, "input": "plan.json", "construct_path": None,
        "module_call": [{"file": "infra/main.tf", "line": 1}]}
    assert src["aws_iam_user.elsewhere"] == {"file": "plan.json", "line": None, "column": None, "input": None,
                                             "construct_path": None, "module_call": None}
    assert all(f["rule"] != "rule-error" for f in doc["findings"])


def test_state_is_mapped_too(small: Path) -> None:
    write_json(small / "terraform.tfstate", state_doc(
        state_resource("aws_iam_user", "u", {"name": "x", "tags": TAGGED, "tags_all": TAGGED},
                       module="module.svc[0]")))
    _, doc = _json(small, "terraform.tfstate", "--source-dir", "infra")
    (ident,) = doc["identities"]
    assert (ident["source"]["file"], ident["source"]["line"], ident["source"]["input"]) == (
        "infra/svc/main.tf", 2, "terraform.tfstate")


def test_two_plans_on_one_block_stay_two_rows(small: Path) -> None:
    for name, tags in (("a.json", TAGGED), ("b.json", {})):
        write_json(small / name, plan_doc(change("module.svc[0].aws_iam_user.u",
                                                 {"name": "x", "tags": tags, "tags_all": tags})))
    _, doc = _json(small, "a.json", "b.json", "--source-dir", "infra")
    rows = sorted((i["source"]["input"], i["status"]) for i in doc["identities"])
    assert rows == [("a.json", "ok"), ("b.json", "no-owner")]
    assert sorted(f["source"]["input"] for f in doc["findings"] if f["rule"] == "missing-owner") == ["b.json"]


def test_declaration_limited_to_the_plan_file_still_applies(small: Path) -> None:
    (small / "nhi.toml").write_text(
        '[tool.nhi]\n[[tool.nhi.declarations]]\naddress = "module.svc*"\nowner = "o@example.com"\n'
        'expires_at = 2026-07-01\nreason = "service users declared for the team"\nfile = "plan.json"\n',
        encoding="utf-8")
    write_json(small / "plan.json", plan_doc(change("module.svc[0].aws_iam_user.u",
                                                    {"name": "x", "tags": {}, "tags_all": {}})))
    _, doc = _json(small, "plan.json", "--source-dir", "infra")
    (ident,) = doc["identities"]
    assert ident["source"]["file"] == "infra/svc/main.tf" and ident["owner_source"] == "declaration"


def test_broken_source_dir_is_an_error_only_when_named(small: Path) -> None:
    (small / "infra" / "svc" / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = \n', encoding="utf-8")
    write_json(small / "infra" / "plan.json", plan_doc(change("module.svc[0].aws_iam_user.u",
                                                              {"name": "x", "tags": TAGGED, "tags_all": TAGGED})))
    cwd = os.getcwd()
    os.chdir(small)
    try:
        named = CliRunner().invoke(main, ["check", "infra/plan.json", "--source-dir", "infra", "--now", NOW])
        default = CliRunner().invoke(main, ["check", "infra/plan.json", "--now", NOW, "-f", "json"])
    finally:
        os.chdir(cwd)
    assert named.exit_code == 2 and "infra/svc/main.tf" in named.stderr and "Traceback" not in named.output
    assert default.exit_code == 0
    (ident,) = json.loads(default.stdout)["identities"]
    assert (ident["source"]["file"], ident["source"]["input"]) == ("infra/plan.json", None)


def test_an_input_with_nothing_to_locate_leaves_the_folder_unparsed(small: Path) -> None:
    """A plan or state with no resource beside configuration: the .tf files are not read for it,
    by default; a named --source-dir is still read (and a broken one still an error)."""
    from nhi_toolkit.loaders import hcl_cache

    write_json(small / "infra" / "plan.json", plan_doc())
    before = hcl_cache.parse_count()
    code, doc = _json(small, "infra/plan.json", "--no-cache")
    assert code == 0 and doc["identities"] == [] and hcl_cache.parse_count() == before
    _json(small, "infra/plan.json", "--no-cache", "--source-dir", "infra")
    assert hcl_cache.parse_count() > before


def test_source_dir_must_be_a_directory(small: Path) -> None:
    write_json(small / "plan.json", plan_doc())
    code, _ = _check(small, "plan.json", "--source-dir", "nowhere")
    assert code == 2


# -- CDKTF: construct paths ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example stacks, synthesized as tests/test_cdktf.py does."""
    out = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE")}
    env["NHI_NOW"] = "2026-12-01T00:00:00Z"
    proc = subprocess.run([sys.executable, "-m", "stacks", "--outdir", str(out)], check=False,
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    if proc.returncode != 0:
        pytest.skip(f"cannot synthesize the example stacks: {proc.stderr[-300:]}")
    return out


def test_example_stacks_carry_construct_paths(synthesized: Path, tmp_path: Path) -> None:
    sarif_out, json_out = tmp_path / "r.sarif", tmp_path / "r.json"
    result = CliRunner().invoke(main, ["check", str(synthesized), "--now", "2026-12-01", "--fail-on", "never",
                                       "-f", "sarif", "-o", str(sarif_out), "-f", "json", "-o", str(json_out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(json_out.read_text(encoding="utf-8"))
    paths = {i["address"]: i["source"]["construct_path"] for i in doc["identities"]}
    assert len(paths) == len(doc["identities"]) > 10
    for ident in doc["identities"]:  # the stack's own name, then the constructs down to the resource
        stack = Path(ident["source"]["file"]).parent.name
        assert ident["source"]["construct_path"].startswith(stack + "/"), ident["address"]
    for ident in doc["identities"]:  # the line and column of the resource's key in cdk.tf.json
        src = ident["source"]
        header = Path(src["file"]).read_text(encoding="utf-8").splitlines()[src["line"] - 1]
        assert header[src["column"] - 1:].startswith(f'"{ident["address"].split(".")[1].split("[")[0]}": {{')
    results = json.loads(sarif_out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert results
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 1 for r in results)
    for r in results:
        logical = r["locations"][0]["logicalLocations"]
        address = logical[0]["fullyQualifiedName"]
        assert logical[1] == {"fullyQualifiedName": paths[address], "kind": "object",
                              "name": paths[address].rsplit("/", 1)[-1],
                              "properties": {"nhi-kind": "cdktf-construct-path"}}
    if SARIF_SCHEMA.is_file():
        import jsonschema

        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(
            json.loads(sarif_out.read_text(encoding="utf-8")))


def test_plan_of_a_stack_maps_into_its_synthesized_json(synthesized: Path, tmp_path: Path) -> None:
    """A plan made in a stack folder (next to cdk.tf.json) is located at the synthesized block,
    with the construct path."""
    stack = tmp_path / "coding-agent"
    shutil.copytree(synthesized / "stacks" / "coding-agent", stack)
    synth = json.loads((stack / "cdk.tf.json").read_text(encoding="utf-8"))
    name = min(synth["resource"]["aws_iam_role"])
    path = synth["resource"]["aws_iam_role"][name]["//"]["metadata"]["path"]
    write_json(stack / "plan.json", plan_doc(change(f'aws_iam_role.{name}["coding-agent"]',
                                                    {"name": "x", "tags": TAGGED, "tags_all": TAGGED})))
    (stack / "nhi.toml").write_text("[tool.nhi]\n", encoding="utf-8")
    _, doc = _json(stack, "plan.json")
    (ident,) = doc["identities"]
    src = ident["source"]
    assert (src["file"], src["input"], src["construct_path"]) == ("cdk.tf.json", "plan.json", path)
    header = (stack / "cdk.tf.json").read_text(encoding="utf-8").splitlines()[src["line"] - 1]
    assert header[src["column"] - 1:].startswith(f'"{name}": {{')


def test_json_block_positions_follow_structure_not_text() -> None:
    from nhi_toolkit.sourcemap import json_block_positions

    text = ('{"variable": {"b": {}}, "resource": {"t": {"a": {"x": {"b": {}}, "s": "\\"b\\": {"},\n'
            '  "b": {}}}, "output": {"resource": {"t": {"b": {}}}}}')
    assert json_block_positions(text) == {("t", "a"): (1, text.index('"a"') + 1), ("t", "b"): (2, 3)}


def test_audit_grants_name_the_plan_not_the_block(small: Path) -> None:
    """A mapped identity's grant is recorded against the plan it came from, with that plan's hash."""
    import hashlib

    from nhi_toolkit.audit import iter_entries

    plan = write_json(small / "plan.json", plan_doc(change("module.svc[0].aws_iam_user.u",
                                                           {"name": "x", "tags": TAGGED, "tags_all": TAGGED})))
    code, _ = _check(small, "plan.json", "--source-dir", "infra", "--audit-log", "audit.jsonl", "--fail-on", "never")
    assert code == 0
    (entry,) = iter_entries(small / "audit.jsonl")
    assert (entry.data["input"], entry.data["plan_sha256"]) == (
        "plan.json", hashlib.sha256(plan.read_bytes()).hexdigest())


def test_hcl_input_blocks_carry_their_column_and_calls(tmp_path: Path) -> None:
    """The same tree checked as .tf: the evaluator's lines and call sites, the blocks' columns."""
    _config(tmp_path / "infra", {"main.tf": ROOT_TF, "modules/team/main.tf": TEAM_TF, "modules/bot/main.tf": BOT_TF})
    (tmp_path / "nhi.toml").write_text(CONFIG, encoding="utf-8")
    _, out = _check(tmp_path, "infra", "-f", "github")
    for cfg, (file, line, column, _) in EXPECTED.items():
        assert f"file={file},line={line},col={column}," in out, cfg
    _, text = _check(tmp_path, "infra", "-f", "json")
    for f in json.loads(text)["findings"]:  # the evaluator records the module calls on the way
        calls = _where(f["address"])[3]
        assert f["source"]["module_call"] == (None if calls is None else [{"file": c, "line": n} for c, n in calls])
        assert f["source"]["input"] is None


def test_exponential_module_calls_are_bounded(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each level calls the next twice: the walk stops at the instance budget instead of running on."""
    from nhi_toolkit.loaders import modules

    monkeypatch.setattr(modules, "MAX_INSTANCES", 1_000)
    files = {f"infra/m{n}/main.tf": f'module "a" {{\n  source = "../m{n + 1}"\n}}\n'
                                    f'module "b" {{\n  source = "../m{n + 1}"\n}}\n' for n in range(20)}
    files["infra/m20/main.tf"] = 'resource "aws_iam_user" "u" {\n  name = "x"\n}\n'
    files["infra/main.tf"] = 'module "top" {\n  source = "./m0"\n}\n'
    shutil.rmtree(small / "infra")
    for rel, text in files.items():
        _config(small, {rel: text})
    write_json(small / "infra" / "plan.json", plan_doc(change("module.top.module.a.module.b.aws_iam_user.u",
                                                              {"name": "x", "tags": TAGGED, "tags_all": TAGGED})))
    code, _ = _check(small, "infra/plan.json", "--source-dir", "infra")
    assert code == 2
    code, doc = _json(small, "infra/plan.json")  # the default directory: quietly unmapped
    assert code == 0 and doc["identities"][0]["source"]["input"] is None
