"""Deliver due reminders exactly once, however many runners overlap.

Each reminder is claimed by inserting its row into `reminders` (unique per user and key); a
runner that loses the race moves on. The notice goes out through `notifications.deliver()` after
the claim is committed, so a crash between the two loses that reminder rather than sending it
twice. Call inside an app context (the mail adapter reads the config).
"""

import logging
import os
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from webapp import clock
from webapp.db import connect
from webapp.links import external_url
from webapp.notifications.deliver import Notice, deliver
from webapp.profile.certificates import current_certificates
from webapp.profile.nmo import Entry
from webapp.profile.reminders import (
    NMO_FROM,
    QUIET_AFTER_EXPIRY_DAYS,
    Category,
    Certificate,
    NmoRecord,
    Records,
    Reminder,
    due,
)
from webapp.profile.store import reminders as rows

log = logging.getLogger("medkab.reminders")


@dataclass(frozen=True)
class RunResult:
    """What one run did: delivered, already claimed (by this or another runner), email failed."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Worker:
    """An active worker, their records and their today (in their own time zone)."""

    id: int
    email: str
    phone: str
    time_zone: str
    today: date
    records: Records


def _day(text: str) -> date:
    """An ISO date column as a date."""
    return date.fromisoformat(text)


def load_workers(db, today: date | None = None) -> list[Worker]:
    """Every active worker's records, in one query per table (no per-user queries).

    Each worker's today is the date in their time zone (a run at 22:30 UTC is already tomorrow
    in Vladivostok), or `today` for everyone when given.
    """
    workers = {
        row["id"]: (row["email"], row["phone"], row["time_zone"]) for row in rows.active_workers(db)
    }
    days = {user_id: today or clock.today(zone) for user_id, (_, _, zone) in workers.items()}
    if not days:
        return []
    earliest, latest = min(days.values()), max(days.values())
    # Anything that ended more than QUIET_AFTER_EXPIRY_DAYS ago can neither be due nor be the
    # current document of a specialty that has something due.
    since = earliest - timedelta(days=QUIET_AFTER_EXPIRY_DAYS)
    certificates = defaultdict(list)
    for row in rows.live_certificates(db, since):
        certificates[row["user_id"]].append(
            Certificate(
                row["id"],
                row["kind"],
                row["specialty"],
                row["number"],
                _day(row["valid_until"]),
                _day(row["issued_on"]),
            )
        )
    categories = defaultdict(list)
    for row in rows.live_categories(db, since):
        categories[row["user_id"]].append(
            Category(row["id"], row["specialty"], row["category"], _day(row["valid_until"]))
        )
    entries = defaultdict(list)
    if any((day.month, day.day) >= NMO_FROM for day in days.values()):  # else none can be due
        for row in rows.nmo_between(db, date(earliest.year, 1, 1), latest):
            day, until = _day(row["day"]), days.get(row["user_id"])
            if until and date(until.year, 1, 1) <= day <= until:  # this year so far, theirs
                entries[row["user_id"], row["specialty"].casefold()].append(Entry(day, row["zet"]))
    result = []
    for user_id, (email, phone, zone) in workers.items():
        current = current_certificates(certificates[user_id])
        nmo = [
            NmoRecord(cert.specialty, cert.issued_on, entries.get((user_id, key), []))
            for key, cert in current.items()
        ]
        records = Records(certificates[user_id], categories[user_id], nmo)
        result.append(Worker(user_id, email, phone, zone, days[user_id], records))
    return result


def link(app, reminder: Reminder) -> str:
    """The reminder's absolute URL at the site's public address."""
    return external_url(reminder.link_endpoint, app, **reminder.link_args)


def run_once(db, today: date | None = None, runner_id: str | None = None) -> RunResult:
    """Claim and deliver every reminder due today, each worker's today in their time zone (or
    `today` for everyone); safe to run in parallel with itself."""
    app = current_app._get_current_object()
    runner_id = runner_id or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    pending = [
        (worker, reminder)
        for worker in load_workers(db, today)
        for reminder in due(worker.records, worker.today)
    ]
    if not pending:
        return RunResult()
    claimed = rows.claimed_keys(db, min(reminder.due_on for _, reminder in pending))
    sent = skipped = failed = 0
    for worker, reminder in pending:
        row_id = None
        if (worker.id, reminder.key) not in claimed:
            with db.atomic():
                row_id = rows.claim(db, worker.id, reminder.key, reminder.due_on, runner_id)
        if row_id is None:
            skipped += 1
            continue
        user = {
            "id": worker.id,
            "email": worker.email,
            "phone": worker.phone,
            "time_zone": worker.time_zone,
        }
        notice = Notice(reminder.topic, reminder.title, reminder.body, link=link(app, reminder))
        errors = deliver(db, user, notice).errors
        error = errors.get("sms") or errors.get("email")
        rows.finish(db, row_id, error)
        if error:
            failed += 1
        else:
            sent += 1
    return RunResult(sent, skipped, failed)


_background_lock = threading.Lock()
_background: tuple[threading.Thread, threading.Event] | None = None


def _loop(app, interval_seconds: float, stop: threading.Event) -> None:
    """Run, then wait the interval, until stopped; a failed run is logged and retried later."""
    while True:
        try:
            with app.app_context():
                db = connect(app.config["DATABASE"])
                try:
                    result = run_once(db)
                finally:
                    db.close()
            if result.sent or result.failed:
                log.info("reminders: sent %s, email failed %s", result.sent, result.failed)
        except Exception:
            log.exception("reminders run failed")
        if stop.wait(interval_seconds):
            return


def start_background(app, interval_seconds: float) -> threading.Thread | None:
    """Run reminders every interval in a daemon thread, one per process; None if one runs."""
    global _background
    with _background_lock:
        if _background is not None and _background[0].is_alive():
            return None
        stop = threading.Event()
        thread = threading.Thread(
            target=_loop,
            args=(app, interval_seconds, stop),
            name="medkab-reminders",
            daemon=True,
        )
        _background = (thread, stop)
        thread.start()
        return thread


def stop_background(timeout: float = 10) -> None:
    """Stop the background thread and wait for it (tests, orderly shutdown)."""
    global _background
    with _background_lock:
        if _background is None:
            return
        thread, stop = _background
        _background = None
    stop.set()
    thread.join(timeout)
