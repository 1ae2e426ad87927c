"""What a module directory declares, as read and before any evaluation: its blocks, its module
configuration, and what a block's body refers to and where its source points."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nhi_toolkit.loaders.expression_text import split_template
from nhi_toolkit.loaders.expressions import find_references
from nhi_toolkit.loaders.module_outputs import module_output_references
from nhi_toolkit.model import Resource

__all__ = ["Block", "ModuleConfig", "body_references", "expression_references", "is_local_source", "provider_ref",
           "redact_source", "unwrap"]


@dataclass
class Block:
    """One ``resource`` or ``module`` block: where it is, its labels and its raw body."""

    file: str
    line: int | None
    type: str
    name: str
    body: Mapping[str, Any]
    refs: tuple[str, ...] | None = None
    """What the body refers to (:func:`body_references`), when worked out already."""


@dataclass
class ModuleConfig:
    """One module directory's declarations, raw (evaluated per instance)."""

    directory: str
    syntax: str
    variables: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    """name -> (raw default or UNKNOWN, sensitive)."""
    locals: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    providers: dict[str, Any] = field(default_factory=dict)
    """``aws`` / ``aws.alias`` -> raw ``default_tags.tags`` of that provider configuration."""
    resources: list[Block] = field(default_factory=list)
    calls: list[Block] = field(default_factory=list)
    extra: list[Resource] = field(default_factory=list)
    """Records the evaluator does not expand (``removed`` blocks), root module only."""
    not_null: set[str] = field(default_factory=set)
    """Variables declared ``nullable = false``: a null given to one is its default."""
    plain_types: dict[str, str] = field(default_factory=dict)
    """Variables declared with a type that converts without reshaping (``string``, ``list(bool)``,
    ...): what is given is converted as Terraform converts it."""
    shaping_types: bool = True
    """Whether a variable's type may reshape the value it converts (``object()``, ``optional()``,
    ``set()``, ...; True unless the reader knows none does): the value then has attributes, keys
    or indexes other than those the expressions wrote."""


def is_local_source(source: Any) -> bool:
    """Terraform's rule: a local path starts with ``./`` or ``../`` (``.\\`` on Windows too)."""
    return isinstance(source, str) and source.startswith(("./", "../", ".\\", "..\\"))


def expression_references(value: Any) -> set[str]:
    """Every reference in a raw value: ``type.name`` (``module.bot`` for a module call) and, for
    each module output it reads, ``module.CALL.OUTPUT`` (instance keys dropped)."""
    refs: set[str] = set()
    find_references(value, refs)
    if any(r.startswith("module.") for r in refs):
        module_output_references(_expression_texts(value), refs)
    return refs


def _expression_texts(value: Any) -> list[str]:
    """The expression parts of every template in a raw value (what :func:`find_references` reads)."""
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "${" in item:
                out.extend(part for is_expr, part in split_template(item) or () if is_expr)
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if isinstance(k, str) and "${" in k)
        elif isinstance(item, list):
            stack.extend(item)
    return out


def body_references(body: Mapping[str, Any]) -> set[str]:
    """Every reference in a resource body (``lifecycle`` and comments aside) and its ``depends_on``
    (:func:`expression_references`)."""
    refs = expression_references({k: v for k, v in body.items() if k not in ("lifecycle", "//")})
    deps = body.get("depends_on")
    if isinstance(deps, list):
        refs.update(d for d in (unwrap(x) for x in deps) if d)
    return refs


def unwrap(raw: Any) -> str | None:
    """A reference written as ``${x}`` or ``"x"`` (``depends_on``, ``provider``), bare."""
    if not isinstance(raw, str):
        return None
    text = raw[2:-1] if raw.startswith("${") and raw.endswith("}") else raw
    return text.strip().strip('"')


_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")
_SECRET_QUERY = re.compile(r"(?i)([?&][^=&]*(?:token|secret|password|passwd|key|sig|credential)[^=&]*=)[^&]*")


def redact_source(source: str) -> str:
    """A module source as shown in a finding: credentials in a URL (user:token@, ?token=) hidden."""
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub("***@", source))


def provider_ref(raw: Any) -> str:
    """The provider configuration a resource's ``provider`` argument names (``aws`` when unset)."""
    ref = unwrap(raw)
    return ref if ref else "aws"
