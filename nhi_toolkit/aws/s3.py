"""Terraform states in an S3 backend: list every state under a prefix (workspaces included), read
each one with a size cap, and split the listing into deterministic shards.

The S3 backend stores the default workspace at ``KEY`` and every other workspace at
``env:/WORKSPACE/KEY`` (``workspace_key_prefix``, ``env:`` by default). ``s3://bucket/prefix/`` names
every object ending in ``.tfstate`` under ``prefix/`` and under ``env:/*/prefix/``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from nhi_toolkit.aws.session import AwsOptions, AwsSession, CloudUnavailable, error_code, is_missing, paginate
from nhi_toolkit.errors import InputError
from nhi_toolkit.fleet import in_shard

__all__ = [
    "DEFAULT_MAX_STATE_BYTES",
    "StateObject",
    "in_shard",
    "list_states",
    "parse_s3_url",
    "read_object",
    "set_state_options",
    "state_session",
]

#: A state bigger than this is refused rather than read into memory.
DEFAULT_MAX_STATE_BYTES = 512 * 1024 * 1024
WORKSPACE_PREFIX = "env:"

_options = AwsOptions()
_session: AwsSession | None = None
_lock = threading.Lock()


def set_state_options(options: AwsOptions) -> None:
    """Credentials, region and endpoint for reading state buckets (``--state-profile``), kept apart
    from the scanned account's."""
    global _options, _session
    with _lock:
        _options, _session = options, None


def state_session() -> AwsSession:
    """The session state buckets are read with (the standard chain unless set_state_options)."""
    global _session
    with _lock:
        if _session is None:
            _session = AwsSession(_options)
        return _session


@dataclass(frozen=True)
class StateObject:
    """One state object: its key, workspace (``default`` outside ``env:/``) and size."""

    bucket: str
    key: str
    workspace: str
    size: int

    @property
    def url(self) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError(url, "an S3 input needs a bucket: s3://BUCKET/PREFIX/")
    return bucket, prefix


def _listing(session: AwsSession, bucket: str, prefix: str) -> list[dict[str, Any]]:
    listing: list[dict[str, Any]] = session.require("s3", "ListObjectsV2", f"s3://{bucket}/{prefix}",
                           lambda c: list(paginate(c, "list_objects_v2", "Contents", Bucket=bucket,
                                                   Prefix=prefix)))
    return listing


def list_states(url: str, session: AwsSession | None = None, *,
                shard: tuple[int, int] | None = None, suffix: str = ".tfstate") -> list[StateObject]:
    """Every state under the URL's prefix, default workspace and ``env:/*/`` workspaces, sorted by
    key; with ``shard``, only that shard's part. A URL naming one object reads just that object."""
    session = session or state_session()
    bucket, prefix = parse_s3_url(url)
    out: list[StateObject] = []
    try:
        for obj in _listing(session, bucket, prefix):
            key = str(obj["Key"])
            if key.endswith(suffix) and not key.startswith(WORKSPACE_PREFIX + "/"):
                out.append(StateObject(bucket, key, "default", int(obj.get("Size", 0))))
        if not prefix.startswith(WORKSPACE_PREFIX):
            for obj in _listing(session, bucket, WORKSPACE_PREFIX + "/"):
                key = str(obj["Key"])
                parts = key.split("/", 2)
                if len(parts) == 3 and parts[2].startswith(prefix) and key.endswith(suffix):
                    out.append(StateObject(bucket, key, parts[1], int(obj.get("Size", 0))))
    except CloudUnavailable as exc:
        raise CloudUnavailable(url, exc.message) from None
    out.sort(key=lambda o: o.key)
    return [o for o in out if in_shard(o.key, shard)]


def read_object(obj: StateObject, session: AwsSession | None = None,
                max_bytes: int = DEFAULT_MAX_STATE_BYTES) -> bytes:
    """The object's bytes, refused past ``max_bytes`` (checked on the size and while reading)."""
    session = session or state_session()
    if obj.size > max_bytes:
        raise InputError(obj.url, f"state is {obj.size} bytes, over the {max_bytes}-byte limit")
    try:
        resp = session.call("s3", "GetObject", obj.url,
                            lambda c: c.get_object(Bucket=obj.bucket, Key=obj.key))
        body = resp["Body"]
        try:
            data: bytes = body.read(max_bytes + 1)
        finally:
            body.close()
    except botocore.exceptions.ClientError as exc:
        if is_missing(exc):
            raise InputError(obj.url, "no such object (deleted while reading?)") from None
        raise CloudUnavailable(obj.url, f"s3:GetObject failed ({error_code(exc) or 'error'})") from None
    except (botocore.exceptions.BotoCoreError, OSError) as exc:
        raise CloudUnavailable(obj.url, f"reading the object failed ({type(exc).__name__})") from None
    if len(data) > max_bytes:
        raise InputError(obj.url, f"state is over the {max_bytes}-byte limit")
    return data
