"""Terraform addresses as ``-target`` options: one argv element, or quoted for a shell."""

from __future__ import annotations

import shlex

from nhi_toolkit.addresses import AddressError, parse_address

__all__ = ["shell_target", "target_option"]


def target_option(address: str) -> str:
    """The single argv element ``-target=<address>`` for a resource, instance or module address.

    Addresses come already written in Terraform's HCL-quoted form (see :mod:`nhi_toolkit.addresses`),
    so a key such as ``["team \\"x\\" ü"]`` needs no further quoting: no shell is involved. The
    address is checked so that a malformed one fails here rather than deep inside Terraform.
    """
    if not address or "\n" in address or "\x00" in address:
        raise ValueError("not a Terraform address")
    try:
        parse_address(address)
    except AddressError:
        # A module address (``module.a["k"]``) is a valid target too; it parses once a resource
        # step is appended, and only then.
        try:
            parsed = parse_address(address + ".t.n")
        except AddressError as exc:
            raise ValueError(f"not a Terraform address: {exc}") from None
        if not parsed.module or parsed.module != address:
            raise ValueError("not a Terraform address") from None
    return f"-target={address}"


def shell_target(address: str) -> str:
    """``-target=...`` quoted for a POSIX shell, for showing a command a person may copy and run."""
    return shlex.quote(target_option(address))
