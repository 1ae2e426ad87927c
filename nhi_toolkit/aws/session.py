"""Sessions and clients: the standard credentials chain, retries with backoff, a read-only guard, and
errors turned into messages that name the IAM action and the identity it blocked.

Every client this package makes refuses, before anything is sent, any operation whose name is not a
read (``Get``, ``List``, ``Describe``, ``Head``): ``nhi verify`` and ``nhi inventory`` cannot write to
AWS even by mistake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config as BotoConfig

from nhi_toolkit.errors import NhiError

__all__ = [
    "READ_PREFIXES",
    "AwsOptions",
    "AwsSession",
    "CloudUnavailable",
    "WriteRefused",
    "access_denied",
    "error_code",
    "paginate",
    "tag_map",
]

#: Operation names a read-only client may call.
READ_PREFIXES = ("Get", "List", "Describe", "Head")

#: Error codes that mean "the caller may not do this".
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                          "UnauthorizedAccess", "AllAccessDisabled"})
#: Error codes that mean "no such thing".
MISSING_CODES = frozenset({"NoSuchEntity", "ResourceNotFoundException", "NoSuchKey", "NotFound", "404",
                           "NoSuchBucket"})


class CloudUnavailable(NhiError):
    """The cloud could not be asked at all (no credentials, unreachable endpoint, the whole account
    denied): the run could not complete (exit 4)."""

    exit_code = 4


class WriteRefused(RuntimeError):
    """A read-only client was asked to call an operation that is not a read."""


@dataclass(frozen=True)
class AwsOptions:
    """Where and as whom to talk to AWS. Empty fields fall back to the standard boto3 chain
    (environment, shared config and credentials files, SSO, instance and container roles)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 8
    read_only: bool = True


def _refuse_writes(model: Any = None, **_: Any) -> None:
    name = getattr(model, "name", "")
    if not name.startswith(READ_PREFIXES):
        raise WriteRefused(f"refused {name}: this client only reads")


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_denied(exc: BaseException) -> bool:
    """True for an AccessDenied-like error."""
    return error_code(exc) in DENIED_CODES


def is_missing(exc: BaseException) -> bool:
    """True for a 'no such entity' error."""
    return error_code(exc) in MISSING_CODES


def access_denied(action: str, target: str, caller: str) -> str:
    """The message for a denied call: the missing IAM action, what it was about, and who asked."""
    return f"{action} was denied for {caller} on {target}: grant {action} to read it"


class AwsSession:
    """One boto3 session with its client factory. Clients are cached per service (they are
    thread-safe); the caller's ARN is looked up once, for messages."""

    def __init__(self, options: AwsOptions = AwsOptions()) -> None:
        self.options = options
        try:
            self._session = boto3.session.Session(profile_name=options.profile,
                                                  region_name=options.region)
        except botocore.exceptions.ProfileNotFound:
            raise CloudUnavailable("aws", f"profile '{options.profile}' is not configured") from None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._caller: str | None = None

    @property
    def region(self) -> str:
        """The region in use (us-east-1 when none is configured: IAM is global)."""
        return self.options.region or self._session.region_name or "us-east-1"

    def client(self, service: str) -> Any:
        """A client with standard retries (exponential backoff with jitter) and the read-only guard."""
        with self._lock:
            if service not in self._clients:
                cfg = BotoConfig(retries={"mode": "standard", "max_attempts": self.options.max_attempts},
                                 connect_timeout=10, read_timeout=60, max_pool_connections=32,
                                 user_agent_extra="nhi-toolkit")
                client = self._session.client(service, region_name=self.region,
                                              endpoint_url=self.options.endpoint_url, config=cfg)
                if self.options.read_only:
                    client.meta.events.register("before-call.*.*", _refuse_writes)
                self._clients[service] = client
            return self._clients[service]

    def caller(self) -> str:
        """The caller's ARN (sts:GetCallerIdentity). Raises CloudUnavailable when AWS cannot be asked."""
        if self._caller is None:
            ident = self.call("sts", "GetCallerIdentity", "the account", lambda c: c.get_caller_identity())
            self._caller = str(ident.get("Arn", "the caller"))
        return self._caller

    def call(self, service: str, action: str, target: str, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(client)``; connection and credential failures become CloudUnavailable (exit 4).
        ClientErrors (denied, missing) are left to the caller, which knows whether they concern one
        identity or the whole run."""
        try:
            return fn(self.client(service))
        except botocore.exceptions.NoCredentialsError:
            raise CloudUnavailable("aws", "no AWS credentials found (set AWS_PROFILE or --profile, "
                                          "or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY pair)") from None
        except botocore.exceptions.ProfileNotFound:
            raise CloudUnavailable("aws", f"profile '{self.options.profile}' is not configured") from None
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectTimeoutError,
                botocore.exceptions.ReadTimeoutError,
                botocore.exceptions.ConnectionClosedError) as exc:
            where = self.options.endpoint_url or f"the {service} endpoint in {self.region}"
            raise CloudUnavailable("aws", f"could not reach {where} ({type(exc).__name__}) "
                                          f"while calling {service}:{action}") from None
        except botocore.exceptions.ClientError as exc:
            code = error_code(exc)
            if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken",
                        "ExpiredTokenException", "UnrecognizedClientException", "InvalidAccessKeyId"):
                raise CloudUnavailable("aws", f"the AWS credentials were rejected ({code}) "
                                              f"calling {service}:{action}") from None
            if code in ("Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown",
                        "TooManyRequestsException"):
                raise CloudUnavailable("aws", f"{service}:{action} was still throttled after "
                                              f"{self.options.max_attempts} attempts") from None
            raise
        except botocore.exceptions.BotoCoreError as exc:
            raise CloudUnavailable("aws", f"{service}:{action} failed ({type(exc).__name__})") from None

    def require(self, service: str, action: str, target: str, fn: Callable[[Any], Any]) -> Any:
        """Like :meth:`call`, for account-wide reads: a denial stops the run (exit 4) naming the
        action and the caller."""
        try:
            return self.call(service, action, target, fn)
        except botocore.exceptions.ClientError as exc:
            if is_denied(exc):
                raise CloudUnavailable("aws", access_denied(f"{service}:{action}", target,
                                                            self.caller())) from None
            raise CloudUnavailable("aws", f"{service}:{action} on {target} failed "
                                          f"({error_code(exc) or 'error'})") from None


def paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item of a paginated list operation (``key`` names the list in each page)."""
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, ())


def tag_map(items: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """AWS's ``[{"Key": ..., "Value": ...}]`` tag list as a dict."""
    return {str(t.get("Key")): str(t.get("Value", "")) for t in items}
