"""Terraform module trees, expanded statically the way Terraform expands them.

A root module's ``module`` calls with a local source (``./x``, ``../x``) are followed: the call's
arguments become the child's variables (child defaults where not passed), child locals and outputs
resolve, and ``for_each``/``count`` expand on module calls and resources wherever the collection is
known statically. Each instance gets the address Terraform writes
(``module.bot["k"].aws_iam_role.this[0]``). A call with a registry or git source is noted for rule
``module-not-followed``; a block whose ``for_each``/``count`` is not known stays one resource at its
configuration address, marked ``unknown_instances``. Evaluation is bounded: module depth, instance
budget, and cycles are errors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nhi_toolkit.addresses import format_key, join_address
from nhi_toolkit.errors import InputError
from nhi_toolkit.loaders.declared import declared_targets, declared_values, through_locals
from nhi_toolkit.loaders.expression_functions import convert
from nhi_toolkit.loaders.expressions import Scope, as_bool
from nhi_toolkit.loaders.hcl_cache import withhold
from nhi_toolkit.loaders.module_config import (
    Block,
    ModuleConfig,
    body_references,
    expression_references,
    is_local_source,
    provider_ref,
    redact_source,
    unwrap,
)
from nhi_toolkit.loaders.module_outputs import OutputTargets, reads_module_outputs
from nhi_toolkit.model import UNKNOWN, InputKind, Location, Resource
from nhi_toolkit.native_expiry import native_expressions
from nhi_toolkit.records import Note

__all__ = ["Block", "ModuleConfig", "ModuleTree", "body_references", "is_local_source", "provider_ref",
           "redact_source"]

MAX_DEPTH = 32
"""Nested module calls deeper than this are refused (no real tree comes close)."""
MAX_INSTANCES = 500_000
"""Resource and module instances one load may expand to before it is refused."""

_RESOURCE_REF = re.compile(r"\$\{\s*([^\W\d][\w-]*)\.([^\W\d][\w-]*)\s*\}")
_NOT_RESOURCES = frozenset({"var", "local", "module", "data", "each", "count", "path", "terraform", "self"})
_CALL_META = frozenset({"source", "version", "for_each", "count", "providers", "depends_on", "lifecycle"})
_RESOURCE_META = frozenset({"lifecycle", "provisioner", "connection", "dynamic", "for_each", "count",
                            "provider", "depends_on", "//"})


class ModuleTree:
    """One load: the parsed module cache, notes for the rules, and the instance budget."""

    def __init__(self, wanted: Callable[[str], bool], kind: InputKind,
                 parse_dir: Callable[[Path], ModuleConfig], *, strict: bool = True):
        self.wanted = wanted
        self.strict = strict
        """False for a lone file: a missing local source is noted, not an error (its folder is not
        what was given)."""
        self.kind = kind
        self._parse_dir = parse_dir
        self._cache: dict[str, ModuleConfig] = {}
        self._real: dict[str, str] = {}
        self.notes: list[Note] = []
        self._noted: set[tuple[str, str]] = set()
        self.budget = MAX_INSTANCES
        self._roots: list[ModuleConfig] = []
        self._targets: dict[tuple[int, str], tuple[str, ...]] = {}
        """(block, configuration path) -> the resources it refers to: the same for every instance."""
        self.outputs = OutputTargets(self._output_refs)
        """What the module outputs a resource refers to refer to, in turn (worked out once)."""

    def realpath(self, path: Path | str) -> str:
        """``os.path.realpath``, once per path and load (every module instance asks again)."""
        key = str(path)
        if key not in self._real:
            self._real[key] = os.path.realpath(key)
        return self._real[key]

    def module(self, directory: Path) -> ModuleConfig:
        """The parsed module in a directory (each directory is read once per load)."""
        real = self.realpath(directory)
        if real not in self._cache:
            self._cache[real] = self._parse_dir(directory)
        return self._cache[real]

    def _output_refs(self, mod: ModuleConfig, path: str, call: str,
                     name: str) -> tuple[set[str], ModuleConfig, str] | None:
        """(references of output ``name`` of the module ``call`` in ``mod`` calls, that module, its
        configuration path); None for a call not followed or an output with no expression here."""
        block = next((c for c in mod.calls if c.name == call), None)
        target = self.local_target(block, mod) if block is not None else None
        if target is None:
            return None
        child = self.module(target)
        raw, sensitive = child.outputs.get(name, (None, True))
        if sensitive or raw is None:
            return None
        return expression_references(raw), child, f"{path}.module.{call}" if path else f"module.{call}"

    def spend(self, n: int, block: Block) -> None:
        """Count instances against the budget; refuse a tree that expands beyond it."""
        self.budget -= n
        if self.budget < 0:
            raise InputError(block.file, f"expanding {block.type} \"{block.name}\" exceeds {MAX_INSTANCES} "
                                         "instances in one load", block.line)

    def local_target(self, block: Block, mod: ModuleConfig) -> Path | None:
        """The directory a local module call names (an error when missing); None when not local."""
        source = Scope(mod.syntax).resolve(block.body.get("source"))
        if not is_local_source(source):
            return None
        target = Path(os.path.normpath(Path(block.file).parent / source))  # lexically, as Terraform does
        if not target.is_dir():
            if not self.strict:
                return None
            raise InputError(block.file, f"module \"{block.name}\": local source \"{source}\" is not a "
                                         "directory", block.line)
        return target

    def check_cycles(self, dirs: list[Path]) -> None:
        """Refuse a cycle of local module calls anywhere reachable from ``dirs``, naming the call."""
        done: set[str] = set()
        for start in dirs:
            if self.realpath(start) in done:
                continue
            path: list[str] = []
            on_path: set[str] = set()
            stack: list[tuple[Path, int]] = [(start, 0)]
            while stack:
                d, i = stack.pop()
                real = self.realpath(d)
                mod = self.module(d)
                if i == 0:
                    path.append(real)
                    on_path.add(real)
                if i >= len(mod.calls):
                    on_path.discard(path.pop())
                    done.add(real)
                    continue
                stack.append((d, i + 1))
                call = mod.calls[i]
                target = self.local_target(call, mod)
                if target is None:
                    continue
                t_real = self.realpath(target)
                if t_real in on_path:
                    raise InputError(call.file, f"module \"{call.name}\" calls {target}, which calls it "
                                                "back: a cycle of module calls", call.line)
                if t_real not in done:
                    if len(path) > MAX_DEPTH:
                        raise InputError(call.file, f"module calls nest deeper than {MAX_DEPTH} levels",
                                         call.line)
                    stack.append((target, 0))

    def called_dirs(self, dirs: list[Path]) -> set[str]:
        """Real paths of every directory some module in ``dirs`` calls as a local source."""
        out: set[str] = set()
        for d in dirs:
            mod = self.module(d)
            for call in mod.calls:
                target = self.local_target(call, mod)
                if target is not None:
                    out.add(self.realpath(target))
        return out

    def types_exact(self) -> bool:
        """True when no variable type of this load may reshape a value (see
        :attr:`ModuleConfig.shaping_types`): values have exactly the attributes, keys and indexes
        written, so a missing one is the error Terraform's ``try()`` skips. Every module a load
        evaluates is read before evaluation starts (the cycle check)."""
        return not any(m.shaping_types for m in (*self._cache.values(), *self._roots))

    def evaluate_root(self, mod: ModuleConfig, tfvars: Mapping[str, Any]) -> list[Resource]:
        """Every resource instance of a root module and the modules it calls."""
        self._roots.append(mod)
        inst = _Instance(self, mod, "", "", {}, None, (self.realpath(mod.directory),), None,
                         tfvars=tfvars)
        return inst.evaluate()

    def evaluate_calls(self, mod: ModuleConfig) -> list[Resource]:
        """Only the module calls of a root (its own resources are read elsewhere)."""
        self._roots.append(mod)
        inst = _Instance(self, mod, "", "", {}, None, (self.realpath(mod.directory),), None)
        out: list[Resource] = []
        for call in mod.calls:
            out.extend(inst.call_resources(call.name))
        return out

    def take_notes(self) -> tuple[Note, ...]:
        """The notes recorded since the last call (one root's), and start afresh."""
        notes = tuple(self.notes)
        self.notes.clear()
        self._noted.clear()
        return notes

    def note(self, rule: str, address: str, message: str, block: Block) -> None:
        """Record something for a rule, once per configuration address."""
        if (rule, address) not in self._noted:
            self._noted.add((rule, address))
            self.notes.append(Note(rule, address, message, Location(block.file, block.line)))


@dataclass
class _CallResult:
    value: Any
    resources: list[Resource]
    marked: frozenset[str] = frozenset()
    """Outputs Terraform marks sensitive in some instance (declared so, or computed from a marked value)."""


class _Instance:
    """One instance of a module: its scope, lazily evaluated child calls and resources."""

    def __init__(self, tree: ModuleTree, mod: ModuleConfig, addr: str, cfg: str, values: dict[str, Any],
                 providers: dict[str, Any] | None, chain: tuple[str, ...], unknown: str | None,
                 tfvars: Mapping[str, Any] | None = None, calls: tuple[Location, ...] = (),
                 marked: frozenset[str] = frozenset()):
        self.tree, self.mod, self.addr, self.cfg, self.chain, self.unknown = (
            tree, mod, addr, cfg, chain, unknown)
        self.call_sites = calls
        """The ``module`` blocks on the way to this instance, outermost first (source mapping)."""
        raw_vars: dict[str, Any] = {name: default for name, (default, _) in mod.variables.items()}
        raw_vars.update(tfvars or {})
        given = {k: v for k, v in values.items() if k in mod.variables}
        for name in mod.not_null:  # Terraform gives the default instead of a null (none: an error)
            if given.get(name, 0) is None:
                del given[name]
            if name in (tfvars or {}) and Scope(mod.syntax).resolve(raw_vars[name]) is None:
                raw_vars[name] = mod.variables[name][0] if name in mod.variables else UNKNOWN
        hidden = {name for name, (_, sensitive) in mod.variables.items() if sensitive}
        # a value given from one Terraform marks sensitive is sensitive here too, declared so or not
        hidden.update(name for name in marked if name in mod.variables)
        for name in hidden:  # a sensitive value never reaches a report, whatever its origin
            if (default := mod.variables[name][0]) is not UNKNOWN and mod.variables[name][1]:
                withhold(default, Scope(mod.syntax).resolve(default))  # from an override file: never cached
            raw_vars[name] = UNKNOWN
            given.pop(name, None)
        self.scope = Scope(mod.syntax, raw_vars, mod.locals, values=given, modules=self._module_value,
                           exact=tree.types_exact, sensitive=frozenset(hidden), module_marks=self._module_marks)
        self.scope.exact_here = not addr and not mod.shaping_types and not reads_module_outputs(mod)
        self.marked_outputs: set[str] = set()
        for name, plain in mod.plain_types.items():
            if name not in hidden and (raw_vars.get(name, UNKNOWN) is not UNKNOWN or name in given):
                self.scope.values[name] = convert(self.scope.expression(f"var.{name}"), plain)
        own = {k: self.scope.default_tags(v) for k, v in mod.providers.items()}
        if providers is None:
            self.providers = own
        else:
            self.providers = {**providers, **own}
        self.calls = {c.name: c for c in mod.calls}
        self.results: dict[str, _CallResult] = {}
        self._running: set[str] = set()

    # -- module calls ----------------------------------------------------------------------------
    def _module_value(self, name: str) -> Any:
        result = self._call(name)
        return result.value if result else UNKNOWN

    def _module_marks(self, name: str) -> frozenset[str]:
        result = self._call(name)
        return result.marked if result else frozenset()

    def call_resources(self, name: str) -> list[Resource]:
        """The resources a module call (all its instances) declares."""
        result = self._call(name)
        return result.resources if result else []

    def _call(self, name: str) -> _CallResult | None:
        if name in self.results:
            return self.results[name]
        if name not in self.calls or name in self._running:
            return None
        self._running.add(name)
        try:
            result = self._run_call(self.calls[name])
        finally:
            self._running.discard(name)
        self.results[name] = result
        return result

    def _run_call(self, block: Block) -> _CallResult:
        cfg = f"{self.cfg}.module.{block.name}" if self.cfg else f"module.{block.name}"
        target = self.tree.local_target(block, self.mod)
        if target is None:
            source = self.scope.resolve(block.body.get("source"))
            shown = redact_source(source) if isinstance(source, str) else "(not a literal string)"
            why = ("is not followed: only local module sources are read" if not is_local_source(source)
                   else "is not followed: that folder is not next to the file given; check the "
                   "directory instead")
            self.tree.note("module-not-followed", cfg,
                           f"{cfg} (source {shown}) {why}, so identities declared inside it are not "
                           "checked here", block)
            return _CallResult(UNKNOWN, [])
        real = self.tree.realpath(target)
        if real in self.chain:
            raise InputError(block.file, f"module \"{block.name}\" calls {target}, which calls it back: "
                                         "a cycle of module calls", block.line)
        if len(self.chain) > MAX_DEPTH:
            raise InputError(block.file, f"module calls nest deeper than {MAX_DEPTH} levels", block.line)
        child = self.tree.module(target)
        providers = self._child_providers(block)
        expansion = _expand(block, self.scope, self.tree)
        resources: list[Resource] = []
        if isinstance(expansion, str):
            unknown = self.unknown or f"{expansion} of {cfg}"
            inst = self._child(child, block, cfg, None, self.scope.iteration(unknown=True), providers, unknown)
            return _CallResult(UNKNOWN, inst.evaluate())
        outputs: dict[Any, Any] = {}
        marked: set[str] = set()
        for key, scope in expansion:
            inst = self._child(child, block, cfg, key, scope, providers, self.unknown)
            resources.extend(inst.evaluate())
            outputs[key] = inst.outputs()
            marked |= inst.marked_outputs
        if "for_each" in block.body:
            value: Any = outputs
        elif "count" in block.body:
            value = [outputs[k] for k in sorted(outputs)]
        else:
            value = outputs.get(None, UNKNOWN)
        return _CallResult(value, resources, frozenset(marked))

    def _child(self, child: ModuleConfig, block: Block, cfg: str, key: Any, scope: Scope,
               providers: dict[str, Any], unknown: str | None) -> _Instance:
        step = f"module.{block.name}{format_key(key)}"
        addr = f"{self.addr}.{step}" if self.addr else step
        values: dict[str, Any] = {}
        marked: set[str] = set()
        for k, v in block.body.items():
            if k not in _CALL_META and not k.startswith("__"):
                values[k], hidden = scope.marked(v)
                if hidden:
                    marked.add(k)
        for name, (_, sensitive) in child.variables.items():
            if sensitive and name in values:  # never kept by the parse cache either
                withhold(block.body[name], values[name])
        return _Instance(self.tree, child, addr, cfg, values, providers,
                         (*self.chain, self.tree.realpath(child.directory)), unknown,
                         calls=(*self.call_sites, Location(block.file, block.line)), marked=frozenset(marked))

    def _child_providers(self, block: Block) -> dict[str, Any]:
        mapping = block.body.get("providers")
        if isinstance(mapping, list) and mapping and isinstance(mapping[0], dict):
            mapping = mapping[0]
        if not isinstance(mapping, dict):
            # Only default (unaliased) provider configurations pass implicitly.
            return {k: v for k, v in self.providers.items() if "." not in k}
        out: dict[str, Any] = {}
        for k, v in mapping.items():
            child_key, parent_ref = unwrap(k), unwrap(v)
            if child_key and parent_ref:
                out[child_key] = self.providers.get(parent_ref, {})
        return out

    # -- resources and outputs -------------------------------------------------------------------
    def evaluate(self) -> list[Resource]:
        """Resources of this instance, then of each call in declaration order."""
        out: list[Resource] = []
        for block in self.mod.resources:
            if self.tree.wanted(block.type):
                out.extend(self._resource_instances(block))
        # removed blocks: a child module's name its own resources (each instance forgets its copy)
        out.extend(self.mod.extra if not self.addr else
                   (replace(r, address=f"{self.addr}.{r.address}", module=self.addr) for r in self.mod.extra))
        for call in self.mod.calls:
            out.extend(self.call_resources(call.name))
        return out

    def outputs(self) -> dict[str, Any]:
        """This instance's outputs; sensitive ones stay UNKNOWN. Those Terraform marks sensitive (declared
        so, or computed from a marked value) are noted in ``marked_outputs``."""
        out: dict[str, Any] = {}
        for name, (raw, sensitive) in self.mod.outputs.items():
            if sensitive:
                out[name] = UNKNOWN
                self.marked_outputs.add(name)
                continue
            out[name], hidden = self.scope.marked(raw)
            if hidden:
                self.marked_outputs.add(name)
        return out

    def _resource_instances(self, block: Block) -> list[Resource]:
        expansion = self._keys_of_resource(block, set()) or _expand(block, self.scope, self.tree)
        if isinstance(expansion, str):
            unknown = self.unknown or expansion
            return [self._resource(block, None, self.scope.iteration(unknown=True), unknown)]
        return [self._resource(block, key, scope, self.unknown) for key, scope in expansion]

    def _keys_of_resource(self, block: Block, seen: set[int]) -> list[tuple[Any, Scope]] | None:
        """The instances of a block whose ``for_each`` is a resource of this module expanded by a
        known ``for_each`` (``for_each = aws_iam_user.this``): its keys, as Terraform takes them
        (``each.value``, the object, is known only after apply); None for any other block."""
        m = _RESOURCE_REF.fullmatch(body_for_each) if isinstance(body_for_each := block.body.get("for_each"), str) \
            else None
        if m is None or m.group(1) in _NOT_RESOURCES or id(block) in seen:
            return None
        seen.add(id(block))
        target = next((b for b in self.mod.resources if (b.type, b.name) == m.groups()), None)
        if target is None or "for_each" not in target.body:
            return None
        keys = self._keys_of_resource(target, seen) or _expand(target, self.scope, self.tree)
        if isinstance(keys, str):
            return None
        self.tree.spend(len(keys), block)
        return [(k, self.scope.iteration(each=(k, UNKNOWN))) for k, _ in keys]

    def _resource(self, block: Block, key: Any, scope: Scope, unknown: str | None) -> Resource:
        body = block.body
        defaults = self.providers.get(provider_ref(body.get("provider")), {}) \
            if block.type.startswith("aws_") else {}
        hidden: list[tuple[str, ...]] = []
        values = declared_values(body, scope, _RESOURCE_META, block.type, defaults, hidden)
        memo = (id(block), self.cfg)  # blocks live as long as the tree that holds them
        targets = self.tree._targets.get(memo)
        if targets is None:
            refs = set(block.refs) if block.refs is not None else body_references(body)
            refs = through_locals(refs, self.mod.locals)
            targets = declared_targets(refs, f"{block.type}.{block.name}", self.cfg)
            if any(r.startswith("module.") for r in refs):  # and what the module outputs it reads refer to
                own = join_address(self.cfg, "managed", block.type, block.name, None)
                through = self.tree.outputs.of(self.mod, self.cfg, refs) - {own}
                targets = tuple(sorted(through.union(targets)))
            self.tree._targets[memo] = targets
        lifecycle = body.get("lifecycle")
        if isinstance(lifecycle, list):
            lifecycle = lifecycle[0] if lifecycle and isinstance(lifecycle[0], dict) else {}
        prevent = isinstance(lifecycle, dict) and as_bool(scope.resolve(lifecycle.get("prevent_destroy"))) is True
        meta: dict[str, Any] = {}
        if "count" in body or "for_each" in body:
            meta["expanded"] = "count" if "count" in body else "for_each"
        if unknown:
            meta["unknown_instances"] = unknown
        comment = body.get("//")
        if isinstance(comment, dict):
            md = comment.get("metadata")
            if isinstance(md, dict) and isinstance(md.get("path"), str):
                meta["construct_path"] = md["path"]
            if isinstance(comment.get("nhi"), dict):
                meta["nhi"] = comment["nhi"]
        meta.update(native_expressions(block.type, body))
        if hidden:  # where Terraform will mark the values sensitive (names and keys, never a value)
            meta["sensitive_paths"] = tuple(sorted(set(hidden)))
        return Resource(
            address=join_address(self.addr, "managed", block.type, block.name, key),
            type=block.type,
            name=block.name,
            source=Location(block.file, block.line, module_call=self.call_sites or None),
            kind=self.tree.kind,
            module=self.addr,
            index=key,
            values=values,
            references=targets,
            prevent_destroy=prevent,
            metadata=meta,
        )


def _expand(block: Block, scope: Scope, tree: ModuleTree) -> list[tuple[Any, Scope]] | str:
    """The instances of a block: (key, scope inside it); the meta-argument's name when unknown."""
    body = block.body
    if "for_each" in body and "count" in body:
        raise InputError(block.file, f"{block.type} \"{block.name}\" sets both count and for_each",
                         block.line)
    if "for_each" in body:
        coll, marked = scope.marked(body["for_each"])
        if isinstance(coll, dict):
            tree.spend(len(coll), block)
            return [(k, scope.iteration(each=(k, coll[k]), marked=marked)) for k in sorted(coll)]
        if isinstance(coll, list) and all(isinstance(v, str) for v in coll):
            keys = sorted(set(coll))
            tree.spend(len(keys), block)
            return [(k, scope.iteration(each=(k, k))) for k in keys]
        return "for_each"
    if "count" in body:
        n = scope.resolve(body["count"])
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        if isinstance(n, str) and n.isdigit():  # Terraform converts a numeric string
            n = int(n)
        if isinstance(n, int) and not isinstance(n, bool) and n >= 0:
            tree.spend(n, block)
            return [(i, scope.iteration(count=i)) for i in range(n)]
        return "count"
    tree.spend(1, block)
    return [(None, scope)]
