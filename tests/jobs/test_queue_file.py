"""The queue's SQLite file is opened by many processes at once on a new instance."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each process imports first (slow), then opens the queue at one agreed moment.
OPEN = """
import sys, time
from webapp import jobs
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
huey = jobs.make_huey({"QUEUE_PATH": sys.argv[2], "JOBS_IMMEDIATE": False, "REDIS_URL": ""})
print(huey.storage.queue_size())
"""


def test_processes_booting_together_all_open_a_new_queue_file(tmp_path):
    """Gunicorn's workers import webapp.jobs at the same moment; on a new file each sets WAL,
    which SQLite refuses at once to all but one ("database is locked"): they must wait their
    turn, not fail to boot (tests/faults caught two workers doing this)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")},
        "MEDKAB_JOBS_IMMEDIATE": "1",  # the import itself opens no file
    }
    for attempt in range(3):
        path = tmp_path / f"queue-{attempt}.sqlite3"
        moment = time.time() + 6  # after every process has imported
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN, str(moment), str(path)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        results = [process.communicate(timeout=120) for process in processes]
        for process, (out, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, err[-2000:]
            assert out.strip() == "0"
