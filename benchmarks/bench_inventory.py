"""Wall time and peak memory of ``nhi inventory`` over a fleet of states in S3, and over one large state.

    python benchmarks/bench_inventory.py              # 100 and 1,000 states in S3; one 50,000-resource state
    python benchmarks/bench_inventory.py 100 1000 3000

A local moto server (a separate process, 127.0.0.1, free port) stands in for S3. Each ``nhi
inventory`` run is a child process measured from outside: wall clock and the child's ru_maxrss.
Memory should stay flat in the number of states (each state is loaded, reduced to rows, dropped).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

NHI = [sys.executable, "-m", "nhi_toolkit.cli"]
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
       "AWS_EC2_METADATA_DISABLED": "true"}


def state(n_integrations: int, tag: str) -> dict[str, Any]:
    """A raw v4 state: per integration a user, an access key and a role (3 resources)."""
    resources = []
    for i in range(n_integrations):
        name = f"{tag}-{i:05d}"
        tags = {"owner": "alice@example.com", "expires_at": "2027-03-31", "integration": name}
        for rtype, rname, attrs in (
            ("aws_iam_user", "bot", {"name": name, "tags": tags, "tags_all": tags, "arn": f"arn:aws:iam::1:user/{name}"}),
            ("aws_iam_access_key", "bot", {"id": f"AKIA{i:016d}", "user": name, "status": "Active",
                                           "secret": "x" * 40}),
            ("aws_iam_role", "bot", {"name": name, "tags": tags, "tags_all": tags,
                                     "assume_role_policy": "{\"Statement\":[]}"}),
        ):
            resources.append({"mode": "managed", "type": rtype, "name": rname,
                              "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                              "instances": [{"index_key": name, "schema_version": 0, "attributes": attrs,
                                             "sensitive_attributes": []}]})
    return {"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": tag, "outputs": {},
            "resources": resources}


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak MiB) of one child process."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.execvpe(argv[0], argv, {**os.environ, **env})
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start")


def upload(url: str, bucket: str, count: int) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
    s3.create_bucket(Bucket=bucket)
    body = json.dumps(state(10, "svc")).encode()  # 30 resources per state

    def put(i: int) -> None:
        key = f"fleet/svc-{i:05d}/terraform.tfstate" if i % 5 else f"env:/ws{i % 7}/fleet/svc-{i:05d}/terraform.tfstate"
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    proc, url = start_moto()
    try:
        env = {**ENV, "AWS_ENDPOINT_URL": url}
        print(f"{'input':<36} {'states':>6} {'resources':>9} {'wall s':>7} {'peak MiB':>9}")
        for n in sizes:
            bucket = f"fleet-{n}"
            upload(url, bucket, n)
            secs, mib = measure(NHI + ["inventory", f"s3://{bucket}/fleet/", "--format", "json",
                                       "--now", "2026-12-01"], env)
            print(f"{'s3://' + bucket + '/fleet/':<36} {n:>6} {n * 30:>9} {secs:>7.2f} {mib:>9.0f}")
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / "big.tfstate"
            big.write_text(json.dumps(state(16667, "big")))
            secs, mib = measure(NHI + ["inventory", str(big), "--format", "json", "--now", "2026-12-01"], env)
            print(f"{'one local state (' + str(big.stat().st_size // 1_000_000) + ' MB)':<36} {1:>6} "
                  f"{16667 * 3:>9} {secs:>7.2f} {mib:>9.0f}")
            import boto3

            s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="bench", aws_secret_access_key="bench")
            s3.create_bucket(Bucket="big")
            s3.upload_file(str(big), "big", "one/terraform.tfstate")
            secs, mib = measure(NHI + ["inventory", "s3://big/one/", "--format", "json", "--now", "2026-12-01"], env)
            print(f"{'the same state in S3':<36} {1:>6} {16667 * 3:>9} {secs:>7.2f} {mib:>9.0f}")
            secs, mib = measure([sys.executable, "-c", f"import json; json.load(open({str(big)!r}))"], env)
            print(f"{'  bare json.load of it':<36} {'':>6} {'':>9} {secs:>7.2f} {mib:>9.0f}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
