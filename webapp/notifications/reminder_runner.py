"""Deliver due reminders exactly once, however many runners overlap.

Each reminder is claimed by inserting its row into `reminders` (unique per user and key) in the
same transaction that puts the notice in the inbox; a runner that loses the race inserts nothing
and moves on. The email goes after the commit, so a crash between the two loses that email rather
than sending it twice. Call inside an app context (the mail adapter reads the config).
"""

import logging
import os
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import current_app

from webapp import clock
from webapp.adapters.mail import MailError, send_mail
from webapp.adapters.sms import SmsError, send_sms
from webapp.db import connect
from webapp.notifications import inbox
from webapp.notifications.reminders import (
    NMO_FROM,
    QUIET_AFTER_EXPIRY_DAYS,
    Category,
    Certificate,
    NmoRecord,
    Records,
    Reminder,
    current_certificates,
    due,
)
from webapp.profile.nmo import Entry

log = logging.getLogger("medkab.reminders")

EMAIL_FOOTER = (
    "Это автоматическое напоминание Кабинета медработника. Письма с напоминаниями можно "
    "отключить в настройках уведомлений профиля."
)


@dataclass(frozen=True)
class RunResult:
    """What one run did: delivered, already claimed (by this or another runner), email failed."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Worker:
    """An active worker and their records."""

    id: int
    email: str
    phone: str
    records: Records


def _day(text: str) -> date:
    """An ISO date column as a date."""
    return date.fromisoformat(text)


def load_workers(db, today: date) -> list[Worker]:
    """Every active worker's records, in one query per table (no per-user queries)."""
    workers = {
        row["id"]: (row["email"], row["phone"])
        for row in db.query(
            """select id, email, phone from users
            where status = 'active'
            and id in (select user_id from user_roles where role = 'worker')
            order by id"""
        )
    }
    # Anything that ended more than QUIET_AFTER_EXPIRY_DAYS ago can neither be due nor be the
    # current document of a specialty that has something due.
    since = (today - timedelta(days=QUIET_AFTER_EXPIRY_DAYS)).isoformat()
    certificates = defaultdict(list)
    for row in db.query(
        """select id, user_id, kind, specialty, number, issued_on, valid_until from certificates
        where valid_until >= ? and verification != 'rejected'""",
        [since],
    ):
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
    for row in db.query(
        """select id, user_id, specialty, category, valid_until from categories
        where valid_until >= ? and verification != 'rejected'""",
        [since],
    ):
        categories[row["user_id"]].append(
            Category(row["id"], row["specialty"], row["category"], _day(row["valid_until"]))
        )
    entries = defaultdict(list)
    if (today.month, today.day) >= NMO_FROM:  # the only time НМО reminders can be due
        for row in db.query(
            """select user_id, specialty, day, zet from nmo_entries
            where day between ? and ? and verification != 'rejected'""",
            [date(today.year, 1, 1).isoformat(), today.isoformat()],
        ):
            entries[row["user_id"], row["specialty"].casefold()].append(
                Entry(_day(row["day"]), row["zet"])
            )
    result = []
    for user_id, (email, phone) in workers.items():
        current = current_certificates(certificates[user_id])
        nmo = [
            NmoRecord(cert.specialty, cert.issued_on, entries.get((user_id, key), []))
            for key, cert in current.items()
        ]
        result.append(
            Worker(user_id, email, phone, Records(certificates[user_id], categories[user_id], nmo))
        )
    return result


CHANNEL_DEFAULTS = {"email": True, "sms": False}


def _choices(db) -> dict[tuple[int, str, str], bool]:
    """Explicit (user, topic, channel) choices; missing ones take CHANNEL_DEFAULTS."""
    return {
        (row["user_id"], row["topic"], row["channel"]): bool(row["enabled"])
        for row in db.query("select user_id, topic, channel, enabled from notification_prefs")
    }


def _claimed(db, since: date) -> set[tuple[int, str]]:
    """Keys already claimed whose stage began on or after `since` (older ones cannot be due)."""
    return {
        (row["user_id"], row["reminder_key"])
        for row in db.query(
            "select user_id, reminder_key from reminders where due_on >= ?", [since.isoformat()]
        )
    }


def site_origin(config) -> str:
    """The origin people open the site at: the first WebAuthn origin, else scheme + domain."""
    if config["WEBAUTHN_ORIGINS"]:
        return config["WEBAUTHN_ORIGINS"][0].rstrip("/")
    return f"{'https' if config['HTTPS'] else 'http'}://{config['SITE_DOMAIN']}"


def link(app, reminder: Reminder) -> str:
    """The reminder's absolute URL, built from the app's routes outside any request."""
    origin = site_origin(app.config)
    parts = urlsplit(origin)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(reminder.link_endpoint, reminder.link_args, force_external=True)


def _claim(db, user_id: int, reminder: Reminder, runner_id: str) -> int | None:
    """Claim the reminder and put it in the inbox atomically; None when someone else has it."""
    with db.atomic():
        cursor = db.execute(
            """insert into reminders (user_id, reminder_key, due_on, claimed_at, claimed_by)
            values (?, ?, ?, ?, ?) on conflict (user_id, reminder_key) do nothing""",
            [user_id, reminder.key, reminder.due_on.isoformat(), clock.now_iso(), runner_id],
        )
        if cursor.rowcount != 1:
            return None
        inbox.add(db, user_id, kind="reminder", title=reminder.title, body=reminder.body)
        return cursor.lastrowid


def _email(app, worker: Worker, reminder: Reminder) -> str | None:
    """Send the reminder by email; the error text when the server refused."""
    body = f"{reminder.body}\n\nОткрыть кабинет: {link(app, reminder)}\n\n{EMAIL_FOOTER}"
    try:
        send_mail(worker.email, reminder.title, body)
    except MailError as exc:
        log.warning("reminder %s to user %s: %s", reminder.key, worker.id, exc)
        return str(exc)[:500] or exc.__class__.__name__
    return None


def _sms(app, worker: Worker, reminder: Reminder) -> str | None:
    """Send the reminder's title and link by SMS; the error text when the gateway refused."""
    try:
        send_sms(worker.phone, f"{reminder.title}. {link(app, reminder)}")
    except SmsError as exc:
        log.warning("reminder SMS %s to user %s: %s", reminder.key, worker.id, exc)
        return str(exc)[:500] or exc.__class__.__name__
    return None


def run_once(db, today: date | None = None, runner_id: str | None = None) -> RunResult:
    """Claim and deliver every reminder due today; safe to run in parallel with itself."""
    app = current_app._get_current_object()
    today = today or clock.now().date()
    runner_id = runner_id or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    pending = [
        (worker, reminder)
        for worker in load_workers(db, today)
        for reminder in due(worker.records, today)
    ]
    if not pending:
        return RunResult()
    claimed = _claimed(db, min(reminder.due_on for _, reminder in pending))
    choices = _choices(db)

    def wants(worker, reminder, channel):
        return choices.get((worker.id, reminder.topic, channel), CHANNEL_DEFAULTS[channel])

    sent = skipped = failed = 0
    for worker, reminder in pending:
        row_id = None
        if (worker.id, reminder.key) not in claimed:
            row_id = _claim(db, worker.id, reminder, runner_id)
        if row_id is None:
            skipped += 1
            continue
        error = None
        if wants(worker, reminder, "email"):
            error = _email(app, worker, reminder)
        if wants(worker, reminder, "sms"):
            error = _sms(app, worker, reminder) or error
        if error:
            failed += 1
            db.execute("update reminders set error = ? where id = ?", [error, row_id])
        else:
            sent += 1
            db.execute("update reminders set sent_at = ? where id = ?", [clock.now_iso(), row_id])
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
