"""Every Python and shell example in README.md and docs/*.md runs as written.

What is collected: each fenced block whose info string is ``sh``, ``bash`` or ``shell`` (shell) or
``python`` (Python). Other blocks (JSON, TOML, YAML, HCL, text) are data or output, checked elsewhere
(tests/test_user_docs.py) or not at all.

Marking an example that cannot run here: an HTML comment on the line right before the opening fence,

    <!-- example: offline-impossible: REASON -->

for an example that needs what a test cannot have offline (installing from the package index, a
named AWS profile or a real account, a provider from the registry). The reason is required and is the
skip message. Those examples, and no others, are skipped; any other ``<!-- example: ... -->`` comment
is an error. So is a block with no marker that fails.

How a shell example runs: ``bash -euo pipefail -c BLOCK`` in a fresh copy of one workspace, with the
project's ``nhi`` first on PATH (``terraform`` too: the binary on PATH, else the embedded one through a
shim), ``NHI_NOW`` pinned to conftest's NOW (2026-06-01, when nothing in the workspace has expired; an
example that shows another date passes ``--now`` itself), no AWS, GitHub or Terraform CLI settings from
the caller, and standard input not a terminal. The workspace is what the examples assume the reader
has, built from the bundled examples/retire-offline (builtin ``terraform_data`` identities, no
provider download):

* the current directory is a Terraform root (``main.tf``, ``nhi.toml``), initialised and applied
  (``terraform.tfstate``), with ``tf.plan`` and ``plan.json`` (a plan of it) and ``audit.jsonl`` (the
  grants ``nhi check --audit-log`` recorded for the plan that created its identities);
* ``infra/``: another such root, initialised and applied;
* ``cdktf.out/``: a synthesized stack (tests/fixtures/modules/cdktf/stacks/app);
* ``leavers.csv`` (nobody who owns anything here) and ``nhi-baseline.json`` (a baseline of plan.json).

A command expected to fail shows it in the example: ``CMD || echo "exit $?"  # exit N: why``; the
test checks that each such line printed exactly ``exit N``.

CDKTF examples (Python blocks importing ``nhi_toolkit.cdktf``, shell blocks running ``python -m
stacks``) synthesize with real cdktf and Node.js, which is slow, so they run in one test (marker
``cdktf``): every Python block in one Python process, one after the other, each into its own
``cdktf.out`` that ``nhi check`` then judges; a shell block running the example stacks ``cd``s into
``nhi-toolkit``, a copy of what it needs of this repository (``stacks/``, ``cdktf.json``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import NOW_TEXT, REPO

DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
SHELL = frozenset({"sh", "bash", "shell"})
PYTHON = frozenset({"python"})
MARKER = re.compile(r"^<!--\s*example:\s*(.*?)\s*-->$")
OFFLINE_IMPOSSIBLE = re.compile(r"^offline-impossible:\s*(\S.*)$")
FENCE = re.compile(r"^```(\S*)\s*$")
CDKTF = re.compile(r"\bnhi_toolkit\.cdktf\b|\bpython -m stacks\b")
EXPECTED_FAILURE = re.compile(r'\|\|\s*echo "exit \$\?"\s*#\s*exit (\d+)\b')
ECHO_EXIT = '|| echo "exit $?"'


@dataclass(frozen=True)
class Example:
    """One fenced block of a document."""

    doc: str  # relative to the repository
    line: int  # of the opening fence
    lang: str
    code: str
    marker: str | None  # the text of an ``<!-- example: ... -->`` comment right before the fence

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        match = OFFLINE_IMPOSSIBLE.match(self.marker or "")
        return match.group(1) if match else None

    @property
    def is_cdktf(self) -> bool:
        return bool(CDKTF.search(self.code))


def _blocks(path: Path, root: Path = REPO) -> Iterator[Example]:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, lang = i, match.group(1)
        i += 1
        while i < len(lines) and lines[i] != "```":
            i += 1
        previous = lines[start - 1].strip() if start else ""
        marker = MARKER.match(previous)
        code = "\n".join(lines[start + 1:i]) + "\n" if i < len(lines) else ""  # unclosed: no code
        yield Example(str(path.relative_to(root)), start + 1, lang, code, marker.group(1) if marker else None)
        i += 1


def all_blocks() -> list[Example]:
    """Every fenced block of README.md and docs/*.md."""
    return [b for doc in DOCS for b in _blocks(doc)]


def examples() -> list[Example]:
    """The Python and shell examples."""
    return [b for b in all_blocks() if b.lang in SHELL | PYTHON]


def _param(example: Example) -> object:
    marks = [pytest.mark.terraform] if example.lang in SHELL else []
    if example.skip_reason:
        marks.append(pytest.mark.skip(reason=f"offline-impossible: {example.skip_reason}"))
    return pytest.param(example, id=example.id, marks=marks)


# ---------------------------------------------------------------------------------------------------
# The convention itself


def test_every_marker_is_known_and_marks_an_example() -> None:
    for block in all_blocks():
        if block.marker is None:
            continue
        assert OFFLINE_IMPOSSIBLE.match(block.marker), f"{block.id}: unknown example marker {block.marker!r}"
        assert block.lang in SHELL | PYTHON, f"{block.id}: a marker on a {block.lang or 'plain'} block"
    for doc in DOCS:
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            if "<!-- example:" in line:
                assert MARKER.match(line.strip()), f"{doc.name}:{n}: a malformed example marker"


def test_examples_are_found_and_only_the_marked_ones_skipped() -> None:
    found = examples()
    skipped = {e.id for e in found if e.skip_reason}
    assert {e.id for e in found if e.marker} == skipped
    runnable = [e for e in found if not e.skip_reason]
    assert len(runnable) >= 8, [e.id for e in runnable]
    assert any(e.is_cdktf and e.doc == "README.md" for e in runnable)


def test_an_expected_failure_names_its_exit_code() -> None:
    for example in examples():
        for line in example.code.splitlines():
            if ECHO_EXIT in line:
                assert EXPECTED_FAILURE.search(line), f"{example.id}: say which exit: # exit N: ... ({line})"


def test_skipped_examples_name_only_real_commands_and_flags() -> None:
    """What cannot run here is still checked against ``nhi ... --help``."""
    from click.testing import CliRunner

    from nhi_toolkit.cli import main

    seen = 0
    for example in examples():
        if not example.skip_reason or example.lang not in SHELL:
            continue
        for line in example.code.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|\|", line.split("#")[0]):
                words = part.split()
                if len(words) < 2 or words[0] != "nhi":
                    continue
                path = words[1:3] if words[1] == "audit" else words[1:2]
                run = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
                assert run.exit_code == 0, (example.id, path, run.output)
                for flag in (w.split("=")[0] for w in words if w.startswith("--")):
                    assert flag in run.output, (example.id, path, flag)
                    seen += 1
    assert seen > 10


def test_every_block_is_closed_and_not_empty() -> None:
    for block in all_blocks():
        assert block.code.strip(), f"{block.id}: an empty or unclosed block"


def test_the_marker_is_read_only_right_before_the_fence(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "<!-- example: offline-impossible: needs the AWS provider from the registry -->\n"
        "```sh\nterraform init\n```\n\n"
        "<!-- example: offline-impossible: too far away -->\n\n```python\nprint(1)\n```\n"
        "```sh\nunclosed\n", encoding="utf-8")
    first, second, third = _blocks(doc, tmp_path)
    assert (first.line, first.lang, first.code) == (2, "sh", "terraform init\n")
    assert first.skip_reason == "needs the AWS provider from the registry"
    assert second.marker is None and second.skip_reason is None  # a blank line between: not its marker
    assert third.code == ""


# ---------------------------------------------------------------------------------------------------
# Running them


def _clean_env(bin_dirs: list[Path], python_path: Path) -> dict[str, str]:
    """The caller's environment without anything that could reach a cloud, a CI service or a real
    Terraform configuration, with the clock pinned and this checkout's code first."""
    dropped = ("AWS_", "GITHUB_", "TF_", "NHI_", "JSII_SILENCE", "CDKTF_", "PYTEST_", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        PATH=os.pathsep.join([*map(str, bin_dirs), env.get("PATH", "")]),
        PYTHONPATH=str(python_path),
        NHI_NOW=NOW_TEXT, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", NO_COLOR="1",
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
        PIP_NO_INDEX="1", npm_config_offline="true",  # an unmarked install fails at once, offline
    )
    return env


def _python_path(tmp: Path) -> Path:
    """A folder holding only this checkout's ``nhi_toolkit``: an example sees the package, never the
    repository's other folders (``stacks``, ``tests``), whatever the working directory."""
    folder = tmp / "pythonpath"
    folder.mkdir()
    (folder / "nhi_toolkit").symlink_to(REPO / "nhi_toolkit", target_is_directory=True)
    return folder


def _bin_dir(tmp: Path) -> list[Path]:
    """Where ``nhi`` (and ``python``) of this environment live, plus a ``terraform`` shim running the
    embedded Terraform when there is no binary on PATH."""
    dirs = [Path(sys.executable).parent]
    if shutil.which("terraform") is None:
        shim = tmp / "bin"
        shim.mkdir(exist_ok=True)
        target = "tofu" if shutil.which("tofu") else f"{sys.executable} -m nhi_toolkit.terraform"
        (shim / "terraform").write_text(f'#!/bin/sh\nexec {target} "$@"\n', encoding="utf-8")
        (shim / "terraform").chmod(0o755)
        dirs.insert(0, shim)
    return dirs


def _run(argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _ok(proc: subprocess.CompletedProcess[str], what: str) -> str:
    assert proc.returncode == 0, f"{what}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment every example runs in."""
    tmp = tmp_path_factory.mktemp("docs-env")
    return _clean_env(_bin_dir(tmp), _python_path(tmp))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, tools: dict[str, str], tf: object) -> Path:
    """The workspace the shell examples assume (see the module docstring), built once (``tf``: skip
    when there is no Terraform at all)."""
    base = tmp_path_factory.mktemp("docs-workspace")
    example = REPO / "examples" / "retire-offline"
    for root in (base, base / "infra"):
        root.mkdir(exist_ok=True)
        for name in ("main.tf", "nhi.toml"):
            shutil.copy(example / name, root / name)
        _ok(_run(["terraform", "init", "-input=false"], root, tools), "terraform init")
    # the plan that creates the identities, recorded in the audit log as nhi check --audit-log does
    _ok(_run(["terraform", "plan", "-input=false", "-out=create.tfplan"], base, tools), "terraform plan")
    (base / "create.json").write_text(
        _ok(_run(["terraform", "show", "-json", "create.tfplan"], base, tools), "terraform show"), encoding="utf-8")
    _ok(_run(["nhi", "check", "create.json", "--audit-log", "audit.jsonl"], base, tools), "nhi check --audit-log")
    (base / "create.json").unlink()
    (base / "create.tfplan").unlink()
    for root in (base, base / "infra"):
        _ok(_run(["terraform", "apply", "-input=false", "-auto-approve"], root, tools), "terraform apply")
    _ok(_run(["terraform", "plan", "-input=false", "-out=tf.plan"], base, tools), "terraform plan")
    (base / "plan.json").write_text(
        _ok(_run(["terraform", "show", "-json", "tf.plan"], base, tools), "terraform show"), encoding="utf-8")
    shutil.copytree(REPO / "tests" / "fixtures" / "modules" / "cdktf" / "stacks" / "app",
                    base / "cdktf.out" / "stacks" / "app")
    (base / "leavers.csv").write_text("owner,left_on\nmallory@example.com,2026-01-31\n", encoding="utf-8")
    _ok(_run(["nhi", "check", "plan.json", "--write-baseline", "nhi-baseline.json", "--baseline-until",
              "2027-03-31"], base, tools), "nhi check --write-baseline")
    return base


def _expected_exits(code: str) -> list[str]:
    return [f"exit {m.group(1)}" for line in code.splitlines() if (m := EXPECTED_FAILURE.search(line))]


def _printed_exits(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if re.fullmatch(r"exit \d+", line)]


def _run_shell(example: Example, cwd: Path, env: Mapping[str, str]) -> None:
    proc = _run(["bash", "-euo", "pipefail", "-c", example.code], cwd, env)
    assert proc.returncode == 0, (
        f"{example.id} failed (exit {proc.returncode}):\n{example.code}\n--- stdout\n{proc.stdout[-4000:]}"
        f"\n--- stderr\n{proc.stderr[-4000:]}")
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    assert _printed_exits(proc.stdout) == _expected_exits(example.code), proc.stdout[-4000:]


@pytest.mark.parametrize("example", [_param(e) for e in examples() if not e.is_cdktf])
def test_example_runs(example: Example, tools: dict[str, str], tmp_path: Path,
                      request: pytest.FixtureRequest) -> None:
    if example.lang in PYTHON:  # none outside CDKTF today; run in an empty folder
        proc = _run([sys.executable, "-c", example.code], tmp_path, tools)
        assert proc.returncode == 0, f"{example.id}:\n{proc.stderr[-4000:]}"
        return
    work = tmp_path / "work"
    shutil.copytree(request.getfixturevalue("workspace"), work, symlinks=True)
    _run_shell(example, work, tools)


RUNNER = """
import os, shutil, sys
for n, path in enumerate(sys.argv[1:]):
    code = open(path, encoding="utf-8").read()
    exec(compile(code, path, "exec"), {"__name__": "__main__"})
    os.rename("cdktf.out", f"out-{n}")
"""


@pytest.mark.cdktf
def test_cdktf_examples_synthesize_quietly_and_check_clean(tools: dict[str, str], tmp_path: Path) -> None:
    found = [e for e in examples() if e.is_cdktf]
    python = [e for e in found if e.lang in PYTHON and not e.skip_reason]
    shell = [e for e in found if e.lang in SHELL and not e.skip_reason]
    assert python, [e.id for e in found]

    # every Python example in one process (one Node.js runtime), each into its own folder
    scratch = tmp_path / "python"
    scratch.mkdir()
    files = []
    for n, example in enumerate(python):
        path = tmp_path / f"example-{n}.py"
        path.write_text(example.code, encoding="utf-8")
        files.append(str(path))
    proc = _run([sys.executable, "-c", RUNNER, *files], scratch, tools, timeout=600)
    assert proc.returncode == 0, f"{[e.id for e in python]}:\n{proc.stderr[-4000:]}"
    assert "node" not in proc.stderr.lower(), proc.stderr[-3000:]
    for n, example in enumerate(python):
        check = _run(["nhi", "check", f"out-{n}", "-f", "json"], scratch, tools, timeout=120)
        assert check.returncode == 0, f"{example.id}: {check.stdout[-2000:]}{check.stderr[-2000:]}"
        summary = json.loads(check.stdout)["summary"]
        assert summary["identities"] >= 2, (example.id, summary)
        active = summary["by_severity"]
        assert active["error"] == active["warning"] == 0, (example.id, summary)  # waived ones not counted
        if "suppress(" not in example.code:  # a waiver may be stale at the pinned clock (info)
            assert summary["findings"] == 0, (example.id, summary)

    # shell examples of the example stacks: a copy of what they need of the repository
    for example in shell:
        work = tmp_path / f"shell-{example.line}"
        clone = work / "nhi-toolkit"
        clone.mkdir(parents=True)
        shutil.copytree(REPO / "stacks", clone / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(REPO / "cdktf.json", clone / "cdktf.json")
        _run_shell(example, work, tools)
