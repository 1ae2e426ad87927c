"""The HCL parse cache and parallel parse: same bytes as a serial run, counted hits, safe entries."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES, NOW_TEXT, REPO

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders import hcl_cache, hcl_result, load_document
from nhi_toolkit.loaders.common import read_bytes
from nhi_toolkit.loaders.hcl import extract

# Runs the CLI with the pool threshold lowered (tiny trees still go through workers) and reports
# how many files were parsed, and by workers, on the last stderr line. The whole-load result cache
# (tested in test_loaders_hcl_result.py) is off: these tests are about the files.
_RUN = """
import atexit, json, sys
import nhi_toolkit.loaders.hcl_cache as c
import nhi_toolkit.loaders.hcl_result as r
c.MIN_PARALLEL_BYTES = 0
r.ENABLED = False
atexit.register(lambda: sys.stderr.write("\\nSTATS " + json.dumps([c.parse_count(), c.pooled_count()])))
from nhi_toolkit.cli import main
main(sys.argv[1:], prog_name="nhi")
"""


def run(args: list[str], cache: Path | None, workers: int = 2, no_cache: bool = False) -> tuple[int, str, str, list[int]]:
    """``nhi`` in a fresh process: (exit code, stdout, stderr without the stats line, [parsed, pooled])."""
    env = {k: v for k, v in os.environ.items() if k not in ("NHI_CACHE_DIR", "NHI_NO_CACHE")}
    env.update(PYTHONPATH=str(REPO), NHI_PARSE_WORKERS=str(workers))
    if cache is not None:
        env["NHI_CACHE_DIR"] = str(cache)
    else:  # never the user's own cache folder
        env["NHI_NO_CACHE"] = "1"
    argv = [*args, "--now", NOW_TEXT] + (["--no-cache"] if no_cache else [])
    proc = subprocess.run([sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    err, _, stats = proc.stderr.rpartition("\nSTATS ")
    return proc.returncode, proc.stdout, err, json.loads(stats)


def check(target: Path, cache: Path | None, **kw: object) -> tuple[int, str, str, list[int]]:
    return run(["check", str(target), "--format", "json"], cache, **kw)  # type: ignore[arg-type]


def one_dir_per_file(files: list[Path], out: Path) -> Path:
    """Each file as the root module of its own folder (a tree of many roots read in one load)."""
    for i, f in enumerate(sorted(files)):
        (out / f"{i:02d}").mkdir(parents=True)
        shutil.copy(f, out / f"{i:02d}" / "main.tf")
    return out


def entries(cache: Path) -> list[Path]:
    folder = cache / "hcl"
    return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("root-")) \
        if folder.is_dir() else []


_LOCAL_CALL = re.compile(r'source\s*=\s*"\.\.?/')


def corpus_hcl() -> list[Path]:
    """The corpus's .tf files that stand alone (no call of a local module folder not shared)."""
    return [p for p in sorted((CORPUS / "hcl").glob("*.tf")) if not _LOCAL_CALL.search(p.read_text())]


def trees(tmp_path: Path) -> Iterator[Path]:
    yield from sorted(p for p in (FIXTURES / "modules").iterdir() if p.is_dir())
    yield one_dir_per_file(corpus_hcl(), tmp_path / "corpus")


def test_serial_parallel_and_cached_runs_give_the_same_bytes(tmp_path: Path) -> None:
    for tree in trees(tmp_path):
        serial = check(tree, None, workers=1, no_cache=True)
        cache = tmp_path / f"cache-{tree.name}"
        cold = check(tree, cache)
        warm = check(tree, cache)
        assert serial[:3] == cold[:3] == warm[:3], tree
        assert serial[0] in (0, 1), (tree, serial[2])
        files = len({read_bytes(str(p)) for p in tree.rglob("*.tf")})
        # warm: every file from the cache, but one keeping a literal under a secret field name
        assert cold[3][0] == files and warm[3][0] == files - len(entries(cache)) <= 1, tree
        assert serial[3][1] == 0
        if files > 1 and sys.platform.startswith("linux"):
            assert cold[3][1] == files, tree  # parsed by the workers


def test_single_files_of_the_corpus_cached_and_not(tmp_path: Path) -> None:
    files = sorted(str(p) for p in (CORPUS / "hcl").glob("*.tf"))
    args = ["check", *files, "--format", "json"]
    assert run(args, None, no_cache=True)[:3] == run(args, tmp_path)[:3] == run(args, tmp_path)[:3]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(hcl_result, "ENABLED", False)
    folder = tmp_path / "cache"
    monkeypatch.setenv("NHI_CACHE_DIR", str(folder))
    monkeypatch.setenv("NHI_PARSE_WORKERS", "1")
    return folder


def load(path: Path) -> tuple[int, str]:
    """(files parsed, the loaded resources as text) for one in-process load."""
    before = hcl_cache.parse_count()
    docs = load_document(str(path))
    return hcl_cache.parse_count() - before, repr([d.resources for d in docs])


def test_warm_load_parses_nothing_and_a_changed_file_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "modules" / "tree", tree)
    parsed, first = load(tree)
    assert parsed == len(list(tree.rglob("*.tf")))
    assert load(tree) == (0, first)
    main = tree / "main.tf"
    main.write_text(main.read_text() + '\nresource "aws_iam_user" "added" {\n  name = "added"\n}\n')
    parsed, changed = load(tree)
    assert parsed == 1 and "added" in changed and "added" not in first
    assert load(tree) == (0, changed)


def test_cache_folder_and_entries_are_private_json(cache: Path) -> None:
    load(FIXTURES / "modules" / "tree")
    found = entries(cache)
    assert found
    assert stat.S_IMODE((cache / "hcl").stat().st_mode) == 0o700
    for p in found:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert isinstance(json.loads(p.read_bytes()), dict)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "wrong-shape", "foreign", "other-parser",
                                    "directory"])
def test_damaged_entries_are_parsed_again(cache: Path, damage: str) -> None:
    tree = FIXTURES / "modules" / "tree"
    parsed, expected = load(tree)
    found = entries(cache)
    for i, p in enumerate(found):
        data = p.read_bytes()
        entry = json.loads(data)
        if damage == "truncated":
            p.write_bytes(data[: len(data) // 2])
        elif damage == "garbage":
            p.write_bytes(b"\x00\xff not json")
        elif damage == "empty":
            p.write_bytes(b"")
        elif damage == "wrong-shape":
            entry["decls"]["resources"] = [["aws_iam_user", 7, None, [], "x"]]
            p.write_text(json.dumps(entry))
        elif damage == "foreign":  # another file's entry under this name
            p.write_bytes(found[(i + 1) % len(found)].read_bytes())
        elif damage == "other-parser":
            entry["parser"] = "python-hcl2 0.0.1"
            p.write_text(json.dumps(entry))
        else:
            p.unlink()
            p.mkdir()
    again, result = load(tree)
    assert result == expected
    assert again == (parsed if damage != "foreign" or len(found) > 1 else 0)


def test_an_entry_kept_for_other_wanted_types_is_not_used(cache: Path) -> None:
    path = str(FIXTURES / "modules" / "tree" / "modules" / "bot" / "main.tf")
    nothing = hcl_cache.declarations([path], lambda t: False, extract, read_bytes)[path]
    assert isinstance(nothing, dict) and nothing["resources"] == []
    before = hcl_cache.parse_count()
    everything = hcl_cache.declarations([path], lambda t: True, extract, read_bytes)[path]
    assert hcl_cache.parse_count() == before + 1
    assert isinstance(everything, dict) and everything["resources"]


def test_no_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "never"
    code, _out, _err, stats = check(FIXTURES / "modules" / "tree", cache, no_cache=True)
    assert code in (0, 1) and stats[0] > 0
    assert not cache.exists()
    with hcl_cache.caching(False):
        assert hcl_cache.cache_dir() is None


@pytest.mark.parametrize("shape", ["file", "symlink", "read-only"])
def test_an_unusable_cache_folder_is_skipped(tmp_path: Path, shape: str) -> None:
    tree = FIXTURES / "modules" / "tree"
    expected = check(tree, None, no_cache=True)[:3]
    cache = tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if shape == "file":
        cache.write_text("not a folder")
    elif shape == "symlink":
        cache.mkdir()
        (cache / "hcl").symlink_to(elsewhere)
    else:
        if os.geteuid() == 0:
            pytest.skip("running as root: a read-only folder is still writable")
        cache.mkdir(mode=0o500)
    try:
        assert check(tree, cache)[:3] == expected
    finally:
        cache.chmod(0o700) if cache.is_dir() else None
    assert list(elsewhere.iterdir()) == []


def test_concurrent_runs_share_one_cache(tmp_path: Path) -> None:
    tree = one_dir_per_file(corpus_hcl(), tmp_path / "tree")
    expected = check(tree, None, no_cache=True)[:3]
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NHI_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "nhi_toolkit.cli", "check", str(tree), "--format", "json", "--now", NOW_TEXT]
    for _ in range(2):
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert (proc.returncode, out, err) == expected
    files = len({read_bytes(str(p)) for p in tree.rglob("*.tf")})
    assert check(tree, cache)[3][0] == files - len(entries(cache)) <= 1  # every entry whole and usable
    assert not [p for p in (cache / "hcl").iterdir() if p.name.startswith(".tmp-")]


CANARY_TF = """
variable "db_password" {
  type      = string
  sensitive = true
  default   = "CANARY-variable-default"
}

output "secret_out" {
  value     = "CANARY-output-value"
  sensitive = true
}

resource "aws_iam_user" "bot" {
  name = "bot"
  tags = { owner = "team@example.com", expires_at = "2027-01-01" }
}

resource "aws_iam_access_key" "bot" {
  user = aws_iam_user.bot.name
}

resource "aws_iam_user_login_profile" "bot" {
  user     = aws_iam_user.bot.name
  password = "CANARY-login-password"
}

resource "aws_secretsmanager_secret" "copy" {
  name = "copy"
  tags = { owner = "team@example.com", expires_at = "2027-01-01" }
}

resource "aws_secretsmanager_secret_version" "copy" {
  secret_id     = aws_secretsmanager_secret.copy.id
  secret_string = "CANARY-${aws_iam_access_key.bot.secret}"
}

resource "aws_secretsmanager_secret_version" "literal" {
  secret_id     = aws_secretsmanager_secret.copy.id
  secret_string = "CANARY-secret-string"
}
"""


CANARY_CALLER_TF = """
locals {
  password = "CANARY-local"
}

module "db" {
  source   = "./db"
  password = "CANARY-module-argument"
}
"""

CANARY_CHILD_TF = """
variable "password" {
  type = string
}

resource "aws_iam_user" "db" {
  name = "db"
  tags = { owner = "team@example.com", expires_at = "2027-01-01" }
}
"""


def test_no_secret_value_reaches_the_cache(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(CANARY_TF)
    (tree / "caller").mkdir()
    (tree / "caller" / "main.tf").write_text(CANARY_CALLER_TF)
    (tree / "caller" / "db").mkdir()
    (tree / "caller" / "db" / "main.tf").write_text(CANARY_CHILD_TF)
    cache = tmp_path / "cache"
    expected = check(tree, None, no_cache=True)
    cold, warm = check(tree, cache), check(tree, cache)
    assert cold[:3] == expected[:3] == warm[:3]
    assert "aws_iam_access_key.bot" in expected[1] and "module.db.aws_iam_user.db" in expected[1]
    assert warm[3][0] == 1  # the caller keeps a literal under a secret name: never cached, parsed again
    found = entries(cache)
    assert len(found) == 2
    for p in found:
        assert b"CANARY" not in p.read_bytes()


def test_a_syntax_error_is_reported_on_every_run_and_never_cached(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "bad").mkdir(parents=True)
    (tree / "main.tf").write_text('resource "aws_iam_user" "ok" {\n  name = "ok"\n}\n')
    (tree / "bad" / "main.tf").write_text('resource "aws_iam_user" "x" {\n  name = "x"\n  tags = {\n}\n')
    cache = tmp_path / "cache"
    first = check(tree, cache)
    second = check(tree, cache)
    assert first[0] == second[0] == 2
    assert first[2] == second[2] and "bad/main.tf:" in first[2] and "Traceback" not in first[2]
    # A load that fails writes nothing: it was never evaluated, so no entry could be screened.
    assert second[3][0] == 2
    assert entries(cache) == []


def test_read_errors_stay_errors(cache: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.tf")
    found: Mapping[str, object] = hcl_cache.declarations([missing], lambda t: True, extract, read_bytes)
    assert isinstance(found[missing], InputError)


def test_cache_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NHI_CACHE_DIR", str(tmp_path / "mine"))
    assert hcl_cache.cache_dir() == str(tmp_path / "mine" / "hcl")
    monkeypatch.delenv("NHI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hcl_cache.cache_dir() == str(tmp_path / "xdg" / "nhi-toolkit" / "hcl")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hcl_cache.cache_dir() == str(tmp_path / "home" / ".cache" / "nhi-toolkit" / "hcl")
    assert stat.S_IMODE((tmp_path / "home" / ".cache" / "nhi-toolkit").stat().st_mode) == 0o700
    monkeypatch.setenv("NHI_NO_CACHE", "1")
    assert hcl_cache.cache_dir() is None


SENSITIVE_CHILD_TF = """
variable "handle" {
  type      = string
  sensitive = true
}

resource "aws_iam_user" "svc" {
  name = "svc"
  tags = { owner = "team@example.com", expires_at = "2027-01-01" }
}
"""


@pytest.mark.parametrize("argument", [
    '"CANARY-PASSED-LITERAL"',
    "local.handle",
    '"CANARY-${local.part}-TAIL"',
    'lower("CANARY-IN-A-CALL")',
    "local.composed",
])
def test_a_value_given_to_a_sensitive_variable_never_reaches_the_cache(tmp_path: Path, argument: str) -> None:
    """The caller's file alone does not say its argument is a secret: the child's ``sensitive = true``
    does. Entries are written after evaluation, and none holding such a value (or a part of it)."""
    tree = tmp_path / "tree"
    (tree / "child").mkdir(parents=True)
    (tree / "child" / "main.tf").write_text(SENSITIVE_CHILD_TF)
    (tree / "main.tf").write_text(
        'locals {\n  handle   = "CANARY-VIA-LOCAL"\n  part     = "CANARY-PART"\n'
        '  composed = "CANARY-COMPOSED-${local.part}"\n}\n\n'
        f'module "svc" {{\n  source = "./child"\n  handle = {argument}\n}}\n'
    )
    cache = tmp_path / "cache"
    expected = check(tree, None, no_cache=True)
    cold, warm = check(tree, cache), check(tree, cache)
    assert cold[:3] == expected[:3] == warm[:3]
    assert "module.svc.aws_iam_user.svc" in expected[1]
    for p in (cache / "hcl").iterdir():
        assert b"CANARY" not in p.read_bytes(), p.name
