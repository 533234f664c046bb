"""The job queue: Huey, in its own SQLite file by default, on Redis when `MEDKAB_REDIS_URL` is set.

What runs here: sending notices (e-mail, SMS, push; `notifications.tasks`), the reminders'
periodic fan-out (`profile.reminder_tasks`), overdue stages (`applications.tasks`); `webapp/
tasks.py` lists them. The consumer is `flask --app wsgi consume` (`make run` starts one beside
gunicorn: gunicorn.conf.py).

The database is the truth, the queue only a transport: a task's work is claimed in the database
before it is done, so a task that runs twice (a retry, two consumers, a re-enqueue by the
sweeper) does it once, and work whose enqueue was lost is found again by a periodic sweep.
Tasks are enqueued only after the transaction that wrote their rows commits (`after_commit`).

`MEDKAB_JOBS_IMMEDIATE=1` (the test suite) runs each task at once in the enqueuing process.
"""

import functools
import logging
import os
import sqlite3
import time
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey
from huey.exceptions import HueyException
from huey.storage import SqliteStorage

from webapp import config as settings
from webapp.config import ROOT

log = logging.getLogger("medkab.jobs")

CHUNK = 500  # items per enqueued task when work is fanned out


def _settings() -> dict:
    """The settings the queue needs, before (and without) an app: defaults, then MEDKAB_*."""
    return {**settings.DEFAULTS, **settings.from_environment()}


def queue_path(config: dict) -> Path:
    """SqliteHuey's file: QUEUE_PATH, else queue.sqlite3 in the instance directory."""
    if config["QUEUE_PATH"]:
        return Path(config["QUEUE_PATH"])
    instance = Path(os.environ.get("MEDKAB_INSTANCE_PATH") or ROOT / "instance")
    return instance / "queue.sqlite3"


class QueueFileStorage(SqliteStorage):
    """Huey's SQLite storage, opened safely by several processes at once. Each connection sets
    `journal_mode=WAL`; on a new file the first switch needs the file to itself, and SQLite
    answers a second process doing the same with "database is locked" at once, whatever the
    busy timeout — two gunicorn workers booting on a new instance failed that way. So: retry."""

    def _create_connection(self):
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return super()._create_connection()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class QueueFileHuey(SqliteHuey):
    storage_class = QueueFileStorage


def make_huey(config: dict):
    """RedisHuey on REDIS_URL, else SqliteHuey in its own file; results are not kept (tasks
    write what they did to the database)."""
    common = {"name": "medkab", "results": False, "immediate": config["JOBS_IMMEDIATE"]}
    if config["REDIS_URL"]:
        return RedisHuey(url=config["REDIS_URL"], **common)
    path = queue_path(config)
    if not config["JOBS_IMMEDIATE"]:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return QueueFileHuey(filename=str(path), timeout=10, **common)


huey = make_huey(_settings())

_consumer_app = None


def init_app(app) -> None:
    """The app whose context tasks run in when none is current (the consumer's threads)."""
    global _consumer_app
    _consumer_app = app


def _app():
    """The app a task runs in: the current one (immediate mode, a request, the CLI), else the
    consumer's."""
    if has_app_context():
        return current_app._get_current_object()
    if _consumer_app is None:
        raise RuntimeError("no app: run the consumer with `flask --app wsgi consume`")
    return _consumer_app


def _in_app(function):
    """Run the task in an app context with the database as its first argument."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        from webapp.db import get_db

        with _app().app_context():
            return function(get_db(), *args, **kwargs)

    return run


def task(**options):
    """A Huey task that gets the database as its first argument (callers leave it out)."""
    return lambda function: huey.task(**options)(_in_app(function))


def periodic_task(schedule, **options):
    """A periodic Huey task (its consumer's scheduler enqueues it) with the database."""
    return lambda function: huey.periodic_task(schedule, **options)(_in_app(function))


def enqueue_in_chunks(job, items: list) -> None:
    """`job(chunk)` for every CHUNK items. A queue that cannot be reached is logged, not raised:
    the rows are in the database and the periodic sweep enqueues them again."""
    for start in range(0, len(items), CHUNK):
        try:
            job(items[start : start + CHUNK])
        except (HueyException, OSError, ConnectionError) as exc:
            log.warning("could not enqueue %s (%s items): %s", job.name, len(items), exc)
            return
        except Exception as exc:  # redis-py's errors do not share a base with the others
            if exc.__class__.__module__.startswith("redis"):
                log.warning("could not enqueue %s (%s items): %s", job.name, len(items), exc)
                return
            raise


def after_commit(db, job, *items) -> None:
    """Enqueue `job` for these items once the current transaction commits (at once when none is
    open); every item given for the same job in one transaction goes out together, in chunks."""
    db.on_commit(job, items, enqueue_in_chunks)
