"""The audit log kept in S3 (``--audit-log s3://bucket/prefix/``): the storage half of
:class:`nhi_toolkit.audit.RemoteAuditLog`, which owns the chain.

One object per entry, at ``prefix/`` + the entry's ``seq`` zero-padded to 20 digits, holding the
entry's canonical line. A new entry is written with ``PutObject`` and ``IfNoneMatch="*"``: S3 refuses
the write when the object already exists, so of two runners appending at once exactly one gets each
``seq`` and the other chains after it. When the bucket has Object Lock enabled, each entry is written
with a retention (``ObjectLockMode`` and ``ObjectLockRetainUntilDate``): the mode and period of the
bucket's default rule, else GOVERNANCE for :data:`DEFAULT_RETENTION_DAYS` days from the entry's stamp.
Other keys under the prefix are ignored.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import botocore.exceptions

from nhi_toolkit.aws.session import (
    AwsOptions,
    AwsSession,
    CloudUnavailable,
    access_denied,
    error_code,
    is_denied,
    paginate,
)

__all__ = ["DEFAULT_RETENTION_DAYS", "MAX_ENTRY_BYTES", "S3ChainStore", "entry_key", "set_audit_options"]

DEFAULT_RETENTION_DAYS = 365
"""Retention of an entry in a bucket with Object Lock but no default retention rule."""

MAX_ENTRY_BYTES = 1 << 20
"""An object bigger than this is not an entry the log writes; it is read no further."""

_NAME = re.compile(r"\d{20}")
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})

_options = AwsOptions(read_only=False)
_lock = threading.Lock()


def set_audit_options(options: AwsOptions) -> None:
    """Profile, region and endpoint for S3 audit logs (the standard credentials chain otherwise)."""
    global _options
    with _lock:
        _options = AwsOptions(profile=options.profile, region=options.region,
                              endpoint_url=options.endpoint_url, max_attempts=options.max_attempts,
                              read_only=False)


def entry_key(prefix: str, seq: int) -> str:
    """The object key of entry ``seq``."""
    return f"{prefix}{seq:020d}"


class S3ChainStore:
    """A :class:`nhi_toolkit.audit.ChainStore` on S3: list, get and conditional put."""

    def __init__(self, url: str, session: AwsSession | None = None) -> None:
        rest = url.removeprefix("s3://")
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            from nhi_toolkit.audit import AuditLogAccessError

            raise AuditLogAccessError(url, "an S3 audit log needs a bucket: s3://BUCKET/PREFIX/")
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.url = f"s3://{bucket}/{self.prefix}"
        if session is None:
            with _lock:
                session = AwsSession(_options)
        self.session = session
        self._retention: tuple[str, timedelta] | bool | None = False  # False: not looked up yet

    # -- ChainStore ----------------------------------------------------------------------------

    def names(self) -> list[int]:
        """The entry numbers present under the prefix, ascending."""
        keys = self._s3("ListObjectsV2", "s3:ListBucket", lambda c: [
            o["Key"] for o in paginate(c, "list_objects_v2", "Contents", Bucket=self.bucket, Prefix=self.prefix)])
        cut = len(self.prefix)
        return sorted(int(k[cut:]) for k in keys if _NAME.fullmatch(k[cut:]))

    def read(self, seq: int) -> bytes:
        """The content of entry ``seq``'s object (at most :data:`MAX_ENTRY_BYTES` and one more)."""
        key = entry_key(self.prefix, seq)

        def get(c: Any) -> bytes:
            body = c.get_object(Bucket=self.bucket, Key=key)["Body"]
            try:
                return bytes(body.read(MAX_ENTRY_BYTES + 1))
            finally:
                body.close()

        return bytes(self._s3("GetObject", "s3:GetObject", get, key))

    def create(self, seq: int, blob: bytes, at: str) -> bool:
        """Put entry ``seq`` unless its object exists; False when it does (another writer won)."""
        key = entry_key(self.prefix, seq)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": blob, "IfNoneMatch": "*",
                                  "ContentType": "application/json"}
        retention = self._lock_retention()
        if retention is not None:
            from nhi_toolkit.expiry import parse_now

            mode, period = retention
            params["ObjectLockMode"] = mode
            params["ObjectLockRetainUntilDate"] = parse_now(at) + period
        try:
            self._s3("PutObject", "s3:PutObject", lambda c: c.put_object(**params), key, conflicts=True)
        except _Conflict:
            return False
        return True

    # -- helpers -------------------------------------------------------------------------------

    def _lock_retention(self) -> tuple[str, timedelta] | None:
        """(mode, period) when the bucket has Object Lock enabled, looked up once; None otherwise.
        A denied lookup counts as none: the bucket's default retention, if any, still applies."""
        if self._retention is not False:
            return self._retention  # type: ignore[return-value]
        try:
            got = self.session.call("s3", "GetObjectLockConfiguration", self.url,
                                    lambda c: c.get_object_lock_configuration(Bucket=self.bucket))
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) == "NoSuchBucket":
                raise self._no_bucket() from None
            self._retention = None
            return None
        conf = got.get("ObjectLockConfiguration") or {}
        if conf.get("ObjectLockEnabled") != "Enabled":
            self._retention = None
            return None
        rule = (conf.get("Rule") or {}).get("DefaultRetention") or {}
        mode = str(rule.get("Mode") or "GOVERNANCE")
        days = int(rule.get("Days") or 0) + 365 * int(rule.get("Years") or 0)
        self._retention = (mode, timedelta(days=days or DEFAULT_RETENTION_DAYS))
        return self._retention

    def _no_bucket(self) -> CloudUnavailable:
        return CloudUnavailable(self.url, f"the audit log's bucket {self.bucket} does not exist (or is "
                                          "in another account); create it first")

    def _s3(self, action: str, permission: str, fn: Any, key: str | None = None, *,
            conflicts: bool = False) -> Any:
        """Call S3: a missing bucket, a denial or another failure stops the run (exit 4) with a
        message naming the log and, for a denial, the permission."""
        where = f"s3://{self.bucket}/{key}" if key else self.url
        try:
            return self.session.call("s3", action, where, fn)
        except botocore.exceptions.ClientError as exc:
            code = error_code(exc)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if conflicts and (code in _CONFLICT_CODES or status in (409, 412)):
                raise _Conflict() from None
            if code == "NoSuchBucket":
                raise self._no_bucket() from None
            if is_denied(exc):
                raise CloudUnavailable(self.url, access_denied(permission, where, self.session.caller())) from None
            if code in ("NoSuchKey", "404"):
                raise CloudUnavailable(self.url, f"{where} disappeared while the log was read") from None
            raise CloudUnavailable(self.url, f"s3:{action} on {where} failed ({code or 'error'})") from None


class _Conflict(Exception):
    """The conditional write found the object already there."""
