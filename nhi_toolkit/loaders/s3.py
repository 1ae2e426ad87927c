"""``s3://bucket/prefix/`` inputs: every Terraform state under an S3 backend prefix, workspaces
included, one Document at a time (see :mod:`nhi_toolkit.aws.s3`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from nhi_toolkit.errors import InputError

if TYPE_CHECKING:
    from nhi_toolkit.aws.s3 import StateObject
from nhi_toolkit.loaders.common import decode_text, parse_json
from nhi_toolkit.records import Document

__all__ = ["document_from_bytes", "iter_s3_documents", "load_s3"]


def document_from_bytes(data: bytes, path: str, wanted: Callable[[str], bool],
                        metadata: dict[str, Any] | None = None) -> Document:
    """One JSON state or plan given as bytes (read from S3) -> a Document named ``path``."""
    from nhi_toolkit.loaders import sniff_json
    from nhi_toolkit.loaders.plan import load_plan
    from nhi_toolkit.loaders.state import load_raw_state, load_show_state

    doc = parse_json(decode_text(data, path), path)
    kind = sniff_json(doc, path)
    if kind == "cdktf":
        raise InputError(path, "not a Terraform state or plan")
    loader = {"plan": load_plan, "state": load_raw_state, "show-state": load_show_state}[kind]
    loaded = loader(doc, path, wanted)
    return replace(loaded, metadata={**loaded.metadata, **(metadata or {})}) if metadata else loaded


def iter_s3_documents(url: str, wanted: Callable[[str], bool], *,
                      shard: tuple[int, int] | None = None, workers: int = 8) -> Iterator[Document]:
    """Each state under the URL, read and loaded one after the other."""
    from nhi_toolkit.aws.s3 import list_states, read_object

    objects = list_states(url, shard=shard)
    if not objects and shard is None:
        raise InputError(url, "no Terraform state (*.tfstate) under this prefix")
    from nhi_toolkit.fleet import bounded_map

    def load(obj: StateObject) -> Document:
        return document_from_bytes(read_object(obj), obj.url, wanted,
                                   {"workspace": obj.workspace, "state_key": obj.key})

    # Objects are fetched by a few threads at once; documents come back in key order.
    yield from bounded_map(load, objects, workers)


def load_s3(url: str, wanted: Callable[[str], bool]) -> list[Document]:
    """Every state under the URL as Documents."""
    return list(iter_s3_documents(url, wanted))
