"""The whole-load result cache: same bytes as an uncached run, nothing parsed or evaluated when warm,
every input and setting that can change the result invalidates it, no secret ever stored."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES, NOW_TEXT, REPO

from nhi_toolkit.cli import main
from nhi_toolkit.loaders import hcl_cache, hcl_result, load_document
from nhi_toolkit.loaders.common import read_bytes
from nhi_toolkit.loaders.hcl import extract

FORMATS = ("json", "text", "sarif")


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def counts() -> tuple[int, int, int]:
    """(files parsed, directory loads evaluated, loads taken whole from the cache) so far."""
    return hcl_cache.parse_count(), hcl_result.load_count(), hcl_result.result_hits()


def cli(args: list[str], cache: Path | None, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str, list[int]]:
    """(exit code, stdout, stderr, [parsed, evaluated, whole hits]) of one in-process ``nhi`` run."""
    if cache is None:
        monkeypatch.setenv("NHI_NO_CACHE", "1")
        monkeypatch.setenv("NHI_PARSE_WORKERS", "1")
    else:
        monkeypatch.delenv("NHI_NO_CACHE", raising=False)
        monkeypatch.delenv("NHI_PARSE_WORKERS", raising=False)
        monkeypatch.setenv("NHI_CACHE_DIR", str(cache))
    before = counts()
    result = CliRunner().invoke(main, [*args, "--now", NOW_TEXT], env={"NHI_NOW": None})
    after = counts()
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr, [a - b for a, b in zip(after, before, strict=True)]


def one_dir_per_file(files: list[Path], out: Path) -> Path:
    for i, f in enumerate(sorted(files)):
        (out / f"{i:02d}").mkdir(parents=True)
        shutil.copy(f, out / f"{i:02d}" / "main.tf")
    return out


def targets(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """(folder to run in, ``check`` arguments): module fixtures, HCL check cases, the corpus."""
    for tree in sorted(p for p in (FIXTURES / "modules").iterdir() if p.is_dir()):
        yield tree.parent, [tree.name]
    for case in sorted((FIXTURES / "check").iterdir()):
        if (case / "input").is_dir() and any((case / "input").rglob("*.tf")):
            args = [f"input/{p.name}" for p in sorted((case / "input").iterdir())]
            if (case / "nhi.toml").is_file():
                args += ["--config", "nhi.toml"]
            if (case / "leavers.csv").is_file():
                args += ["--leavers", "leavers.csv"]
            yield case, args
    if CORPUS.is_dir():
        yield CORPUS, ["hcl"]
        alone = [p for p in sorted((CORPUS / "hcl").glob("*.tf")) if not _LOCAL_CALL.search(p.read_text())]
        yield tmp_path, [str(one_dir_per_file(alone, tmp_path / "corpus"))]
        # without the files keeping a literal under a secret field name (never stored whole)
        storable = [p for p in alone if hcl_cache.storable(extract(str(p), read_bytes(str(p)), lambda t: True))]
        yield tmp_path, [str(one_dir_per_file(storable, tmp_path / "corpus-storable"))]


_LOCAL_CALL = re.compile(r'source\s*=\s*"\.\.?/')


def test_cached_uncached_and_serial_runs_print_the_same_bytes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []
    for n, (where, args) in enumerate(targets(tmp_path)):
        cache = tmp_path / f"cache-{n}"
        with inside(where):
            for fmt in FORMATS:
                argv = ["check", *args, "--format", fmt]
                serial = cli([*argv, "--no-cache"], None, monkeypatch)
                cold = cli(argv, cache, monkeypatch)
                warm = cli(argv, cache, monkeypatch)
                assert serial[:3] == cold[:3] == warm[:3], (where, args, fmt)
                if warm[3][2]:  # taken whole: nothing parsed, nothing evaluated
                    assert warm[3][:2] == [0, 0], (where, args)
                    served.append(Path(args[0]).name)
        for p in roots(cache):
            assert b"CANARY" not in p.read_bytes(), (where, args)
    # every HCL folder that loads, in every format (the corpus folder holding a literal under a
    # secret field name is loaded every run; the cdktf fixture is no HCL folder)
    expected = ["tree", "sensitive", "hcl", "hcl", "corpus-storable"] if CORPUS.is_dir() else ["tree", "sensitive"]
    assert sorted(served) == sorted(expected * 3)


def load(path: Path) -> tuple[list[int], str]:
    """([parsed, evaluated, whole hits], the loaded documents as text) of one in-process load."""
    before = counts()
    docs = load_document(str(path))
    after = counts()
    return [a - b for a, b in zip(after, before, strict=True)], repr(
        [(d.path, d.kind, d.resources, [(r.values, r.metadata) for r in d.resources], d.notes) for d in docs])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NHI_CACHE_DIR", str(folder))
    monkeypatch.setenv("NHI_PARSE_WORKERS", "1")
    monkeypatch.delenv("NHI_NO_CACHE", raising=False)
    return folder


def roots(cache: Path) -> list[Path]:
    folder = cache / "hcl"
    return sorted(folder.glob("root-*.json")) if folder.is_dir() else []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    out = tmp_path / "tree"
    shutil.copytree(FIXTURES / "modules" / "tree", out)
    return out


def test_a_warm_load_parses_and_evaluates_nothing(cache: Path, tree: Path) -> None:
    cold, first = load(tree)
    assert cold[0] > 0 and cold[1] == 1 and cold[2] == 0
    assert load(tree) == ([0, 0, 1], first)
    assert len(roots(cache)) == 1


def changes(tree: Path) -> Iterator[tuple[str, Path, str]]:
    """(what, file, new text): one input changed each time."""
    child = tree / "modules" / "bot" / "main.tf"
    yield "child module .tf", child, child.read_text().replace("expires_at", "expires_at_changed", 1)
    yield "root .tfvars", tree / "terraform.tfvars", 'unused_name = "x"\n'
    yield "new .tf file", tree / "extra.tf", 'resource "aws_iam_user" "extra" {\n  name = "extra"\n}\n'
    yield "hidden .tf file", tree / ".hidden.tf", 'resource "aws_iam_user" "hidden" {\n  name = "h"\n}\n'


def test_a_change_to_any_input_invalidates(cache: Path, tree: Path) -> None:
    _, base = load(tree)
    for what, path, text in changes(tree):
        existed = path.exists()
        old = path.read_text() if existed else None
        uncached = _uncached(tree)
        path.write_text(text)
        counted, changed = load(tree)
        assert counted[2] == 0 and counted[1] == 1, what  # evaluated again, not served whole
        assert changed == _uncached(tree), what
        assert load(tree) == ([0, 0, 1], changed), what  # and the new result is cached in turn
        if old is None:
            path.unlink()
        else:
            path.write_text(old)
        assert load(tree)[1] == base == uncached, what


def _uncached(tree: Path) -> str:
    with hcl_cache.caching(False):
        return load(tree)[1]


def test_tfvars_change_reaches_the_result(cache: Path, tmp_path: Path) -> None:
    tree = tmp_path / "vars"
    tree.mkdir()
    (tree / "main.tf").write_text('variable "team" {\n  type = string\n}\n\nresource "aws_iam_user" "u" {\n'
                                  '  name = "u"\n  tags = { owner = var.team }\n}\n')
    (tree / "terraform.tfvars").write_text('team = "first@example.com"\n')
    assert "first@example.com" in load(tree)[1]
    (tree / "x.auto.tfvars").write_text('team = "second@example.com"\n')
    counted, text = load(tree)
    assert counted[2] == 0 and "second@example.com" in text and "first@example.com" not in text


def test_a_module_outside_the_tree_is_checked(cache: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "bot"
    shared.mkdir(parents=True)
    (shared / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "one"\n}\n')
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('module "bot" {\n  source = "../shared/bot"\n}\n')
    _, first = load(root)
    assert "'one'" in first and load(root)[0] == [0, 0, 1]
    (shared / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "two"\n}\n')
    counted, second = load(root)
    assert counted[2] == 0 and "'two'" in second


def test_the_wanted_types_are_part_of_the_key(cache: Path, tree: Path) -> None:
    everything = load_document(str(tree))
    before = counts()
    nothing = load_document(str(tree), wanted=lambda t: False)
    assert counts()[2] == before[2]  # not served from the entry kept for every type
    assert all(not d.resources for d in nothing) and any(d.resources for d in everything)
    assert load_document(str(tree), wanted=lambda t: False) == nothing
    assert counts()[2] == before[2] + 1


def test_the_path_as_given_is_part_of_the_key(cache: Path, tree: Path) -> None:
    with inside(tree.parent):
        relative = load_document("tree")
    absolute = load_document(str(tree))
    assert relative[0].path == "tree" and absolute[0].path == str(tree)
    assert relative[0].resources[0].source.file.startswith("tree/")


def test_no_cache_bypasses_the_result_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tree: Path) -> None:
    cache = tmp_path / "never"
    code, _out, _err, stats = cli(["check", str(tree), "--format", "json", "--no-cache"], cache, monkeypatch)
    assert code in (0, 1) and stats[1] == 1 and not cache.exists()
    monkeypatch.setenv("NHI_NO_CACHE", "1")
    load(tree)
    assert not cache.exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "wrong-shape", "bad-unknown-path",
                                    "foreign", "other-format", "directory", "line-as-float", "line-as-bool"])
def test_damaged_entries_are_ignored(cache: Path, tree: Path, tmp_path: Path, damage: str) -> None:
    other = tmp_path / "other"
    shutil.copytree(FIXTURES / "modules" / "sensitive", other)
    load(other)
    _, expected = load(tree)
    found = roots(cache)
    mine = next(p for p in found if str(tree).encode() in p.read_bytes())
    data = mine.read_bytes()
    entry = json.loads(data)
    if damage == "truncated":
        mine.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        mine.write_bytes(b"\x00\xff not json")
    elif damage == "empty":
        mine.write_bytes(b"")
    elif damage == "wrong-shape":
        entry["docs"][0][2][0][0] = 7
        mine.write_text(json.dumps(entry))
    elif damage == "bad-unknown-path":
        entry["docs"][0][2][0][10] = [["no-such-key"]]
        mine.write_text(json.dumps(entry))
    elif damage == "foreign":
        mine.write_bytes(next(p for p in found if p != mine).read_bytes())
    elif damage == "other-format":
        entry["format"] = 0
        mine.write_text(json.dumps(entry))
    elif damage in ("line-as-float", "line-as-bool"):
        # a location equal to one read before but for its line's type (1.0 == 1 == true in Python)
        first = entry["docs"][0][2][0][3]
        first[1] = 1
        entry["docs"][0][2][1][3] = [first[0], 1.0 if damage == "line-as-float" else True, *first[2:]]
        mine.write_text(json.dumps(entry))
    else:
        mine.unlink()
        mine.mkdir()
    counted, again = load(tree)
    assert again == expected and counted[1] == 1 and counted[2] == 0


def test_entries_are_private_json(cache: Path, tree: Path) -> None:
    load(tree)
    for p in roots(cache):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert isinstance(json.loads(p.read_bytes()), dict)
    assert stat.S_IMODE((cache / "hcl").stat().st_mode) == 0o700


def test_unknown_values_and_every_field_round_trip(cache: Path, tmp_path: Path) -> None:
    tree = tmp_path / "unknown"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'variable "secret_name" {\n  type = string\n  sensitive = true\n  default = "hidden"\n}\n\n'
        'resource "aws_iam_user" "u" {\n  for_each = toset(["a", "b"])\n  name = "u-${each.key}"\n'
        '  tags = { owner = var.secret_name, expires_at = timestamp(), n = 1.5, list = [1, aws_iam_user.x.id] }\n'
        '  lifecycle {\n    prevent_destroy = true\n  }\n}\n\n'
        'resource "aws_iam_access_key" "k" {\n  count = length(var.unknown_list)\n  user = aws_iam_user.u["a"].name\n}\n\n'
        'module "remote" {\n  source = "git::https://user:token@example.com/x.git?ref=v1"\n}\n\n'
        'removed {\n  from = aws_iam_user.gone\n  lifecycle {\n    destroy = false\n  }\n}\n')
    with hcl_cache.caching(False):
        expected = load_document(str(tree))
    cold = load_document(str(tree))
    warm = load_document(str(tree))
    assert counts() and roots(cache)
    for a, b in zip(expected, warm, strict=True):
        assert a == b and a.notes == b.notes and a.metadata == b.metadata
        for x, y in zip(a.resources, b.resources, strict=True):
            assert x == y and x.values == y.values and x.metadata == y.metadata
            assert repr(x.values) == repr(y.values) and x.source.module_call == y.source.module_call
            assert x.source.column == y.source.column and x.source.construct_path == y.source.construct_path
    assert cold == warm
    assert "UNKNOWN" in repr([r.values for d in warm for r in d.resources])


def test_a_warm_load_shares_each_blocks_location(cache: Path, tmp_path: Path) -> None:
    # The instances of one block (and of one module call) come back sharing one location record, so
    # the reporters write it once; each is still equal, field by field, to an uncached load's.
    tree = tmp_path / "shared"
    (tree / "m").mkdir(parents=True)
    (tree / "m" / "main.tf").write_text(
        'variable "n" {}\nresource "aws_iam_user" "u" {\n  for_each = toset(["a", "b"])\n'
        '  name = "${var.n}-${each.key}"\n}\n', encoding="utf-8")
    (tree / "main.tf").write_text(
        'module "one" {\n  source   = "./m"\n  for_each = toset(["x", "y"])\n  n        = each.key\n}\n'
        'module "two" {\n  source = "./m"\n  n      = "z"\n}\n', encoding="utf-8")
    with hcl_cache.caching(False):
        expected = load_document(str(tree))
    load_document(str(tree))
    warm = load_document(str(tree))
    assert len(roots(cache)) == 1
    got = [r for d in warm for r in d.resources]
    want = [r for d in expected for r in d.resources]
    assert len(got) == 6
    for x, y in zip(want, got, strict=True):
        assert (x.source.file, x.source.line, x.source.column, x.source.module_call, x.source.input) == \
            (y.source.file, y.source.line, y.source.column, y.source.module_call, y.source.input)
    by_call: dict[tuple[object, ...], set[int]] = {}
    for r in got:
        by_call.setdefault((r.source.file, r.source.line, r.source.module_call), set()).add(id(r.source))
    assert len(by_call) == 2 and all(len(ids) == 1 for ids in by_call.values())  # one.x/one.y share


CANARY_ROOT = """
variable "db_password" {
  type      = string
  sensitive = true
  default   = "CANARY-variable-default"
}

variable "label" {
  type      = string
  sensitive = true
}

resource "aws_iam_user" "bot" {
  name = "bot"
  tags = { owner = "team@example.com", expires_at = "2027-01-01", label = var.label }
}

resource "aws_iam_user_login_profile" "bot" {
  user     = aws_iam_user.bot.name
  password = "CANARY-login-password"
}

resource "aws_secretsmanager_secret_version" "literal" {
  secret_id     = "x"
  secret_string = "CANARY-secret-string"
}
"""


def test_no_secret_value_reaches_a_result_entry(cache: Path, tmp_path: Path) -> None:
    tree = tmp_path / "canary"
    tree.mkdir()
    (tree / "main.tf").write_text(CANARY_ROOT)
    (tree / "terraform.tfvars").write_text('label = "CANARY-sensitive-tfvars"\n')
    load(tree)
    assert load(tree)[0] == [0, 0, 1]  # stored: nothing secret was kept
    for p in (cache / "hcl").iterdir():
        assert b"CANARY" not in p.read_bytes()
    # a tfvars value under a secret field name, a module argument likewise: the load is not stored
    (tree / "terraform.tfvars").write_text('label = "x"\npassword = "CANARY-tfvars-password"\n')
    assert load(tree)[0][1:] == [1, 0] and load(tree)[0][1:] == [1, 0]
    (tree / "terraform.tfvars").unlink()
    (tree / "db").mkdir()
    (tree / "db" / "main.tf").write_text('variable "password" {\n  type = string\n}\n')
    (tree / "call.tf").write_text('module "db" {\n  source   = "./db"\n  password = "CANARY-argument"\n}\n')
    assert load(tree)[0][1:] == [1, 0] and load(tree)[0][1:] == [1, 0]
    for p in (cache / "hcl").iterdir():
        assert b"CANARY" not in p.read_bytes()


def test_concurrent_runs_share_one_cache(tmp_path: Path, tree: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NHI_CACHE_DIR": str(cache)}
    env.pop("NHI_NO_CACHE", None)
    cmd = [sys.executable, "-m", "nhi_toolkit.cli", "check", str(tree), "--format", "json", "--now", NOW_TEXT]
    expected = subprocess.run([*cmd, "--no-cache"], capture_output=True, text=True, env=env, check=False,
                              timeout=600)
    for _ in range(2):
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(3)]
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert (proc.returncode, out, err) == (expected.returncode, expected.stdout, expected.stderr)
    assert len(roots(cache)) == 1
    assert not [p for p in (cache / "hcl").iterdir() if p.name.startswith(".tmp-")]


def test_a_warm_run_imports_no_parser(tmp_path: Path, tree: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NHI_CACHE_DIR": str(cache)}
    env.pop("NHI_NO_CACHE", None)
    code = ("import sys; from nhi_toolkit.cli import main\n"
            "try:\n    main(sys.argv[1:], prog_name='nhi')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hcl2', 'lark')"
            " or m in ('nhi_toolkit.loaders.hcl', 'nhi_toolkit.loaders.modules')), file=sys.stderr)")
    argv = [sys.executable, "-c", code, "check", str(tree), "--format", "json", "--now", NOW_TEXT]
    cold = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=600)
    warm = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=600)
    assert cold.stdout == warm.stdout
    assert "hcl2" in cold.stderr
    assert warm.stderr.strip().splitlines()[-1] == "[]"


def test_a_retargeted_folder_link_invalidates(cache: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(f'resource "aws_iam_user" "u" {{\n  name = "{name}-user"\n}}\n')
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('module "bot" {\n  source = "./bot"\n}\n')
    (root / "bot").symlink_to(tmp_path / "a", target_is_directory=True)
    assert "a-user" in load(root)[1] and load(root)[0] == [0, 0, 1]
    (root / "bot").unlink()
    (root / "bot").symlink_to(tmp_path / "b", target_is_directory=True)
    counted, text = load(root)
    assert counted[2] == 0 and "b-user" in text and "a-user" not in text


def test_a_config_naming_another_type_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "custom"
    tree.mkdir()
    (tree / "main.tf").write_text('resource "acme_robot" "r" {\n  name = "r"\n}\n')
    config = tmp_path / "nhi.toml"
    config.write_text('[tool.nhi.identity_types.acme_robot]\ntags_path = "tags"\ncategory = "custom"\n')
    cache = tmp_path / "cache"
    plain = ["check", str(tree), "--format", "json"]
    custom = [*plain, "--config", str(config)]
    hits = []
    for args in (plain, plain, custom, custom, plain):
        got = cli(args, cache, monkeypatch)
        assert got[:3] == cli([*args, "--no-cache"], None, monkeypatch)[:3]
        hits.append(got[3][2])
    # one entry per tree: kept for the last setting, never served for another
    assert hits == [0, 1, 0, 1, 0]
    assert "acme_robot.r" in cli(custom, cache, monkeypatch)[1]
    assert "acme_robot.r" not in cli(plain, cache, monkeypatch)[1]


def test_a_tree_changed_while_it_loads_is_not_stored(cache: Path, tree: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from nhi_toolkit.loaders import hcl

    real = hcl.load_hcl_dir
    main_tf = tree / "main.tf"

    def edited_meanwhile(directory: str, wanted: object) -> object:
        docs = real(directory, wanted)  # type: ignore[arg-type]
        main_tf.write_text(main_tf.read_text() + "\n# edited while loading\n")
        return docs

    monkeypatch.setattr(hcl, "load_hcl_dir", edited_meanwhile)
    load(tree)
    assert roots(cache) == []  # what was loaded may not be what the new bytes give
    monkeypatch.setattr(hcl, "load_hcl_dir", real)
    load(tree)
    assert len(roots(cache)) == 1 and load(tree)[0] == [0, 0, 1]
