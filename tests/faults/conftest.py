"""Real gunicorn on a throw-away instance, a browser-like client over raw HTTP, small disks.

Nothing here stands in for the app: the server is `gunicorn -c gunicorn.conf.py wsgi:app` as
`make run` and production start it, the account is made by the CLI's own code, and the faults
are real ones (SIGKILL, a full tmpfs).
"""

import contextlib
import http.client
import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PASSWORD, create_active_user, csrf_from
from webapp import create_app
from webapp.adapters.storage import LocalEncryptedStorage
from webapp.db import close_keeper, connect, migrate

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATA_KEY = "33" * 32
PHONE = "+79120000001"  # create_active_user(n=1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def photo(seed: int, size=(1600, 2200)) -> bytes:
    """A JPEG that compresses badly (smooth noise), so each page costs real work and bytes."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(cells).resize(size, Image.Resampling.BILINEAR).save(out, "JPEG", quality=90)
    return out.getvalue()


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body: (body, content type)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, data in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Answer:
    """Status, headers and text of one HTTP answer."""

    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        import json

        return json.loads(self.body)


class Browser:
    """One signed-in person's cookie jar over plain http.client: one connection per request,
    so threads may each hold their own Browser."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def headers(self, extra=None) -> dict:
        sent = {"Host": f"127.0.0.1:{self.port}", **(extra or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return sent

    def keep_cookies(self, response_headers) -> None:
        for header in response_headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def request(self, method, path, body=None, headers=None, timeout=30) -> Answer:
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=self.headers(headers))
            answer = Answer(conn.getresponse())
        finally:
            conn.close()
        self.keep_cookies(answer.headers)
        return answer

    def get(self, path, headers=None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields: dict, headers=None) -> Answer:
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def csrf(self, page="/documents/new") -> str:
        return csrf_from(self.get(page).text)

    def sign_in(self, phone=PHONE, password=PASSWORD) -> None:
        token = csrf_from(self.get("/login").text)
        fields = {"login": phone, "password": password, "csrf_token": token}
        answer = self.post_form("/login", fields)
        assert answer.status in (302, 303), answer.text[:500]
        assert answer.headers["Location"] == "/", answer.headers["Location"]

    def upload(
        self, files, key, *, token, doc_type="diploma", accept="application/json", extra=None
    ):
        """POST /documents/upload the way capture.js does: pages, Idempotency-Key, JSON."""
        body, content_type = multipart(
            {"csrf_token": token, "doc_type": doc_type, **(extra or {})},
            [("pages", name, data) for name, data in files],
        )
        return self.request(
            "POST",
            "/documents/upload",
            body=body,
            headers={"Content-Type": content_type, "Idempotency-Key": key, "Accept": accept},
            timeout=120,
        )


class Served:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a throw-away instance, started as `make run`
    and the production unit do; `kill()` is the whole server dying at once."""

    def __init__(self, tmp_path: Path, *, workers=1, database=None, files=None, data_key=DATA_KEY):
        self.instance = tmp_path / "instance"
        self.database = Path(database or self.instance / "medkab.sqlite3")
        self.files = Path(files or self.instance / "files")
        self.log_path = tmp_path / "gunicorn.log"
        self.port = free_port()
        self.workers = workers
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")},
            "MEDKAB_INSTANCE_PATH": str(self.instance),
            "MEDKAB_DATABASE": str(self.database),
            "MEDKAB_FILES_PATH": str(self.files),
            "MEDKAB_DATA_KEY": data_key,
            "MEDKAB_HOST": "127.0.0.1",
            "MEDKAB_PORT": str(self.port),
            "MEDKAB_WORKERS": str(workers),
            "MEDKAB_DEBUG": "0",
            "MEDKAB_ACCESS_LOG": "0",
            "MEDKAB_RATELIMIT_ENABLED": "0",
            "MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS": "1",
            "MEDKAB_ARGON2_MEMORY_KIB": "1024",
            "MEDKAB_ARGON2_TIME_COST": "1",
        }
        self.process: subprocess.Popen | None = None

    def settings(self) -> dict:
        """The same instance as in-process config (to make accounts, read storage)."""
        return {
            "INSTANCE_PATH": str(self.instance),
            "DATABASE": str(self.database),
            "FILES_PATH": str(self.files),
            "DATA_KEY": self.env["MEDKAB_DATA_KEY"],
            "ARGON2_MEMORY_KIB": 1024,
            "ARGON2_TIME_COST": 1,
            "RATELIMIT_ENABLED": False,
            "SECOND_FACTOR_OPTIONAL_FOR_WORKERS": True,
        }

    def prepare(self, accounts=1) -> None:
        """Migrate and make worker accounts (phones +7912000000n) with the CLI's own code."""
        app = create_app(self.settings())
        db = connect(self.database)
        migrate(db)
        db.close()
        for n in range(1, accounts + 1):
            create_active_user(app, n=n)
        close_keeper(app)

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers or not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail("gunicorn did not start:\n" + self.log_tail())
            time.sleep(0.05)

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/login", headers={"Host": f"127.0.0.1:{self.port}"})
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        """The workers the master forked (its children)."""
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def wait_for_workers(self, other_than=(), timeout=30.0) -> list[int]:
        """Block until the master has `workers` live workers none of which is in other_than."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and not set(pids) & set(other_than) and self._answers():
                return pids
            time.sleep(0.05)
        pytest.fail("gunicorn did not replace its worker:\n" + self.log_tail())

    def browser(self) -> Browser:
        return Browser(self.port)

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a power cut for the processes."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """gunicorn's quick shutdown (SIGINT); the graceful one only waits for idle keep-alives."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        self.kill()

    def storage(self) -> LocalEncryptedStorage:
        return LocalEncryptedStorage(self.files, bytes.fromhex(self.env["MEDKAB_DATA_KEY"]))

    def rows(self, table: str) -> list[dict]:
        return rows_of(self.database, table)

    def log_tail(self, lines=40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def nmo_entry(title: str, token: str) -> dict:
    """The form of one НМО entry («Баллы НМО» → «Добавить»), as a browser posts it."""
    return {
        "csrf_token": token,
        "specialty": "Терапия",
        "day": "2026-03-01",
        "element": "module",
        "title": title,
        "provider": "",
        "zet": "2",
        "confirmation_code": "",
    }


def rows_of(database: Path, table: str) -> list[dict]:
    """Every row of a table, in rowid order, from a fresh connection."""
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(f"select * from {table} order by rowid")]
    finally:
        conn.close()


def integrity(database: Path) -> str:
    conn = sqlite3.connect(database)
    try:
        return "; ".join(row[0] for row in conn.execute("pragma integrity_check"))
    finally:
        conn.close()


def blob_files(root: Path) -> set[str]:
    """Names of every file under a storage root, temp files of unfinished writes included."""
    return {p.name for p in Path(root).rglob("*") if p.is_file()} if Path(root).exists() else set()


@contextlib.contextmanager
def serving(path: Path, *, accounts=1, **options):
    """A migrated instance with worker accounts under path, served until the block ends."""
    server = Served(path, **options)
    server.prepare(accounts)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def served(tmp_path):
    """Factory of servers for one test (`prepare=False, start=False` to do it by hand); each is
    stopped at teardown."""
    made = []

    def make(name="server", *, accounts=1, prepare=True, start=True, **options):
        server = Served(tmp_path / name, **options)
        made.append(server)
        if prepare:
            server.prepare(accounts)
        if start:
            server.start()
        return server

    yield make
    for server in made:
        server.stop()


def cli(server: Served, *args: str):
    """`flask --app wsgi <args>` on the server's instance: the real command, run in this process
    (a subprocess would only add seconds of imports). Returns click's result."""
    app = create_app(server.settings())
    try:
        return app.test_cli_runner().invoke(args=list(args))
    finally:
        close_keeper(app)


def sweep(server: Served) -> str:
    """`flask documents-sweep --older-than 0`: every unreferenced file and temp file goes."""
    result = cli(server, "documents-sweep", "--older-than", "0")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def small_disk(tmp_path):
    """Factory of tmpfs mounts of a given size (a real filesystem that really fills up)."""
    mounted = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {result.stderr}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(directory: Path, leave: int = 0) -> Path:
    """Fill the filesystem of directory until `leave` bytes (about) remain; returns the filler."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        chunk = b"\0" * (64 * 1024)
        while True:
            stats = os.statvfs(directory)
            free = stats.f_bavail * stats.f_frsize
            if free <= leave:
                break
            try:
                out.write(chunk[: max(4096, min(len(chunk), free - leave))])
            except OSError:
                break
    return filler
