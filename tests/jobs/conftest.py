"""Real job-queue consumers (`flask --app wsgi consume`) on a throw-away instance, on SqliteHuey's
file or on a real Redis, and workers with a reminder due today."""

import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.limits.conftest import redis_server  # noqa: F401 (a fixture of these tests too)
from webapp import clock

ROOT = Path(__file__).resolve().parents[2]
STAMP = "2026-01-01T00:00:00+00:00"
DATA_KEY = "11" * 32


def instance_env(tmp_path: Path, **extra) -> dict:
    """The environment of every process of one instance (the CLI, the consumers)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")},
        "MEDKAB_INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDKAB_DATABASE": str(tmp_path / "medkab.sqlite3"),
        "MEDKAB_QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "MEDKAB_DATA_KEY": DATA_KEY,
        "MEDKAB_WEBAUTHN_ORIGINS": "http://localhost",
        "MEDKAB_JOBS_IMMEDIATE": "0",
        "PYTHONIOENCODING": "utf-8",
        **extra,
    }


def flask(env: dict, *args: str, timeout: float = 300) -> str:
    """Run one `flask --app wsgi …` command to its end; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Consumers:
    """Consumer processes of one instance; stopped (TERM, then KILL) at teardown."""

    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 2, workers: int = 2) -> None:
        """Start consumers without their periodic scheduler: the test decides when reminders
        run (`flask reminders --queue`), not the clock."""
        for _ in range(count):
            path = self.log_dir / f"consumer-{len(self.processes)}.log"
            with open(path, "ab") as log:  # the child has its own copy of the descriptor
                self.processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            *("-m", "flask", "--app", "wsgi", "consume"),
                            *("--workers", str(workers)),
                            "--no-periodic",
                        ],
                        cwd=ROOT,
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("consumer-*"))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes = []


@pytest.fixture
def consumers(tmp_path):
    made = []

    def make(env: dict) -> Consumers:
        made.append(Consumers(env, tmp_path))
        return made[-1]

    yield make
    for group in made:
        group.stop()


def add_due_workers(database: Path, count: int) -> list[int]:
    """`count` active workers, each with an accreditation ending in 30 days (a reminder due
    today, by the real clock the subprocesses see) and this year's 50 ЗЕТ (no НМО reminder)."""
    today = clock.today()  # the workers' day (Moscow), as the reminders count it
    conn = sqlite3.connect(database)
    ids = []
    with conn:
        for n in range(count):
            cursor = conn.execute(
                "insert into users (surname, name, birth_date, snils_enc, snils_bidx, phone, "
                "email, status, created_at, updated_at) values "
                "('Сидорова', 'Ольга', '1988-02-03', ?, ?, ?, ?, 'active', ?, ?)",
                (f"enc{n}", f"bidx{n}", f"+7913{n:07d}", f"worker{n}@example.ru", STAMP, STAMP),
            )
            user_id = cursor.lastrowid
            ids.append(user_id)
            conn.execute("insert into user_roles (user_id, role) values (?, 'worker')", (user_id,))
            conn.execute(
                "insert into certificates (user_id, kind, specialty, number, issued_on, "
                "valid_until, created_at, updated_at) values (?, 'periodic', 'Терапия', ?, ?, ?, "
                "?, ?)",
                (
                    user_id,
                    f"77{user_id:08d}",
                    (today - timedelta(days=5 * 365 - 30)).isoformat(),
                    (today + timedelta(days=30)).isoformat(),
                    STAMP,
                    STAMP,
                ),
            )
            conn.execute(
                "insert into nmo_entries (user_id, specialty, day, element, title, zet, "
                "created_at, updated_at) values (?, 'Терапия', ?, 'module', 'Модуль', 50, ?, ?)",
                (user_id, today.isoformat(), STAMP, STAMP),
            )
    conn.close()
    return ids


def wait_until(predicate, timeout: float, what: str, logs=lambda: "") -> None:
    """Poll until predicate() is true, else fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s\n{logs()[-4000:]}")
        time.sleep(0.2)
