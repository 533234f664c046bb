"""The job queue for real: two consumer processes on SqliteHuey's file or on one Redis, the
reminders fanned out in batches twice over, every message sent exactly once."""

import sqlite3
from pathlib import Path

import pytest

from tests.jobs.conftest import add_due_workers, flask, instance_env, wait_until

WORKERS = 2500  # three batches of reminder_tasks.BATCH (1000), five chunks of messages


def rows(database: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_two_consumers_send_every_reminder_once(tmp_path, consumers, backend, request):
    extra = {}
    if backend == "redis":
        extra["MEDKAB_REDIS_URL"] = request.getfixturevalue("redis_server").url
    env = instance_env(tmp_path, **extra)
    database = Path(env["MEDKAB_DATABASE"])
    flask(env, "db-migrate")
    ids = add_due_workers(database, WORKERS)

    # The fan-out twice before anything runs: every batch task is in the queue twice, as when
    # two consumers' schedulers both fire or a tick is retried.
    for _ in range(2):
        assert "пачек напоминаний: 3" in flask(env, "reminders", "--queue")
    group = consumers(env)
    group.start(count=2, workers=2)

    def all_sent():
        [(sent,)] = rows(database, "select count(*) from deliveries where status = 'sent'")
        return sent >= WORKERS

    wait_until(all_sent, 240, f"{WORKERS} e-mails sent", group.logs)
    group.stop()

    notices = rows(database, "select user_id from notifications where kind = 'reminder'")
    assert sorted(user_id for (user_id,) in notices) == ids  # one notice each
    mails = rows(database, "select recipient from dev_outbox where channel = 'email'")
    assert len(mails) == WORKERS
    assert len({recipient for (recipient,) in mails}) == WORKERS  # one e-mail each
    states = rows(database, "select status, attempts, count(*) from deliveries group by 1, 2")
    assert states == [("sent", 1, WORKERS)]
    claimers = rows(database, "select distinct claimed_by from deliveries")
    processes = {claimer.split(":")[1] for (claimer,) in claimers}
    assert len(processes) == 2  # both consumers sent
    assert "Traceback" not in group.logs()


def test_a_consumer_that_cannot_reach_the_queue_leaves_the_work_for_the_sweep(
    tmp_path, consumers, redis_server
):
    """Redis down when a notice is made: the request's rows are committed, the enqueue is lost
    and logged; the minute's sweep finds the messages and a consumer sends them."""
    env = instance_env(tmp_path, MEDKAB_REDIS_URL=redis_server.url)
    database = Path(env["MEDKAB_DATABASE"])
    flask(env, "db-migrate")
    add_due_workers(database, 3)
    redis_server.stop()
    out = flask(env, "reminders")
    assert "Напоминаний в очереди на отправку: 3" in out
    assert rows(database, "select status, count(*) from deliveries group by 1") == [("pending", 3)]

    redis_server.start()
    conn = sqlite3.connect(database)
    with conn:  # two minutes later, as far as the sweep is concerned
        conn.execute("update deliveries set next_at = '2000-01-01T00:00:00+00:00'")
    conn.close()
    group = consumers(env)
    group.start(count=1, workers=1)
    assert "Сообщений поставлено в очередь: 3" in flask(env, "deliveries-sweep")

    def sent():
        return rows(database, "select count(*) from deliveries where status = 'sent'") == [(3,)]

    wait_until(sent, 60, "3 e-mails sent after the sweep", group.logs)
