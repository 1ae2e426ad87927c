"""Inputs as an attacker or a careless user gives them: things that are not files, inputs too large,
JSON that Terraform never writes, and names or text that try to drive the terminal.

Every run that could hang goes through a subprocess with a timeout, so a regression fails instead
of blocking the suite.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import NHI, NOW_TEXT, change, plan_doc, state_doc, state_resource, write_json

from nhi_toolkit.cli import main
from nhi_toolkit.config import config_from_mapping
from nhi_toolkit.errors import ConfigError, InputError, NhiError, printable
from nhi_toolkit.loaders.common import input_limit, parse_json, read_bytes

OWNER = "alice@example.com"
TAGS = {"owner": OWNER, "expires_at": "2026-12-31"}
#: A value that must never appear in any message.
SECRET = "s3cr3t-VALUE-never-shown-Zq9"
#: Bytes that must never reach a terminal raw from an input: ESC, CR, BEL, C1 CSI, bidi overrides.
RAW_CONTROLS = ("\x1b", "\r", "\x07", "\x9b", "\u202e", "\u2066", "\u200f")


@dataclass(frozen=True)
class Proc:
    """One ``nhi`` run, stdout and stderr as bytes (so raw control characters stay visible)."""

    code: int
    out: bytes
    err: bytes

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "surrogateescape")

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "surrogateescape")


def nhi(args: Sequence[str | bytes | Path], *, cwd: Path | None = None, timeout: float = 60) -> Proc:
    """Run the installed command with a hard timeout: a hang is a test failure, never a stuck suite."""
    env = {k: v for k, v in os.environ.items() if k not in ("NHI_NOW", "NHI_DEBUG")}
    try:
        proc = subprocess.run([NHI, *map(os.fsencode, args)], capture_output=True, cwd=cwd, env=env,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"nhi {' '.join(map(str, args))} did not finish in {timeout}s (it hangs)")
    return Proc(proc.returncode, proc.stdout, proc.stderr)


def check(*args: str | bytes | Path, cwd: Path | None = None) -> Proc:
    return nhi(["check", *args, "--now", NOW_TEXT], cwd=cwd)


def assert_one_clean_line(err: str) -> None:
    """One error line, no raw control or bidi character, no traceback, no secret."""
    assert err.count("\n") == 1 and err.endswith("\n"), repr(err)
    assert err.startswith("nhi: error: "), repr(err)
    body = err[:-1]
    assert body.isprintable(), repr(err)
    assert "Traceback" not in err and SECRET not in err


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return write_json(tmp_path / "plan.json",
                      plan_doc(change("aws_iam_user.u", {"name": "u", "tags": TAGS})))


# -- things that are not files ---------------------------------------------------------------------


def test_fifo_given_by_name_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    r = check(fifo)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert str(fifo) in r.stderr and "is a FIFO" in r.stderr


@pytest.mark.parametrize("name", ["plan.json", "terraform.tfstate", "main.tf.json", "cdk.tf.json"])
def test_fifo_inside_a_checked_directory_is_an_error_naming_it(tmp_path: Path, plan: Path, name: str) -> None:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n', encoding="utf-8")
    os.mkfifo(d / name)
    r = check(d)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert str(d / name) in r.stderr and "is a FIFO" in r.stderr


def test_fifo_in_a_stack_folder_is_an_error(tmp_path: Path) -> None:
    stack = tmp_path / "cdktf.out" / "stacks" / "app"
    stack.mkdir(parents=True)
    os.mkfifo(stack / "cdk.tf.json")
    r = check(tmp_path / "cdktf.out")
    assert r.code == 2 and "is a FIFO" in r.stderr and "cdk.tf.json" in r.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_character_devices_are_refused(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} not on this machine")
    r = check(device)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert device in r.stderr and "is a character device" in r.stderr


def test_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "plan.json"
    link.symlink_to("/dev/zero")
    r = check(link)
    assert r.code == 2 and "is a character device" in r.stderr and str(link) in r.stderr


def test_symlink_to_dev_zero_inside_a_directory_is_refused(tmp_path: Path, plan: Path) -> None:
    d = tmp_path / "states"
    d.mkdir()
    (d / "zero.tfstate").symlink_to("/dev/zero")
    r = check(d)
    assert r.code == 2 and "is a character device" in r.stderr and "zero.tfstate" in r.stderr


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.json"
    if len(os.fsencode(path)) > 100:
        pytest.skip("temporary path too long for a unix socket")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(1)
    try:
        yield path
    finally:
        sock.close()


def test_socket_is_refused(unix_socket: Path) -> None:
    r = check(unix_socket)
    assert r.code == 2 and "is a socket" in r.stderr and str(unix_socket) in r.stderr


def test_socket_inside_a_directory_is_refused(unix_socket: Path) -> None:
    r = check(unix_socket.parent)
    assert r.code == 2 and "is a socket" in r.stderr and str(unix_socket) in r.stderr


def test_block_device_is_refused() -> None:
    devices = [f"/dev/{n}" for n in ("loop0", "sda", "vda", "nvme0n1")]
    found = [d for d in devices if os.path.exists(d) and stat.S_ISBLK(os.stat(d).st_mode)]
    if not found:
        pytest.skip("no block device visible")
    r = check(found[0])
    assert r.code == 2 and "is a block device" in r.stderr


def _hung(signum: int, frame: Any) -> None:
    raise TimeoutError("read_bytes blocked on a FIFO")


def test_read_bytes_never_opens_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    old = signal.signal(signal.SIGALRM, _hung)  # a regression fails here instead of blocking
    signal.alarm(10)
    try:
        with pytest.raises(InputError, match="is a FIFO"):
            read_bytes(str(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_fifo_as_leavers_config_and_retire_state(tmp_path: Path, plan: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (["check", plan, "--now", NOW_TEXT, "--leavers", fifo],
                 ["check", plan, "--now", NOW_TEXT, "--config", fifo],
                 ["retire", "--state", fifo, "--now", NOW_TEXT]):
        r = nhi(args)
        assert r.code == 2, (args, r.stderr)
        assert "is a FIFO" in r.stderr and str(fifo) in r.stderr


def test_broken_symlink_is_named(tmp_path: Path) -> None:
    link = tmp_path / "plan.json"
    link.symlink_to(tmp_path / "gone.json")
    r = check(link)
    assert r.code == 2 and "broken symbolic link" in r.stderr and str(link) in r.stderr


# -- unreadable files inside a checked directory (item 9, JSON side) -------------------------------


def test_dangling_state_symlink_in_a_directory_is_an_error(tmp_path: Path) -> None:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n', encoding="utf-8")
    (d / "terraform.tfstate").symlink_to(d / "missing.tfstate")
    r = check(d)
    assert r.code == 2, r.stderr
    assert str(d / "terraform.tfstate") in r.stderr and "broken symbolic link" in r.stderr


def test_unreadable_state_file_in_a_directory_is_an_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: file permissions do not deny reads (covered by the dangling "
                    "symlink and FIFO cases)")
    d = tmp_path / "infra"
    d.mkdir()
    state = write_json(d / "terraform.tfstate", state_doc())
    state.chmod(0)
    try:
        r = check(d)
    finally:
        state.chmod(0o600)
    assert r.code == 2 and "permission denied" in r.stderr and str(state) in r.stderr


def test_symlink_loop_named_like_a_state_is_an_error(tmp_path: Path) -> None:
    d = tmp_path / "infra"
    d.mkdir()
    write_json(d / "plan.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags": TAGS})))
    (d / "a.tfstate").symlink_to(d / "b.tfstate")
    (d / "b.tfstate").symlink_to(d / "a.tfstate")
    r = check(d)
    assert r.code == 2 and "a.tfstate" in r.stderr


# -- size cap --------------------------------------------------------------------------------------


def test_size_cap_by_flag(plan: Path) -> None:
    r = check(plan, "--max-input-mb", "0.0001")
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert str(plan) in r.stderr and "larger than the input size limit of 0.0001 MiB" in r.stderr
    assert "--max-input-mb" in r.stderr and "max_input_mb" in r.stderr
    assert check(plan, "--max-input-mb", "1").code == 0


def test_size_cap_by_config_and_flag_wins(tmp_path: Path, plan: Path) -> None:
    (tmp_path / "nhi.toml").write_text("[tool.nhi]\nmax_input_mb = 0.0001\n", encoding="utf-8")
    r = check(plan, cwd=tmp_path)
    assert r.code == 2 and "larger than the input size limit" in r.stderr
    assert check(plan, "--max-input-mb", "5", cwd=tmp_path).code == 0


def test_size_cap_applies_to_files_in_directories_and_hcl(tmp_path: Path) -> None:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n' + "#" * 400,
                               encoding="utf-8")
    r = check(d, "--max-input-mb", "0.0001")
    assert r.code == 2 and "main.tf" in r.stderr and "larger than" in r.stderr


def test_size_cap_on_retire_state(tmp_path: Path) -> None:
    state = write_json(tmp_path / "s.tfstate", state_doc(state_resource("aws_iam_user", "u", {"name": "u"})))
    r = nhi(["retire", "--state", state, "--now", NOW_TEXT, "--max-input-mb", "0.0001"])
    assert r.code == 2 and "larger than the input size limit" in r.stderr and str(state) in r.stderr


@pytest.mark.parametrize("value", [0, -1, True, "big", float("inf")])
def test_max_input_mb_must_be_a_positive_number(value: Any) -> None:
    with pytest.raises(ConfigError, match="max_input_mb"):
        config_from_mapping({"max_input_mb": value})


def test_max_input_mb_flag_must_be_positive(plan: Path) -> None:
    r = check(plan, "--max-input-mb", "0")
    assert r.code == 2 and "--max-input-mb" in r.stderr


def test_default_cap_is_2048() -> None:
    assert config_from_mapping({}).max_input_mb == 2048


def test_reader_stops_at_the_cap_when_the_size_is_not_announced() -> None:
    # /proc files report size 0 and produce data when read, like an input growing while it is read.
    path = "/proc/self/maps"
    if not os.path.exists(path):
        pytest.skip("no /proc")
    assert len(read_bytes(path)) > 0
    with pytest.raises(InputError, match="larger than the input size limit"):
        read_bytes(path, max_mb=16 / (1024 * 1024))
    with input_limit(16 / (1024 * 1024)), pytest.raises(InputError, match="larger than"):
        read_bytes(path)
    assert len(read_bytes(path)) > 16  # the limit ends with its block


def test_file_growing_past_its_announced_size_is_bounded(tmp_path: Path) -> None:
    p = tmp_path / "grow.json"
    p.write_bytes(b"x" * 100)
    assert read_bytes(str(p), max_mb=100 / (1024 * 1024)) == b"x" * 100
    with pytest.raises(InputError, match="larger than"):
        read_bytes(str(p), max_mb=99 / (1024 * 1024))


# -- JSON that Terraform never writes --------------------------------------------------------------


def _plan_text_with_trailing_empty_changes() -> str:
    text = json.dumps(plan_doc(change("aws_iam_user.u", {"name": "u", "tags": {}})), indent=1)
    return text[:text.rindex("}")] + ',\n "resource_changes": []\n}\n'


def test_duplicate_top_level_key_cannot_hide_identities(tmp_path: Path) -> None:
    p = tmp_path / "plan.json"
    p.write_text(_plan_text_with_trailing_empty_changes(), encoding="utf-8")
    r = check(p)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert str(p) in r.stderr and 'duplicate key "resource_changes"' in r.stderr
    line = _plan_text_with_trailing_empty_changes().splitlines().index(' "resource_changes": []') + 1
    assert f"{p}:{line}:" in r.stderr


def test_duplicate_nested_key_names_key_and_line_never_the_value(tmp_path: Path) -> None:
    text = ('{"format_version": "1.2", "resource_changes": [{"address": "aws_iam_user.u",\n'
            ' "type": "aws_iam_user", "name": "u", "mode": "managed",\n'
            ' "change": {"actions": ["create"], "after": {"name": "u", "tags": {"owner": "a@b.c",\n'
            f'  "owner": "{SECRET}"}}}}}}]}}\n')
    p = tmp_path / "plan.json"
    p.write_text(text, encoding="utf-8")
    r = check(p)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert f"{p}:4:3:" in r.stderr and 'duplicate key "owner"' in r.stderr
    assert SECRET not in r.stderr


def test_duplicate_key_is_escaped_and_truncated() -> None:
    key = "\u202e\x1b[2J" + "k" * 500
    with pytest.raises(InputError) as info:
        parse_json(json.dumps({"a": 1}).replace("}", f', {json.dumps(key)}: 1, {json.dumps(key)}: 2}}'), "f")
    message = str(info.value)
    assert message.isprintable() and "k" * 35 + "..." in message and "k" * 36 not in message


def test_a_key_repeated_with_the_same_value_is_unambiguous() -> None:
    # Hand-edited fixtures repeat a key with the same value (one corpus plan does); nothing is hidden.
    assert parse_json('{"a": true, "a": true, "b": {"c": [1, {"d": 2}], "c": [1, {"d": 2}]}}', "f") == {
        "a": True, "b": {"c": [1, {"d": 2}]}}


@pytest.mark.parametrize("text", ['{"a": true, "a": 1}', '{"a": 1, "a": 1.0}', '{"a": {"b": 1}, "a": {"b": 2}}',
                                  '{"a": [1, 2], "a": [2, 1]}', '{"a": null, "a": false}'])
def test_a_key_repeated_with_another_value_is_refused(text: str) -> None:
    with pytest.raises(InputError, match='duplicate key "a" with different values'):
        parse_json(text, "f")


def test_same_key_in_sibling_objects_is_fine() -> None:
    assert parse_json('[{"a": 1}, {"a": 2, "b": {"a": 3}}]', "f") == [{"a": 1}, {"a": 2, "b": {"a": 3}}]


def test_duplicate_key_in_a_state_file(tmp_path: Path) -> None:
    text = json.dumps(state_doc(state_resource("aws_iam_user", "u", {"name": "u"})))
    p = tmp_path / "terraform.tfstate"
    p.write_text(text[:-1] + ', "resources": []}', encoding="utf-8")
    r = check(p)
    assert r.code == 2 and 'duplicate key "resources"' in r.stderr


@pytest.mark.parametrize(
    ("number", "expect"),
    [("1e999", "out of range"), ("-1e999", "out of range"), ("NaN", "NaN and Infinity"),
     ("Infinity", "NaN and Infinity"), ("-Infinity", "NaN and Infinity"),
     ("9" * 5000, "more than"), ("-" + "1" * 5000, "more than")],
)
def test_numbers_terraform_never_writes(tmp_path: Path, number: str, expect: str) -> None:
    p = tmp_path / "plan.json"
    p.write_text('{"format_version": "1.2",\n "resource_changes": [],\n "x": ' + number + "}\n",
                 encoding="utf-8")
    r = check(p)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert expect in r.stderr and f"{p}:3:7:" in r.stderr
    if expect == "more than":
        assert "NaN" not in r.stderr and "digits" in r.stderr


def test_numbers_inside_strings_and_ordinary_numbers_are_fine() -> None:
    doc = parse_json('{"a": "1e999", "b": "NaN", "c": 1.5e300, "d": -1e-999, "e": 12345678901234567890}', "f")
    assert doc == {"a": "1e999", "b": "NaN", "c": 1.5e300, "d": -0.0, "e": 12345678901234567890}


# -- terminal injection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain/path.json", "plain/path.json"), ("a\x1b[2Jb", "a\\x1b[2Jb"), ("a\nb\r", "a\\nb\\r"),
     ("\u202eevil", "\\u202eevil"), ("x\u2066y\u2069", "x\\u2066y\\u2069"), ("zw\u200bj", "zw\\u200bj"),
     ("c1\x9bm", "c1\\x9bm"), ("del\x7f", "del\\x7f"), ("bad\udcff", "bad\\udcff"),
     ("ünïcødé 名前", "ünïcødé 名前"), ("nb\u00a0sp", "nb\\xa0sp"), ("", "")],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(text).isprintable()


def test_every_nhi_error_is_escaped() -> None:
    e = NhiError("dir\x1b]0;x\x07/p\u202e.json", "bad \r\n value", 3, 4)
    assert str(e) == "dir\\x1b]0;x\\x07/p\\u202e.json:3:4: bad \\r\\n value"
    assert e.file.endswith("\u202e.json")  # the raw name is kept for programs


FAKE = "\r\x1b[2K0 identities, 0 findings (0 error, 0 warning, 0 info) as of 2026-06-01T00:00:00Z\n"


def test_crafted_file_name_in_an_error_cannot_print_a_fake_line(tmp_path: Path) -> None:
    p = tmp_path / f"x{FAKE}\u202e.json"
    p.write_text('{"format_version": "1.2", "resource_changes": [', encoding="utf-8")
    r = check(p)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert "\\r\\x1b[2K0 identities" in r.stderr and "\\u202e" in r.stderr


def test_crafted_directory_and_file_names_in_reports(tmp_path: Path) -> None:
    d = tmp_path / f"d{FAKE}"
    d.mkdir()
    p = write_json(d / "bidi\u202egnp.json", plan_doc(change("aws_iam_user.u", {"name": "u", "tags": {}})))
    r = check(p)
    assert r.code == 1
    for ch in RAW_CONTROLS:
        assert ch not in r.stdout and ch not in r.stderr, repr(ch)
    assert "0 identities, 0 findings" not in r.stdout.replace("\\r\\x1b[2K0 identities", "")
    assert "\\u202e" in r.stdout
    j = nhi(["check", p, "--now", NOW_TEXT, "--format", "json"])
    doc = json.loads(j.out)
    assert doc["inputs"] == [str(p)]
    assert {f["source"]["file"] for f in doc["findings"]} == {str(p)}


def test_control_characters_from_input_text_in_every_output(tmp_path: Path) -> None:
    key = f"k{FAKE}\u202e"
    owner = f"o\x1b]52;c;{FAKE}\u2066"
    doc = plan_doc(
        change(f'aws_iam_user.u["{key}"]'.replace("\n", "\\n").replace("\r", "\\r").replace("\x1b", "\\u001b"),
               {"name": "u", "tags": {"owner": owner, "expires_at": f"2020-01-01{FAKE}"}}),
        change("aws_iam_user.v", {"name": "v", "tags": {"owner": f"\u202e{FAKE}"}}),
    )
    p = write_json(tmp_path / "plan.json", doc)
    text = check(p)
    assert text.code == 1 and text.stderr == ""
    for ch in RAW_CONTROLS:
        assert ch not in text.stdout, repr(ch)
    last = text.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("2 identities")
    j = nhi(["check", p, "--now", NOW_TEXT, "--format", "json"])
    data = json.loads(j.out)  # valid JSON, the values intact
    assert {i["owner"] for i in data["identities"]} == {owner, f"\u202e{FAKE}"}
    assert "\x1b" not in j.stdout and "\r" not in j.stdout


def test_crafted_names_through_cli_runner_errors(tmp_path: Path) -> None:
    p = tmp_path / "e\x1b[31m\u202e.json"
    p.write_text('{"a": 1, "a": 2}', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(p), "--now", NOW_TEXT])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "e\\x1b[31m\\u202e.json:1:10: " in result.output


def test_undecodable_file_name_does_not_crash_any_output(tmp_path: Path) -> None:
    d = os.fsencode(tmp_path) + b"/bad\xff\x1bname.json"
    with open(d, "w", encoding="utf-8") as fh:
        json.dump(plan_doc(change("aws_iam_user.u", {"name": "u", "tags": {}})), fh)
    text = nhi(["check", d, "--now", NOW_TEXT])
    assert text.code == 1 and "internal error" not in text.stderr, text.stderr
    assert b"\x1b" not in text.out and "bad\\udcff\\x1bname.json" in text.stdout
    j = nhi(["check", d, "--now", NOW_TEXT, "--format", "json"])
    assert j.code == 1 and "internal error" not in j.stderr, j.stderr
    assert json.loads(j.out)["inputs"][0].endswith("bad\udcff\x1bname.json")
    out = tmp_path / "report.json"
    j2 = nhi(["check", d, "--now", NOW_TEXT, "--format", "json", "-o", out])
    assert j2.code == 1 and json.loads(out.read_text(encoding="utf-8"))["inputs"][0].endswith("name.json")
    missing = nhi(["check", os.fsencode(tmp_path) + b"/gone\xff\x1b.json", "--now", NOW_TEXT])
    assert missing.code == 2 and b"\x1b" not in missing.err and "gone\\udcff\\x1b.json" in missing.stderr


def test_config_error_names_are_escaped(tmp_path: Path, plan: Path) -> None:
    cfg = tmp_path / "nhi.toml"
    cfg.write_text('[tool.nhi.identity_types."t\\u001b[2J\\u202e"]\ncategory = "nope"\n', encoding="utf-8")
    r = check(plan, "--config", cfg)
    assert r.code == 2
    assert_one_clean_line(r.stderr)
    assert "t\\x1b[2J\\u202e" in r.stderr



def test_cap_set_by_one_command_does_not_outlive_it(plan: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(plan), "--now", NOW_TEXT, "--max-input-mb", "0.0001"])
    assert result.exit_code == 2 and "larger than the input size limit" in result.output
    assert read_bytes(str(plan))  # the default cap is back
    again = CliRunner().invoke(main, ["check", str(plan), "--now", NOW_TEXT])
    assert again.exit_code == 0, again.output
