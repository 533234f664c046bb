"""The server `make run` starts keeps answering while clients sit idle or send slowly (issue 15:
two idle connections used to hold both sync workers, and `GET /login` waited 32 s)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - localhost
        response.read()
        return response.status, time.monotonic() - started


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with the project's gunicorn.conf.py, as `make run` starts it."""
    yield from _serve(tmp_path_factory, workers=2)


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """The same with one worker: every connection on one event loop."""
    yield from _serve(tmp_path_factory, workers=1)


def _serve(tmp_path_factory, *, workers: int):
    tmp_path = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")},
        "MEDKAB_DATA_KEY": "22" * 32,
        "MEDKAB_INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDKAB_PORT": str(port),
        "MEDKAB_WORKERS": str(workers),
        "MEDKAB_ACCESS_LOG": "0",
    }
    subprocess.run(
        [BIN / "flask", "--app", "wsgi", "db-migrate"], cwd=ROOT, env=env, check=True, timeout=60
    )
    process = subprocess.Popen(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(url + "/login", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the server did not start")
            time.sleep(0.2)
    yield port, url
    process.terminate()
    process.wait(timeout=20)


def test_idle_and_half_sent_connections_do_not_stall_a_normal_request(server):
    port, url = server
    held = []
    try:
        for n in range(30):
            sock = socket.create_connection(("127.0.0.1", port))
            if n % 3 == 0:  # a third start a request and never finish its headers
                sock.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            held.append(sock)
        time.sleep(0.5)  # every one of them has reached a worker by now
        for _ in range(5):
            status, seconds = _get(url + "/login")
            assert status == 200 and seconds < 1.0, seconds
    finally:
        for sock in held:
            sock.close()


def test_the_server_closes_a_connection_that_sends_nothing(server):
    port, _ = server
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(20)
    started = time.monotonic()
    try:
        assert sock.recv(1024) == b""  # closed by the server, not by us
    finally:
        sock.close()
    assert time.monotonic() - started < 15


def test_a_client_whose_requests_are_always_ready_does_not_starve_another(one_worker):
    """A keep-alive client with its next requests already waiting (here: 400 pipelined) and a
    second client with one request: the second is answered after a few of the first's, not
    after all of them (the worker yields after each request; the stock gevent worker did not)."""
    port, _ = one_worker
    request = b"GET /offline HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    busy = socket.create_connection(("127.0.0.1", port))
    other = socket.create_connection(("127.0.0.1", port))
    try:
        busy.sendall(request * 400)
        time.sleep(0.05)  # the busy client's greenlet is at work
        other.sendall(request)
        other.settimeout(30)
        answer = b""
        while b"</html>" not in answer:
            answer += other.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
        busy.setblocking(False)
        served_first = b""
        try:
            while chunk := busy.recv(1 << 20):
                served_first += chunk
        except BlockingIOError:
            pass
        done = served_first.count(b"HTTP/1.1 200")
        assert done < 200, f"the other client waited for {done} of the busy client's 400 requests"
    finally:
        busy.close()
        other.close()
