"""A real AWS-compatible endpoint for the live tests: moto's server on 127.0.0.1 on a free port,
driven with real boto3 clients and dummy credentials. Nothing in boto3 is patched or stubbed.

Also a fault proxy: a small HTTP server in front of moto that answers chosen requests with an error
(throttling, AccessDenied) before passing the rest through.
"""

from __future__ import annotations

import http.client
import http.server
import os
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


BUCKET = "audit-trail"  # the bucket s3_log creates


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server for the whole session."""
    from moto.server import ThreadedMotoServer

    for k, v in DUMMY_ENV.items():
        os.environ.setdefault(k, v)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty account on the moto server (reset before each test); the dummy credentials in
    the environment (never a real profile or credentials file)."""
    import urllib.request

    for k, v in DUMMY_ENV.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=30)
    yield moto_endpoint


@pytest.fixture()
def s3_log(aws: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty bucket on moto; the URL of a log under it. The library reaches moto through
    AWS_ENDPOINT_URL, as the CLI does."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    client(aws, "s3").create_bucket(Bucket=BUCKET)
    return f"s3://{BUCKET}/nhi/audit/"


def client(endpoint: str, service: str):  # type: ignore[no-untyped-def]
    """A plain boto3 client (read and write) for setting the account up."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@dataclass
class FaultProxy:
    """Forwards to ``target``; ``fault(action) -> (status, code) | None`` decides per request."""

    target: str
    fault: Callable[[str], tuple[int, str] | None]
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def start(self) -> FaultProxy:
        proxy = self
        parsed = urllib.parse.urlparse(self.target)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                action = (form.get("Action") or [""])[0] or self.headers.get("X-Amz-Target", "") or \
                    f"{self.command} {self.path.split('?')[0]}"
                proxy.requests.append(action)
                fault = proxy.fault(action)
                if fault is not None:
                    status, code = fault
                    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                           f"<Message>injected {code}</Message></Error><RequestId>x</RequestId>"
                           "</ErrorResponse>").encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(xml)))
                    self.end_headers()
                    self.wfile.write(xml)
                    return
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"{parsed.hostname}:{parsed.port}"
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
