"""References through module outputs.

A resource that refers to ``module.bot.user_name`` refers to what that output's expression refers to
inside the called module: ``output "user_name" { value = aws_iam_user.u.name }`` makes it refer to
``module.bot.aws_iam_user.u`` (a configuration address, as every other reference). An output that
forwards a nested module's output (``value = module.inner.name``) is followed down to the resources
it names. Instance keys are dropped (``module.bot["a"].user_name`` names the output of every
instance): which instance is meant is the inventory's choice, as for any reference.

A reference to a whole module call (``module.bot``, ``depends_on = [module.bot]``, or an index that
is not a constant in a plan, where Terraform records only the call) names no output: it refers to
nothing here (no guess at which of the module's resources is meant). Outputs marked sensitive keep
no expression in the HCL loader, so they refer to nothing either. Following is bounded: at most
:data:`MAX_DEPTH` nested outputs, each (module, call, output) worked out once per load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nhi_toolkit.addresses import is_identifier, reference_target
from nhi_toolkit.loaders.expression_text import closing_bracket

if TYPE_CHECKING:
    from nhi_toolkit.loaders.module_config import ModuleConfig

__all__ = ["MAX_DEPTH", "OutputTargets", "call_outputs", "module_output_references", "plan_output_targets",
           "reads_module_outputs"]

MAX_DEPTH = 32
"""Nested module outputs followed at most (module calls nest no deeper in a loadable tree)."""

_START = re.compile(r"(?<![\w.\"-])module\.([^\W\d][\w-]*)")
_NAME = re.compile(r"[^\W\d][\w-]*")


def _after_keys(text: str, i: int) -> int:
    """The offset after the instance keys and splats (``["a"]``, ``[0]``, ``[each.key]``, ``[*]``,
    ``.*``) that start at ``i``; -1 when a bracket does not close."""
    while i < len(text):
        if text.startswith(".*", i):
            i += 2
            continue
        if text[i] != "[":
            return i
        close = closing_bracket(text, i)
        if close < 0:
            return -1
        i += close + 2  # past the closing bracket, at i + 1 + close
    return i


def call_outputs(text: str) -> list[tuple[str, str]]:
    """(call, output) of every reference to a module output in an expression or reference text:
    ``module.bot["a"].user_name.x`` -> ``("bot", "user_name")``. A whole call names none."""
    out: list[tuple[str, str]] = []
    for m in _START.finditer(text):
        i = _after_keys(text, m.end())
        if 0 <= i < len(text) - 1 and text[i] == ".":
            name = _NAME.match(text, i + 1)
            if name is not None:
                out.append((m.group(1), name.group(0)))
    return out


def module_output_references(parts: Iterable[str], into: set[str]) -> None:
    """Add ``module.CALL.OUTPUT`` (keys dropped) for each module output the expression texts in
    ``parts`` refer to."""
    for part in parts:
        if "module." in part:
            into.update(f"module.{call}.{name}" for call, name in call_outputs(part))


def _pairs(refs: Iterable[str]) -> list[tuple[str, str]]:
    """(call, output) named by references (``module.bot.user_name``), in a stable order."""
    found: dict[tuple[str, str], None] = {}
    for ref in refs:
        if ref.startswith("module."):
            for pair in call_outputs(ref):
                found.setdefault(pair, None)
    return list(found)


class OutputTargets:
    """What module outputs refer to, worked out once per (module path, call, output) in one load.

    ``resolve(module, path, call, output)`` gives (references in the output's expression, the
    called module, the called module's path), or None when the call or output is not there (a
    registry module, a sensitive output)."""

    def __init__(self, resolve: Callable[[Any, str, str, str], tuple[Iterable[str], Any, str] | None]):
        self._resolve = resolve
        self._memo: dict[tuple[str, str, str], frozenset[str]] = {}
        self._running: set[tuple[str, str, str]] = set()

    def of(self, module: Any, path: str, refs: Iterable[str]) -> set[str]:
        """The configuration addresses the module outputs among ``refs`` refer to, made from the
        module at configuration path ``path``."""
        out: set[str] = set()
        for call, name in _pairs(refs):
            out.update(self._output(module, path, call, name, 0))
        return out

    def _output(self, module: Any, path: str, call: str, name: str, depth: int) -> frozenset[str]:
        key = (path, call, name)
        if key in self._memo:
            return self._memo[key]
        if key in self._running or depth >= MAX_DEPTH:
            return frozenset()  # a cycle or a runaway nesting: refers to nothing more
        self._running.add(key)
        try:
            found = self._resolve(module, path, call, name)
            targets: set[str] = set()
            if found is not None:
                refs, child, child_path = found
                refs = list(refs)
                for ref in refs:
                    target = reference_target(ref, child_path)
                    if target is not None:
                        targets.add(target)
                for inner, inner_name in _pairs(refs):
                    targets.update(self._output(child, child_path, inner, inner_name, depth + 1))
        finally:
            self._running.discard(key)
        result = self._memo[key] = frozenset(targets)
        return result


def _plan_resolve(module: Any, path: str, call: str, name: str) -> tuple[Iterable[str], Any, str] | None:
    from nhi_toolkit.loaders.common import collect_references

    calls = module.get("module_calls") if isinstance(module, Mapping) else None
    entry = calls.get(call) if isinstance(calls, Mapping) else None
    child = entry.get("module") if isinstance(entry, Mapping) else None
    outputs = child.get("outputs") if isinstance(child, Mapping) else None
    output = outputs.get(name) if isinstance(outputs, Mapping) else None
    if not isinstance(output, Mapping) or not is_identifier(call):
        return None
    refs: set[str] = set()
    collect_references(output.get("expression"), refs)
    return sorted(refs), child, f"{path}.module.{call}" if path else f"module.{call}"


def plan_output_targets() -> OutputTargets:
    """Output lookups over a plan's ``configuration`` (``module_calls``, each module's ``outputs``
    and their ``expression.references``); ``of`` takes the module object a resource is in."""
    return OutputTargets(_plan_resolve)


def reads_module_outputs(mod: ModuleConfig) -> bool:
    """Whether a module's locals, resources or module calls refer to a child module's outputs."""
    from nhi_toolkit.loaders.expressions import find_references

    refs: set[str] = set()
    find_references(list(mod.locals.values()), refs)
    for block in (*mod.resources, *mod.calls):
        find_references(block.body, refs)
        refs.update(block.refs or ())
    return any(r.startswith("module.") for r in refs)
