"""The secret guard: nothing secret is ever written to the audit log.

:meth:`AuditLog.append` raises :class:`SecretInAuditData` when ``data``, at any depth (objects
inside objects or lists), holds

* a key that names a secret. The key is split into lower-case words (at ``_``, ``-``, ``.``,
  spaces and camelCase humps) and refused when a word is one of :data:`SECRET_WORDS` (``secret``,
  ``password``, ``token``, ``value``, ``credentials``, ...), when two adjacent words form one of
  :data:`SECRET_KEY_PAIRS` (``private_key``, ``api_key``, ``signing_key``, ...), or when the words
  run together contain one of :data:`SECRET_STEMS` (``clientsecret``, ``accesstoken``,
  ``privatekey``, ...). So ``secret_string``, ``private_key_pem``, ``ses_smtp_password_v4``,
  ``password_wo`` and ``secretString`` are all refused;
* a string that carries a PEM private key block.

The rule is deliberately broad: name a field by what it identifies (``address``, ``arn``, ``id``,
``owner``, ``reason``, ``plan_sha256``), never by the secret it belongs to (``secret_arn`` is
refused). The error names the offending key path, never a value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from nhi_toolkit.audit.errors import SecretInAuditData

__all__ = ["SECRET_KEY_PAIRS", "SECRET_STEMS", "SECRET_WORDS", "check_no_secrets"]

SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "pwd",
        "token",
        "tokens",
        "value",
        "values",
        "credential",
        "credentials",
        "creds",
        "plaintext",
        "ciphertext",
        "pem",
        "pkcs12",
        "pfx",
        "keytab",
        "cookie",
        "authorization",
        "bearer",
    }
)
"""A key with any of these words names a secret (``value`` too: it is where secrets live)."""

SECRET_KEY_PAIRS = frozenset(
    {
        ("private", "key"),
        ("api", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("hmac", "key"),
        ("session", "key"),
        ("shared", "key"),
        ("account", "key"),
        ("key", "material"),
        ("connection", "string"),
    }
)
"""Adjacent words that together name a secret."""

SECRET_STEMS = (
    "secret",
    "password",
    "passwd",
    "passphrase",
    "token",
    "credential",
    "privatekey",
    "apikey",
    "plaintext",
)
"""Substrings refused in a key's words run together (``clientSecret``, ``accesstoken``)."""

_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_HUMPS = (re.compile(r"([A-Z]+)([A-Z][a-z])"), re.compile(r"([a-z0-9])([A-Z])"))


def _key_words(key: str) -> list[str]:
    for hump in _HUMPS:
        key = hump.sub(r"\1_\2", key)
    return [w for w in re.split(r"[^a-z0-9]+", key.lower()) if w]


def _names_secret(key: str) -> bool:
    words = _key_words(key)
    if any(w in SECRET_WORDS for w in words):
        return True
    if any(pair in SECRET_KEY_PAIRS for pair in itertools.pairwise(words)):
        return True
    joined = "".join(words)
    return any(stem in joined for stem in SECRET_STEMS)


def check_no_secrets(data: Any, path: str = "data", file: str = "audit data") -> None:
    """Raise :class:`SecretInAuditData` if ``data`` holds a secret-named key or a PEM private key.

    Walks objects and lists at any depth; ``path`` prefixes the key path named in the message,
    ``file`` (the log it was meant for) starts it.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            if not isinstance(key, str):
                raise SecretInAuditData(file, f"{path} has a key that is not a string")
            where = f"{path}.{key}" if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f"{path}[{key!r}]"
            if _names_secret(key):
                raise SecretInAuditData(file, f"{where} names a secret; audit data must never hold secrets")
            check_no_secrets(value, where, file)
    elif isinstance(data, list | tuple):
        for i, item in enumerate(data):
            check_no_secrets(item, f"{path}[{i}]", file)
    elif isinstance(data, str) and _PEM_PRIVATE.search(data):
        raise SecretInAuditData(file, f"{path} holds a private key; audit data must never hold secrets")
