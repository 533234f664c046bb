"""The job queue's side of notices: send queued messages, and sweep up the ones left behind."""

import os
import socket
import threading
from datetime import timedelta

from huey import crontab

from webapp import jobs
from webapp.clock import now
from webapp.notifications import deliver, store

SWEEP_BATCH = 5000  # messages the sweep enqueues per run
INTERRUPTED_AFTER = timedelta(minutes=15)  # a claim this old without an outcome died


def runner_name() -> str:
    """Who claims: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@jobs.task()
def send_deliveries(db, ids: list[int]) -> deliver.Sent:
    """Send these queued messages; any other run given the same ids sends none of them twice."""
    return deliver.send_messages(db, ids, runner_name())


@jobs.periodic_task(crontab(minute="*"))
def sweep_deliveries(db) -> int:
    """Every minute: enqueue messages due for another try (or whose enqueue was lost), and give
    up on claims whose consumer died mid-send (they may have gone: never sent twice)."""
    store.give_up_interrupted(db, (now() - INTERRUPTED_AFTER).isoformat(timespec="seconds"))
    due = store.due_deliveries(db, SWEEP_BATCH)
    jobs.enqueue_in_chunks(send_deliveries, due)
    return len(due)
