"""Reminders are delivered once: inbox, email, preferences, concurrent runs, a real SMTP server."""

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import create_active_user
from webapp import clock
from webapp.db import connect, get_db
from webapp.notifications import deliver as delivery
from webapp.notifications import tasks as notification_tasks
from webapp.profile import reminder_runner, reminder_tasks
from webapp.profile.reminder_runner import RunResult, run_once

ROOT = Path(__file__).resolve().parents[2]
STAMP = "2026-01-01T00:00:00+00:00"
# Frozen «today»: an accreditation until 10.07.2026 is at T−30 on 10.06.2026 and at T−7 on
# 03.07.2026. June, so no НМО reminder is due alongside.
TODAY = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
UNTIL = date(2026, 7, 10)


def moscow(*wall_clock) -> datetime:
    """A Moscow wall-clock time as the UTC moment the clock is frozen at (workers' days are
    counted in their zone, Moscow by default)."""
    return datetime(*wall_clock, tzinfo=ZoneInfo("Europe/Moscow")).astimezone(UTC)


@pytest.fixture
def frozen():
    """Freeze the clock at TODAY; the test may move it."""
    clock.freeze(TODAY)
    yield clock.freeze
    clock.freeze(None)


def add_certificate(db, user_id, valid_until, *, specialty="Терапия", kind="periodic", **extra):
    """A certificate row as the profile would store it."""
    issued_on = extra.pop("issued_on", valid_until - timedelta(days=5 * 365))
    return (
        db["certificates"]
        .insert(
            {
                "user_id": user_id,
                "kind": kind,
                "specialty": specialty,
                "number": f"77{user_id:08d}",
                "issued_on": issued_on.isoformat(),
                "valid_until": valid_until.isoformat(),
                "created_at": STAMP,
                "updated_at": STAMP,
                **extra,
            }
        )
        .last_pk
    )


def add_nmo(db, user_id, day, zet, *, specialty="Терапия", **extra):
    """An НМО entry row."""
    db["nmo_entries"].insert(
        {
            "user_id": user_id,
            "specialty": specialty,
            "day": day.isoformat(),
            "element": "module",
            "title": "Интерактивный модуль",
            "zet": zet,
            "created_at": STAMP,
            "updated_at": STAMP,
            **extra,
        }
    )


def add_workers(db, count, *, start=1000):
    """Many active workers straight into the tables (faster than the sign-up path)."""
    ids = []
    with db.atomic():
        for n in range(start, start + count):
            user_id = (
                db["users"]
                .insert(
                    {
                        "surname": "Сидорова",
                        "name": "Ольга",
                        "birth_date": "1988-02-03",
                        "snils_enc": f"enc{n}",
                        "snils_bidx": f"bidx{n}",
                        "phone": f"+7913{n:07d}",
                        "email": f"worker{n}@example.ru",
                        "status": "active",
                        "created_at": STAMP,
                        "updated_at": STAMP,
                    }
                )
                .last_pk
            )
            db["user_roles"].insert({"user_id": user_id, "role": "worker"})
            ids.append(user_id)
    return ids


def run(app, **kwargs) -> RunResult:
    """One run on its own connection, as the CLI and the background thread do."""
    with app.app_context():
        database = connect(app.config["DATABASE"])
        try:
            return run_once(database, **kwargs)
        finally:
            database.close()


def reminder_notices(db, user_id=None):
    sql = "select user_id, title, body from notifications where kind = 'reminder'"
    if user_id is not None:
        return list(db.query(sql + " and user_id = ? order by id", [user_id]))
    return list(db.query(sql + " order by id"))


def emails(db, recipient=None):
    sql = "select recipient, subject, body from dev_outbox where channel = 'email'"
    if recipient is not None:
        return list(db.query(sql + " and recipient = ? order by id", [recipient]))
    return list(db.query(sql + " order by id"))


def test_thirty_days_before_expiry_one_notice_and_one_email(app, db, frozen):
    user_id = create_active_user(app, email="maria@example.ru")
    add_certificate(db, user_id, UNTIL)

    assert run(app) == RunResult(sent=1, skipped=0)

    (notice,) = reminder_notices(db, user_id)
    assert notice["title"] == "Аккредитация по специальности «Терапия» истекает через 30 дней"
    assert notice["body"] == (
        "Через 30 дней истекает аккредитация по специальности «Терапия» (до 10.07.2026). "
        "Подайте заявление на периодическую аккредитацию."
    )
    (mail,) = emails(db, "maria@example.ru")
    assert mail["subject"] == notice["title"]
    assert mail["body"].startswith(notice["body"])
    assert "Открыть кабинет: http://localhost/applications/new?kind=periodic" in mail["body"]
    (row,) = db.query("select * from reminders")
    assert row["reminder_key"].endswith(":2026-07-10:t30")
    assert row["due_on"] == "2026-06-10" and row["sent_at"] and row["error"] is None


def test_a_second_run_sends_nothing_and_t_minus_7_sends_the_next(app, db, frozen):
    user_id = create_active_user(app, email="maria@example.ru")
    add_certificate(db, user_id, UNTIL)
    run(app)

    assert run(app) == RunResult(sent=0, skipped=1)
    frozen(moscow(2026, 7, 2, 23, 59))
    assert run(app) == RunResult(sent=0, skipped=1)  # still the T−30 reminder
    assert len(reminder_notices(db)) == 1 and len(emails(db)) == 1

    frozen(moscow(2026, 7, 3, 0, 1))
    assert run(app) == RunResult(sent=1, skipped=0)
    notices = reminder_notices(db, user_id)
    assert [n["title"] for n in notices][-1].endswith("истекает через 7 дней")
    assert len(emails(db, "maria@example.ru")) == 2
    assert run(app) == RunResult(sent=0, skipped=1)


def test_a_renewed_accreditation_stops_the_reminders(app, db, frozen):
    user_id = create_active_user(app)
    add_certificate(db, user_id, UNTIL)
    run(app)
    add_certificate(db, user_id, date(2031, 7, 1), issued_on=date(2026, 7, 2))
    frozen(datetime(2026, 7, 3, 9, 0, tzinfo=UTC))
    assert run(app) == RunResult()
    frozen(datetime(2030, 7, 1, 9, 0, tzinfo=UTC))
    assert run(app).sent == 1
    assert reminder_notices(db)[-1]["title"] == "Открыто окно подачи на периодическую аккредитацию"


def test_email_turned_off_means_inbox_only(app, db, frozen):
    user_id = create_active_user(app, email="maria@example.ru")
    add_certificate(db, user_id, UNTIL)
    db["notification_prefs"].insert(
        {"user_id": user_id, "topic": "reminders", "channel": "email", "enabled": 0}
    )

    assert run(app) == RunResult(sent=1, skipped=0)
    assert len(reminder_notices(db, user_id)) == 1
    assert emails(db) == []


def test_email_turned_on_explicitly_is_sent(app, db, frozen):
    user_id = create_active_user(app, email="maria@example.ru")
    add_certificate(db, user_id, UNTIL)
    db["notification_prefs"].insert(
        {"user_id": user_id, "topic": "reminders", "channel": "email", "enabled": 1}
    )
    db["notification_prefs"].insert(
        {"user_id": user_id, "topic": "applications", "channel": "email", "enabled": 0}
    )
    run(app)
    assert len(emails(db, "maria@example.ru")) == 1


def test_sms_only_when_the_worker_asked_for_it(app, db, frozen):
    quiet = create_active_user(app, email="quiet@example.ru")
    loud = create_active_user(app, n=2, email="loud@example.ru")
    for user_id in (quiet, loud):
        add_certificate(db, user_id, UNTIL)
    db["notification_prefs"].insert(
        {"user_id": loud, "topic": "reminders", "channel": "sms", "enabled": 1}
    )
    assert run(app).sent == 2
    texts = list(db.query("select recipient, body from dev_outbox where channel = 'sms'"))
    assert [t["recipient"] for t in texts] == ["+79120000002"]
    assert "/applications/new?kind=periodic" in texts[0]["body"]
    assert len(emails(db)) == 2


def test_only_active_workers_and_not_rejected_records(app, db, frozen):
    reviewer = create_active_user(app, n=2, role="reviewer")
    blocked = create_active_user(app, n=3)
    db.execute("update users set status = 'blocked' where id = ?", [blocked])
    rejected = create_active_user(app, n=4)
    for user_id in (reviewer, blocked):
        add_certificate(db, user_id, UNTIL)
    add_certificate(db, rejected, UNTIL, verification="rejected", rejection_reason="Не тот номер")

    assert run(app) == RunResult()
    assert reminder_notices(db) == [] and emails(db) == []


def test_nmo_shortfall_from_the_first_of_november(app, db, frozen):
    user_id = create_active_user(app, email="maria@example.ru")
    add_certificate(db, user_id, date(2028, 3, 14), issued_on=date(2023, 3, 15))
    add_nmo(db, user_id, date(2026, 2, 1), 20)
    add_nmo(db, user_id, date(2026, 5, 1), 14)
    add_nmo(db, user_id, date(2026, 5, 2), 6, specialty="ТЕРАПИЯ")  # the profile ignores case
    add_nmo(db, user_id, date(2026, 6, 1), 30, verification="rejected")
    add_nmo(db, user_id, date(2026, 4, 1), 40, specialty="Хирургия")

    frozen(moscow(2026, 10, 31, 23, 0))
    assert run(app) == RunResult()
    frozen(datetime(2026, 11, 1, 6, 0, tzinfo=UTC))
    assert run(app) == RunResult(sent=1, skipped=0)
    (notice,) = reminder_notices(db, user_id)
    assert notice["title"] == "НМО: в 2026 году не хватает 10 ЗЕТ"
    (mail,) = emails(db, "maria@example.ru")
    assert "Открыть кабинет: http://localhost/profile/nmo\n" in mail["body"]
    (row,) = db.query("select reminder_key from reminders")
    assert row["reminder_key"] == "nmo:терапия:2026"
    frozen(datetime(2026, 12, 20, 6, 0, tzinfo=UTC))
    assert run(app) == RunResult(sent=0, skipped=1)


def deliveries(db, channel="email"):
    return list(
        db.query(
            "select status, attempts, error, next_at from deliveries where channel = ? order by id",
            [channel],
        )
    )


def test_a_mail_failure_is_retried_later_and_the_notice_stays(app, db, frozen, smtp_server):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=2)
    user_id = create_active_user(app)
    add_certificate(db, user_id, UNTIL)

    assert run(app) == RunResult(sent=1, skipped=0)  # handed over to delivery
    assert len(reminder_notices(db, user_id)) == 1
    [message] = deliveries(db)
    assert message["status"] == "pending" and message["attempts"] == 1 and message["error"]
    assert message["next_at"] == "2026-06-10T09:01:00+00:00"  # a minute later
    assert run(app) == RunResult(sent=0, skipped=1)  # no second notice

    with app.app_context():
        assert notification_tasks.sweep_deliveries.call_local() == 0  # not due yet
    frozen(TODAY + timedelta(minutes=1))
    with app.app_context():
        assert notification_tasks.sweep_deliveries.call_local() == 1  # tried again: fails again
    [message] = deliveries(db)
    assert message["status"] == "pending" and message["attempts"] == 2
    assert message["next_at"] == "2026-06-10T09:06:00+00:00"  # then five minutes

    controller, inbox = smtp_server
    app.config["SMTP_PORT"] = controller.port  # the mail server is back
    frozen(TODAY + timedelta(minutes=6))
    with app.app_context():
        assert notification_tasks.sweep_deliveries.call_local() == 1
        assert notification_tasks.sweep_deliveries.call_local() == 0
    [message] = deliveries(db)
    assert message["status"] == "sent" and message["attempts"] == 3
    assert [m.rcpt_tos for m in inbox.messages] == [["user1@example.ru"]]


def test_a_message_is_given_up_after_five_tries(app, db, frozen):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=2)
    add_certificate(db, create_active_user(app), UNTIL)
    run(app)
    for minutes in (1, 6, 36, 156):  # each try's wait: 1, 5, 30, 120 minutes
        frozen(TODAY + timedelta(minutes=minutes))
        with app.app_context():
            assert notification_tasks.sweep_deliveries.call_local() == 1
    [message] = deliveries(db)
    assert message["status"] == "failed" and message["attempts"] == 5
    frozen(TODAY + timedelta(days=2))
    with app.app_context():
        assert notification_tasks.sweep_deliveries.call_local() == 0


def test_queries_per_run_do_not_grow_with_workers(app, db, frozen):
    frozen(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))  # November: НМО entries are read too

    def statements():
        seen = []
        with app.app_context():
            database = connect(app.config["DATABASE"])
            database.conn.set_trace_callback(seen.append)
            run_once(database)
            database.close()
        return [s for s in seen if s.split()[0].lower() in {"select", "insert", "update"}]

    for user_id in add_workers(db, 5):
        add_certificate(db, user_id, date(2026, 12, 10))
        add_nmo(db, user_id, date(2026, 3, 1), 50)
    statements()  # first run claims; later runs find everything claimed
    few = statements()
    for user_id in add_workers(db, 40, start=2000):
        add_certificate(db, user_id, date(2026, 12, 10))
        add_nmo(db, user_id, date(2026, 3, 1), 50)
    statements()
    many = statements()
    assert len(few) == len(many) <= 6


@pytest.fixture
def many_due(app, db, frozen):
    """Fifty workers, each with one reminder due today."""
    ids = add_workers(db, 50)
    for user_id in ids:
        add_certificate(db, user_id, UNTIL)
    return ids


def assert_each_once(db, ids):
    notices = reminder_notices(db)
    assert sorted(n["user_id"] for n in notices) == sorted(ids)
    mails = emails(db)
    assert sorted(m["recipient"] for m in mails) == sorted(
        f"worker{n}@example.ru" for n in range(1000, 1050)
    )
    rows = list(db.query("select user_id, sent_at from reminders"))
    assert len(rows) == len(ids) and all(r["sent_at"] for r in rows)


def test_two_threads_at_once_deliver_each_reminder_once(app, db, many_due, monkeypatch):
    real_send = delivery.send_mail

    def slow_send(*args):
        time.sleep(0.002)  # a mail server's latency: the two runners' claims interleave
        real_send(*args)

    monkeypatch.setattr(delivery, "send_mail", slow_send)
    # Claims are written a few per transaction here (200 in production) so the runners'
    # transactions interleave; each sends after its commit.
    monkeypatch.setattr(reminder_runner, "TRANSACTION_SIZE", 5)
    with app.app_context():
        get_db()  # open the per-process keeper before the threads race to
    start = threading.Barrier(2)
    results = {}

    def runner(name):
        start.wait()
        results[name] = run(app, runner_id=name)

    threads = [threading.Thread(target=runner, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results["a"].sent + results["b"].sent == 50
    assert results["a"].skipped + results["b"].skipped == 50
    assert results["a"].sent and results["b"].sent  # both really claimed
    assert_each_once(db, many_due)


def _cli_env(app, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")}
    env.update(
        MEDKAB_DATABASE=app.config["DATABASE"],
        MEDKAB_INSTANCE_PATH=app.instance_path,
        MEDKAB_DATA_KEY="11" * 32,
        MEDKAB_WEBAUTHN_ORIGINS="http://localhost",
        MEDKAB_JOBS_IMMEDIATE="1",  # each process sends its own messages (tests/jobs: a queue)
        PYTHONIOENCODING="utf-8",
        **extra,
    )
    return env


def _opened(pid: int, path: str) -> bool:
    """Whether process `pid` has the database file open (it is then inside run_once)."""
    try:
        return any(
            os.path.realpath(f"/proc/{pid}/fd/{fd}") == path for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return False


def run_two_clis(app, db, env) -> list[str]:
    """Start two `flask reminders` at once; hold the write lock until both are inside their run,
    so their claims really interleave."""
    database = os.path.realpath(app.config["DATABASE"])
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "reminders"]
    db.execute("BEGIN IMMEDIATE")
    try:
        procs = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 15
        first_in = None
        while time.monotonic() < deadline:
            inside = [_opened(p.pid, database) for p in procs]
            if all(inside):
                break
            if any(inside):
                first_in = first_in or time.monotonic()
                if (
                    time.monotonic() - first_in > 3
                ):  # busy_timeout is 5 s: never make it wait so long
                    break
            time.sleep(0.02)
        time.sleep(0.2)
    finally:
        db.execute("COMMIT")
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.strip().splitlines()[-1])
    return outputs


def _counts(line: str) -> tuple[int, int]:
    # «Напоминаний в очереди на отправку: N, уже было: M»
    parts = [int(p.split(":")[1]) for p in line.split(",")]
    return tuple(parts)


@pytest.fixture
def real_today_due(app, db):
    """Fifty workers with one reminder due on the real date (subprocesses cannot see a frozen
    clock): an accreditation at T−30 and this year's 50 ЗЕТ, so no НМО reminder."""
    today = clock.today()  # the workers' day (Moscow), as the subprocesses count it
    ids = add_workers(db, 50)
    for user_id in ids:
        add_certificate(db, user_id, today + timedelta(days=30))
        add_nmo(db, user_id, today, 50)
    return ids


def test_two_cli_processes_at_once_deliver_each_reminder_once(app, db, real_today_due):
    outputs = run_two_clis(app, db, _cli_env(app))
    counts = [_counts(line) for line in outputs]
    assert sum(c[0] for c in counts) == 50 and sum(c[1] for c in counts) == 50
    assert_each_once(db, real_today_due)


def test_reminder_email_arrives_at_a_real_smtp_server(app, db, frozen, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    user_id = create_active_user(app, email="maria@example.ru")
    add_certificate(db, user_id, UNTIL)

    assert run(app) == RunResult(sent=1, skipped=0)
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == ["maria@example.ru"]
    from email import message_from_bytes, policy

    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "Аккредитация по специальности «Терапия» истекает через 30 дней"
    assert "(до 10.07.2026)" in message.get_content()
    assert run(app) == RunResult(sent=0, skipped=1)
    assert len(inbox.messages) == 1


def test_two_cli_processes_over_smtp_send_one_email_each(app, db, real_today_due, smtp_server):
    controller, inbox = smtp_server
    env = _cli_env(
        app,
        MEDKAB_MAIL_BACKEND="smtp",
        MEDKAB_SMTP_HOST="127.0.0.1",
        MEDKAB_SMTP_PORT=str(controller.port),
    )
    outputs = run_two_clis(app, db, env)
    sent = [_counts(line)[0] for line in outputs]
    assert sum(sent) == 50
    recipients = sorted(r for m in inbox.messages for r in m.rcpt_tos)
    assert recipients == sorted(f"worker{n}@example.ru" for n in range(1000, 1050))
    assert emails(db) == []  # nothing went to the dev outbox
    assert len(reminder_notices(db)) == 50


def test_the_periodic_fan_out_sends_each_reminder_once_in_batches(app, db, many_due, monkeypatch):
    schedule = reminder_tasks.remind.s().validate_datetime
    assert schedule(datetime(2026, 6, 10, 9, 15)) and not schedule(datetime(2026, 6, 10, 9, 16))
    monkeypatch.setattr(reminder_tasks, "BATCH", 7)
    batches = []
    real_batch = reminder_runner.run_once

    def counting(database, today=None, runner_id=None, users=None):
        batches.append(users)
        return real_batch(database, today, runner_id, users)

    monkeypatch.setattr(reminder_runner, "run_once", counting)
    with app.app_context():
        assert reminder_tasks.remind.call_local() == 8  # 50 workers, 7 a batch
        assert reminder_tasks.remind.call_local() == 8  # the next tick: everything claimed
    assert batches[:8] == [(many_due[i], many_due[min(i + 6, 49)]) for i in range(0, 50, 7)]
    assert_each_once(db, many_due)
