"""Cache entries on disk: the folder stays under its size cap, least recently used first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, NOW_TEXT, REPO

from nhi_toolkit.loaders import cache_files


def entry(folder: Path, name: str, size: int, age: int) -> Path:
    """A fake entry of ``size`` bytes last used ``age`` seconds before the others."""
    path = folder / name
    path.write_bytes(b"{}" + b" " * (size - 2))
    when = 1_700_000_000 - age
    os.utime(path, (when, when))
    return path


def test_prune_removes_the_least_recently_used_down_to_three_quarters(tmp_path: Path) -> None:
    for n in range(10):
        entry(tmp_path, f"{n:064x}.json", 1000, age=n)  # 9.json is the oldest
    assert cache_files.prune(str(tmp_path), limit=10_000) == 0  # at the cap: nothing to do
    assert cache_files.prune(str(tmp_path), limit=8_000) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n:064x}.json" for n in range(6)]


def test_prune_leaves_what_is_not_an_entry(tmp_path: Path) -> None:
    outside = tmp_path.parent / "outside.json"
    entry(tmp_path.parent, "outside.json", 5000, age=100)
    (tmp_path / f"{3:064x}.json").symlink_to(outside)
    (tmp_path / f"{4:064x}.json").mkdir()
    entry(tmp_path, "notes.txt", 5000, age=100)
    entry(tmp_path, f"{1:064x}.json", 5000, age=50)  # old
    entry(tmp_path, f"root-{2:064x}.json", 5000, age=0)  # new
    assert cache_files.prune(str(tmp_path), limit=8000) == 1  # 10,000 bytes down to 6,000
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{3:064x}.json", f"{4:064x}.json", "notes.txt", f"root-{2:064x}.json"]
    assert outside.exists()


def test_a_read_counts_as_a_use(tmp_path: Path) -> None:
    used = entry(tmp_path, f"{1:064x}.json", 1000, age=100)
    entry(tmp_path, f"{2:064x}.json", 1000, age=50)
    assert cache_files.read_entry(str(used)) == {}
    assert cache_files.prune(str(tmp_path), limit=1500) == 1
    assert [p.name for p in tmp_path.iterdir()] == [used.name]


def test_prune_of_a_missing_folder_is_nothing(tmp_path: Path) -> None:
    assert cache_files.prune(str(tmp_path / "absent"), limit=0) == 0


@pytest.mark.parametrize(("text", "mib"), [("", 256), ("12", 12), ("0", 0), ("-3", 256), ("lots", 256)])
def test_the_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, text: str, mib: int) -> None:
    monkeypatch.setenv("NHI_CACHE_MAX_MB", text)
    assert cache_files.cache_limit() == mib * 1024 * 1024


def test_a_check_prunes_an_overfull_cache_and_prints_the_same(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    folder = cache / "hcl"
    folder.mkdir(parents=True, mode=0o700)
    stale = [entry(folder, f"{n:064x}.json", 512 * 1024, age=1000 + n) for n in range(4)]  # 2 MiB
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "modules" / "tree", tree)
    env = {k: v for k, v in os.environ.items() if k != "NHI_NO_CACHE"}
    env.update(PYTHONPATH=str(REPO), NHI_CACHE_DIR=str(cache), NHI_CACHE_MAX_MB="1")
    argv = [sys.executable, "-m", "nhi_toolkit.cli", "check", str(tree), "--format", "json", "--now", NOW_TEXT]
    first = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert first.returncode in (0, 1), first.stderr
    left = [p for p in stale if p.exists()]
    assert len(left) <= 1  # pruned to at most 768 KiB, the oldest first
    assert all(p.exists() for p in stale[: len(left)])
    again = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)


def test_prune_removes_only_the_cache_s_own_entries(tmp_path: Path) -> None:
    # NHI_CACHE_DIR may name a folder that already holds an `hcl` folder of someone's own JSON files
    # (a Terraform JSON module, a plan): those are not entries and a prune never removes them.
    mine = [entry(tmp_path, name, 5000, age=100) for name in ("main.tf.json", "plan.json", "cdk.tf.json")]
    entry(tmp_path, f"{'a' * 64}.json", 5000, age=50)
    entry(tmp_path, f"root-{'b' * 64}.json", 5000, age=40)
    entry(tmp_path, ".tmp-x1y2z3.json", 5000, age=30)
    entry(tmp_path, f"{'c' * 64}.json", 1000, age=0)
    assert cache_files.prune(str(tmp_path), limit=1000) == 4
    assert all(p.exists() for p in mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdk.tf.json", "main.tf.json", "plan.json"]


@pytest.mark.parametrize("text", ["\u00b2", "1\u00b3", "\u2460", "1.5", " 7 ", "\uff18"])
def test_an_odd_cap_is_the_default_or_its_whole_number(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    # str.isdigit() accepts superscripts and circled digits that int() refuses: only ASCII digits count.
    monkeypatch.setenv("NHI_CACHE_MAX_MB", text)
    expected = {" 7 ": 7}.get(text, 256)
    assert cache_files.cache_limit() == expected * 1024 * 1024


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_an_entry_is_not_waited_on(tmp_path: Path) -> None:
    # Opening a FIFO for reading waits for a writer: the run hung on a FIFO named like an entry.
    fifo = tmp_path / f"{'a' * 64}.json"
    os.mkfifo(fifo)
    code = f"from nhi_toolkit.loaders import cache_files; print(cache_files.read_entry({str(fifo)!r}))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("read_entry waited on a FIFO")
    assert (done.returncode, done.stdout) == (0, "None\n"), done.stderr
    assert cache_files.prune(str(tmp_path), limit=0) == 0 and fifo.exists()
