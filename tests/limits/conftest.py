"""A real Redis (Debian's `redis-server`, nothing saved to disk) and app servers that share it.

The app servers are the fault tests' `Served`: `gunicorn -c gunicorn.conf.py wsgi:app` as `make
run` starts it, here two of them on one instance (one database, one secret key), as two machines
behind a load balancer would be.
"""

import contextlib
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.faults.conftest import Served, free_port


class RedisServer:
    """`redis-server` on a free loopback port; `stop()` is Redis going away mid-test."""

    def __init__(self, binary: str, directory: Path):
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError), self.client() as client:
                if client.ping():
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    """A throw-away Redis, stopped at teardown (if the test has not stopped it)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(binary, tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_servers(tmp_path, redis_server):
    """Factory of two gunicorn servers on one instance, both counting limits in the Redis; extra
    MEDKAB_* settings as keyword arguments. Both are stopped at teardown."""
    made = []

    def make(**settings) -> tuple[Served, Served]:
        first = Served(tmp_path)
        second = Served(tmp_path)
        second.log_path = tmp_path / "gunicorn-second.log"
        for server in (first, second):
            server.env.update(
                {
                    "MEDKAB_REDIS_URL": redis_server.url,
                    "MEDKAB_RATELIMIT_ENABLED": "1",
                    **{f"MEDKAB_{key}": str(value) for key, value in settings.items()},
                }
            )
        made.extend((first, second))
        first.prepare(accounts=1)
        first.start()
        second.start()
        return first, second

    yield make
    for server in made:
        server.stop()


def failure_counts(database: Path) -> list[tuple[int, str, int]]:
    """(user_id, factor, count) of every per-account failure counter in the database."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute(
            "select user_id, factor, count from factor_failures order by user_id, factor"
        ).fetchall()
    finally:
        conn.close()


def actions(database: Path, action: str) -> int:
    """How many audit rows of one action the database holds."""
    conn = sqlite3.connect(database)
    try:
        return conn.execute(
            "select count(*) from audit_log where action = ?", (action,)
        ).fetchone()[0]
    finally:
        conn.close()
