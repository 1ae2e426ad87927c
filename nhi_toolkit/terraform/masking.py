"""What of Terraform's output may be shown: passed variable values masked, and only each error's
summary and location (a diagnostic's detail and source excerpt can quote values)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["mask", "summary"]


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)


def _masker(variables: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in variables.items():
        hidden = f"(var.{name} hidden)"
        if not isinstance(value, str):
            yield json.dumps(value, ensure_ascii=False), hidden
        for leaf in _leaves(value):
            if not leaf:
                continue
            # Terraform shows a string HCL-quoted (``var.x is "v"``): hide that form always, and the
            # bare form when it is long enough not to collide with ordinary words and numbers.
            yield json.dumps(leaf, ensure_ascii=False), hidden
            yield json.dumps(leaf), hidden
            if len(leaf) >= 4:
                yield leaf, hidden


def mask(text: str, variables: Mapping[str, Any]) -> str:
    """``text`` with every passed variable value (and its JSON and HCL-quoted forms) hidden."""
    for secret, replacement in sorted(_masker(variables), key=lambda p: -len(p[0])):
        text = text.replace(secret, replacement)
    return text


_LOCATION = re.compile(r"^\s*on (\S.*? line \d+)(?:, in (.+?))?:\s*$")


def summary(stderr: str, stdout: str) -> str:
    """Each ``Error:`` heading with its location (``on main.tf line 3``), nothing else.

    A diagnostic's detail and its source excerpt can quote values, so they are never taken: the
    full text goes only to the private log (:meth:`TerraformError.write_log`).
    """
    errors: list[str] = []
    text = (stderr + "\n" + stdout).replace("\r\n", "\n")
    blocks = ("\n" + text).split("\nError: ")[1:]
    for block in blocks:
        block = block.split("\nWarning: ", 1)[0]
        heading, _, rest = block.partition("\n")
        where = ""
        for line in rest.splitlines()[:3]:
            m = _LOCATION.match(line)
            if m:
                where = f" (on {m.group(1)})"
                break
        errors.append(_clip(heading.strip()) + where)
    if errors:
        return "; ".join(dict.fromkeys(errors))
    return "no diagnostic summary"


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
