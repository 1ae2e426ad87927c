"""``-`` reads one input from standard input, through the installed ``nhi`` command; and the nearest
known key in config errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nhi_toolkit.config import config_from_mapping
from nhi_toolkit.errors import ConfigError, InputError
from nhi_toolkit.loaders import load_stdin
from nhi_toolkit.loaders.common import input_limit, read_stdin
from nhi_toolkit.model import InputKind

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-12-01"
PLAN = ROOT / "tests" / "fixtures" / "check" / "leavers" / "input" / "plan.json"
TF = ('# nhi:ignore[NHI002] until=2027-01-31 reason="vendor key, ticket SEC-12"\n'
      'resource "aws_iam_user" "u" {\n  name = "u"\n  tags = { owner = "alice" }\n}\n'
      'resource "aws_iam_user" "v" {\n  name = "v"\n}\n')


def _nhi(*args: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("nhi", path=str(Path(sys.executable).parent)) or shutil.which("nhi")
    assert exe, "the nhi command is not installed"
    return subprocess.run([exe, *args], check=False, capture_output=True, input=stdin, cwd=cwd, timeout=120)


def test_plan_from_stdin_matches_the_file(tmp_path: Path) -> None:
    data = PLAN.read_bytes()
    piped = _nhi("check", "-", "--now", NOW, "--format", "json", stdin=data, cwd=tmp_path)
    named = _nhi("check", str(PLAN), "--now", NOW, "--format", "json", stdin=b"", cwd=tmp_path)
    assert piped.returncode == named.returncode == 1, piped.stderr  # expired by then
    a, b = json.loads(piped.stdout), json.loads(named.stdout)
    assert a["inputs"] == ["-"] and {i["source"]["file"] for i in a["identities"]} == {"-"}
    assert [i["address"] for i in a["identities"]] == [i["address"] for i in b["identities"]]
    assert a["summary"] == b["summary"]


def test_tf_text_from_stdin_with_inline_suppression(tmp_path: Path) -> None:
    proc = _nhi("check", "-", "--now", NOW, "--format", "json", stdin=TF.encode(), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    found = sorted((f["rule"], f["address"], f["suppressed"], f["source"]["file"], f["source"]["line"])
                   for f in doc["findings"])
    assert found == [("missing-expiry", "aws_iam_user.u", True, "-", 2),
                     ("missing-expiry", "aws_iam_user.v", False, "-", 6),
                     ("missing-owner", "aws_iam_user.v", False, "-", 6)]


@pytest.mark.parametrize(("data", "args", "why"), [
    (b"", (), "-: file is empty"),
    (b'{"format_version": ', (), "-"),
    (b'resource "x" {', (), "-:1"),
    (b" " * (1024 * 1024 + 10), ("--max-input-mb", "1"), "-: is larger than the input size limit of 1 MiB"),
])
def test_bad_stdin_is_exit_2_naming_it(tmp_path: Path, data: bytes, args: tuple[str, ...], why: str) -> None:
    proc = _nhi("check", "-", "--now", NOW, *args, stdin=data, cwd=tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("nhi: error: " + why) and "Traceback" not in err


def test_stdin_given_twice_is_refused(tmp_path: Path) -> None:
    proc = _nhi("check", "-", "-", stdin=b"{}", cwd=tmp_path)
    assert proc.returncode == 2 and b"once" in proc.stderr


def test_stdin_reader_stops_at_the_cap() -> None:
    class Endless(io.RawIOBase):
        reads = 0

        def read(self, n: int = -1) -> bytes:
            self.reads += 1
            return b"x" * n

    stream = Endless()
    with input_limit(0.5), pytest.raises(InputError, match="larger than the input size limit"):
        read_stdin(stream=stream)
    assert stream.reads <= 2
    assert read_stdin(stream=io.BytesIO(b"abc")) == b"abc"


def test_load_stdin_sniffs_json() -> None:
    doc = load_stdin(stream=io.BytesIO(PLAN.read_bytes()))
    assert doc.path == "-" and doc.kind is InputKind.PLAN


@pytest.mark.parametrize(("data", "why"), [
    ({"fail_onn": "error"}, "unknown setting 'fail_onn' in [tool.nhi] (did you mean 'fail_on'?)"),
    ({"expiring_sooon_days": 3}, "(did you mean 'expiring_soon_days'?)"),
    ({"supress": []}, "(did you mean 'suppress'?)"),
    ({"unwaiveable": []}, "(did you mean 'unwaivable'?)"),
    ({"identity_types": {"x": {"tag_path": "tags"}}}, "unknown key 'tag_path' (did you mean 'tags_path'?)"),
    ({"declarations": [{"adress": "x"}]}, "unknown key 'adress' (did you mean 'address'?)"),
])
def test_unknown_config_key_suggests_the_nearest(data: dict[str, object], why: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data, "nhi.toml")
    assert why in err.value.message


def test_far_off_key_suggests_nothing() -> None:
    with pytest.raises(ConfigError) as err:
        config_from_mapping({"zzzzzz": 1}, "nhi.toml")
    assert err.value.message == "unknown setting 'zzzzzz' in [tool.nhi]"
