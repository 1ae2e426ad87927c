"""Loaders: sniff each input's kind, read it once, and return Documents of secret-free Resources.

Inputs: plan JSON, raw state, ``show -json`` state, synthesized CDKTF (a ``cdk.tf.json`` file, a
stack folder or a whole ``cdktf.out``), Terraform JSON configuration, ``.tf`` files or a directory of
them. Every failure is an :class:`~nhi_toolkit.errors.InputError` naming the file.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.common import (
    STDIN,
    decode_text,
    file_kind,
    parse_json,
    read_bytes,
    read_stdin,
    stat_input,
)
from nhi_toolkit.records import Document

__all__ = ["Document", "load_document", "load_inputs", "load_stdin", "sniff_json"]

Wanted = Callable[[str], bool]


def _everything(_: str) -> bool:
    return True


def sniff_json(doc: Any, path: str) -> str:
    """Which kind of JSON document this is: plan, state, show-state or cdktf."""
    from nhi_toolkit.loaders.plan import is_plan
    from nhi_toolkit.loaders.state import is_raw_state, is_show_state

    if not isinstance(doc, dict):
        raise InputError(path, f"expected a JSON object, found a JSON {_json_type(doc)}")
    if is_raw_state(doc):
        return "state"
    if is_plan(doc):
        return "plan"
    if is_show_state(doc):
        return "show-state"
    # Imported only here: the CDKTF reader brings the HCL expression machinery a plan never needs.
    from nhi_toolkit.loaders.cdktf_json import is_json_config

    if is_json_config(doc):
        return "cdktf"
    raise InputError(
        path,
        "not a Terraform plan ('terraform show -json PLANFILE'), state, or synthesized CDKTF JSON",
    )


def _json_type(doc: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(doc), "null")


def _load_json_file(path: str, wanted: Wanted, *, optional: bool = False) -> Document | None:
    """Load one JSON input; with ``optional`` (files met in a folder), JSON that is not Terraform
    (package.json, cdktf.json, editor settings) is skipped rather than refused."""
    doc = parse_json(decode_text(read_bytes(path), path), path)
    try:
        kind = sniff_json(doc, path)
    except InputError:
        if optional:
            return None
        raise
    return _json_loader(kind)(doc, path, wanted)


def load_document(path: str, wanted: Wanted = _everything) -> list[Document]:
    """Load one path (file or directory) into one or more Documents.

    A named path must be a regular file or a directory (symbolic links followed): a FIFO, socket or
    device is refused by name before it is opened, never read.
    """
    p = Path(path)
    try:
        mode = stat_input(path).st_mode
        if stat.S_ISDIR(mode):
            return _load_dir(p, wanted)
        kind = file_kind(mode)
        if kind is not None:
            raise InputError(path, f"{kind}: an input must be a regular file or a directory")
        if p.suffix == ".tf":
            from nhi_toolkit.loaders.hcl import load_hcl_files
            from nhi_toolkit.loaders.hcl_cache import screened_writes

            with screened_writes():
                return [load_hcl_files([path], wanted)]
        loaded = _load_json_file(path, wanted)
        return [loaded] if loaded is not None else []
    except RecursionError:
        raise InputError(path, "nesting is too deep to read") from None


def _load_dir(p: Path, wanted: Wanted) -> list[Document]:
    path = str(p)
    # Terraform ignores hidden files: a folder's module is its visible .tf and .tf.json files.
    has_tf = any(not f.name.startswith(".") and not f.is_dir() for f in p.glob("*.tf"))
    stacks = sorted(p.glob("stacks/*/cdk.tf.json"))
    if not stacks and not has_tf and (p / "cdk.tf.json").is_file():
        stacks = [p / "cdk.tf.json"]  # beside .tf files it is part of their module (read below)
    if not stacks and p.name == "stacks":
        stacks = sorted(p.glob("*/cdk.tf.json"))
    stack_docs = [d for s in stacks if (d := _load_json_file(str(s), wanted)) is not None]
    if stacks and not has_tf:
        return stack_docs
    from nhi_toolkit.loaders.hcl_cache import screened_writes
    from nhi_toolkit.loaders.hcl_result import load_dir  # cached whole, else nhi_toolkit.loaders.hcl

    with screened_writes():
        docs = load_dir(path, wanted)
    # Chosen by name, not by "is a regular file": a FIFO, device or dangling link that looks like a
    # plan or state is an error naming it (read_bytes refuses it unopened), never a silent skip.
    try:
        entries = [f for f in p.iterdir() if not f.is_dir()]
    except OSError as exc:
        raise InputError(path, f"cannot list this directory ({exc.strerror or type(exc).__name__})") from None
    docs.extend(stack_docs)  # synthesized stacks beside a root's .tf files: both are read
    # A folder's .tf.json files are part of its module when it has .tf files too (read above); with
    # several and no .tf file they are one JSON module, each file seeing the others' declarations.
    module_json = has_tf or len([f for f in entries if f.name.endswith(".tf.json") and not f.name.startswith(".")]) > 1
    if module_json and not has_tf:
        from nhi_toolkit.loaders.hcl import load_json_root

        docs.append(load_json_root(path, wanted))
    json_files = sorted(f for f in entries if f.suffix in (".tfstate", ".json") and not (
        module_json and f.name.endswith(".tf.json")))
    for f in json_files:
        loaded = _load_json_file(str(f), wanted, optional=f.suffix == ".json")
        if loaded is not None:
            docs.append(loaded)
    if not docs:
        raise InputError(
            path,
            "nothing Terraform here: no .tf files, cdktf.out stacks, plan JSON or state files "
            "(give a plan or state file by name to see why it is not read)",
        )
    return docs


def load_stdin(wanted: Wanted = _everything, stream: Any = None) -> Document:
    """One input read from standard input (``-``), size-capped like a file: JSON (plan, state,
    CDKTF) is sniffed as usual; anything else is read as the text of one ``.tf`` file."""
    import dataclasses
    import tempfile

    text = decode_text(read_stdin(stream=stream), STDIN)
    if text.lstrip()[:1] in ("{", "["):
        doc = parse_json(text, STDIN)
        loader = _json_loader(sniff_json(doc, STDIN))
        return loader(doc, STDIN, wanted)
    from nhi_toolkit.loaders.hcl import load_hcl_files

    with tempfile.TemporaryDirectory(prefix="nhi-stdin-") as tmp:
        path = str(Path(tmp) / "stdin.tf")
        Path(path).write_text(text, encoding="utf-8")
        try:
            loaded = load_hcl_files([path], wanted, label=STDIN)
        except InputError as exc:
            if exc.file != path:
                raise
            raise InputError(STDIN, exc.message, exc.line, exc.column) from None

    lines = tuple(text.splitlines())  # kept for inline nhi:ignore comments (nhi_toolkit.suppress)

    def here(res: Any) -> Any:
        src = res.source
        if src.file != path:
            return res
        return dataclasses.replace(res, source=dataclasses.replace(src, file=STDIN),
                                   metadata={**res.metadata, "source_lines": lines})

    return dataclasses.replace(loaded, path=STDIN, resources=tuple(here(r) for r in loaded.resources),
                               drift=tuple(here(r) for r in loaded.drift),
                               notes=tuple(dataclasses.replace(n, source=dataclasses.replace(
                                   n.source, file=STDIN)) if n.source.file == path else n
                                   for n in loaded.notes))


def _json_loader(kind: str) -> Callable[[Any, str, Wanted], Document]:
    """The reader of one sniffed kind, importing only its own module (a plan check never loads the
    CDKTF reader and the HCL expression machinery behind it)."""
    if kind == "plan":
        from nhi_toolkit.loaders.plan import load_plan

        return load_plan
    if kind == "state":
        from nhi_toolkit.loaders.state import load_raw_state

        return load_raw_state
    if kind == "show-state":
        from nhi_toolkit.loaders.state import load_show_state

        return load_show_state
    from nhi_toolkit.loaders.cdktf_json import load_json_config

    return load_json_config


def load_inputs(paths: Iterable[str], wanted: Wanted = _everything) -> list[Document]:
    """Load every input in order (``-``: standard input, once)."""
    docs: list[Document] = []
    for path in paths:
        if path == STDIN:
            docs.append(load_stdin(wanted))
            continue
        if path.startswith("s3://"):  # a remote state fleet (boto3 lives in nhi_toolkit.aws)
            from nhi_toolkit.loaders.s3 import load_s3

            docs.extend(load_s3(path, wanted))
            continue
        docs.extend(load_document(path, wanted))
    return docs
