"""100,000 reminders through the job queue with two consumers: the time, and each sent once.

    .venv/bin/python bench/reminders_fanout.py                 # SqliteHuey (the default queue)
    .venv/bin/python bench/reminders_fanout.py --redis         # RedisHuey, throw-away redis-server
    .venv/bin/python bench/reminders_fanout.py --workers 20000 --consumers 1

A throw-away instance gets N active workers, each with one reminder due today (an accreditation
ending in 30 days). `flask reminders --queue` fans them out (one task per 1,000 workers), twice
over, as two schedulers firing at once would; then the consumers (`flask --app wsgi consume`,
2 threads each) claim the reminders, write the inbox notices and queue the e-mails, and send the
e-mails (the dev mail backend: a row in `dev_outbox`). Printed: the time until every reminder
was claimed and until every e-mail was sent, and the duplicate checks. Figures in bench/README.md.
"""

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.jobs.conftest import Consumers, add_due_workers, flask, instance_env  # noqa: E402
from tests.limits.conftest import RedisServer  # noqa: E402


def count(database: Path, sql: str) -> int:
    conn = sqlite3.connect(database, timeout=30)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="worker threads per consumer")
    parser.add_argument("--redis", action="store_true", help="RedisHuey on a local redis-server")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="medkab-fanout-"))
    redis = None
    group = None
    try:
        extra = {}
        if args.redis:
            binary = shutil.which("redis-server")
            if binary is None:
                sys.exit("redis-server is not installed (apt-get install redis-server)")
            redis = RedisServer(binary, tmp / "redis")
            redis.start()
            extra["MEDKAB_REDIS_URL"] = redis.url
        env = instance_env(tmp, **extra)
        database = Path(env["MEDKAB_DATABASE"])
        flask(env, "db-migrate")
        started = time.monotonic()
        add_due_workers(database, args.workers)
        print(f"{args.workers:,} workers made in {time.monotonic() - started:.1f} s", flush=True)

        group = Consumers(env, tmp)
        started = time.monotonic()
        for _ in range(2):
            print(flask(env, "reminders", "--queue").strip(), flush=True)
        group.start(count=args.consumers, workers=args.threads)
        claimed_at = None
        while True:
            claimed = count(database, "select count(*) from reminders")
            sent = count(database, "select count(*) from deliveries where status = 'sent'")
            elapsed = time.monotonic() - started
            if claimed >= args.workers and claimed_at is None:
                claimed_at = elapsed
            if sent >= args.workers:
                break
            if elapsed > args.timeout:
                print(f"timeout: {claimed:,} claimed, {sent:,} sent\n{group.logs()[-3000:]}")
                return 1
            time.sleep(0.5)
        total = time.monotonic() - started
        group.stop()

        notices = count(database, "select count(*) from notifications where kind = 'reminder'")
        people = count(
            database, "select count(distinct user_id) from notifications where kind = 'reminder'"
        )
        mails = count(database, "select count(*) from dev_outbox where channel = 'email'")
        recipients = count(
            database, "select count(distinct recipient) from dev_outbox where channel = 'email'"
        )
        retried = count(database, "select count(*) from deliveries where attempts > 1")
        claimers = count(database, "select count(distinct claimed_by) from deliveries")
        queue = "Redis" if args.redis else "SQLite (instance/queue.sqlite3)"
        print(
            f"queue: {queue}; consumers: {args.consumers} × {args.threads} threads\n"
            f"every reminder claimed after {claimed_at:.1f} s, every e-mail sent after "
            f"{total:.1f} s ({args.workers / total:,.0f} reminders/s end to end)\n"
            f"notices: {notices:,} for {people:,} workers; e-mails: {mails:,} to {recipients:,} "
            f"addresses; messages sent more than once: {mails - recipients}; retried: {retried}; "
            f"sending threads: {claimers}"
        )
        ok = notices == people == mails == recipients == args.workers
        print("OK: each reminder once" if ok else "FAILED: duplicates or losses")
        return 0 if ok else 1
    finally:
        if group is not None:
            group.stop()
        if redis is not None:
            redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
