"""Deliver due reminders exactly once, however many runners overlap.

Each reminder is claimed by inserting its row into `reminders` (unique per user and key); a
runner that loses the race moves on. The claim, the inbox notice and its queued messages are
written in one transaction, so a reminder is either wholly handed over or not at all; the job
queue then sends each message once (`notifications.tasks`). The periodic fan-out that calls this
for ranges of workers is `profile.reminder_tasks`. Call inside an app context.
"""

import os
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from webapp import clock
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

TRANSACTION_SIZE = 200  # reminders claimed and queued per transaction


@dataclass(frozen=True)
class RunResult:
    """What one run did: reminders queued for delivery, and those already claimed (by this or
    another runner)."""

    sent: int = 0
    skipped: int = 0


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


def load_workers(
    db, today: date | None = None, users: tuple[int, int] = rows.EVERYONE
) -> list[Worker]:
    """Active workers' records (those with ids in `users`), one query per table, no per-user
    queries.

    Each worker's today is the date in their time zone (a run at 22:30 UTC is already tomorrow
    in Vladivostok), or `today` for everyone when given.
    """
    workers = {
        row["id"]: (row["email"], row["phone"], row["time_zone"])
        for row in rows.active_workers(db, users)
    }
    days = {user_id: today or clock.today(zone) for user_id, (_, _, zone) in workers.items()}
    if not days:
        return []
    earliest, latest = min(days.values()), max(days.values())
    # Anything that ended more than QUIET_AFTER_EXPIRY_DAYS ago can neither be due nor be the
    # current document of a specialty that has something due.
    since = earliest - timedelta(days=QUIET_AFTER_EXPIRY_DAYS)
    certificates = defaultdict(list)
    for row in rows.live_certificates(db, since, users):
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
    for row in rows.live_categories(db, since, users):
        categories[row["user_id"]].append(
            Category(row["id"], row["specialty"], row["category"], _day(row["valid_until"]))
        )
    entries = defaultdict(list)
    if any((day.month, day.day) >= NMO_FROM for day in days.values()):  # else none can be due
        for row in rows.nmo_between(db, date(earliest.year, 1, 1), latest, users):
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


def run_once(
    db,
    today: date | None = None,
    runner_id: str | None = None,
    users: tuple[int, int] = rows.EVERYONE,
) -> RunResult:
    """Claim every reminder due today for the workers with ids in `users` (each worker's today
    in their time zone, or `today` for everyone) and hand it to `deliver()`, which queues its
    messages; safe to run in parallel with itself. Claims and notices are written in one
    transaction per TRANSACTION_SIZE reminders; the messages are enqueued when it commits."""
    app = current_app._get_current_object()
    runner_id = runner_id or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    pending = [
        (worker, reminder)
        for worker in load_workers(db, today, users)
        for reminder in due(worker.records, worker.today)
    ]
    if not pending:
        return RunResult()
    claimed = rows.claimed_keys(db, min(reminder.due_on for _, reminder in pending), users)
    fresh = [(w, r) for w, r in pending if (w.id, r.key) not in claimed]
    sent = 0
    for start in range(0, len(fresh), TRANSACTION_SIZE):
        with db.atomic():
            for worker, reminder in fresh[start : start + TRANSACTION_SIZE]:
                row_id = rows.claim(db, worker.id, reminder.key, reminder.due_on, runner_id)
                if row_id is None:
                    continue  # another runner got it since we looked
                user = {
                    "id": worker.id,
                    "email": worker.email,
                    "phone": worker.phone,
                    "time_zone": worker.time_zone,
                }
                notice = Notice(
                    reminder.topic, reminder.title, reminder.body, link=link(app, reminder)
                )
                deliver(db, user, notice)
                rows.finish(db, row_id, None)
                sent += 1
    return RunResult(sent, len(pending) - sent)
