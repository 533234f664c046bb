"""The reviewers' queue and «Мои заявления» on 1,000,000 applications (issue «Applications»).

Run: `.venv/bin/python bench/applications_queue.py` (`--rows 100000 --workers 10000` for a quick
check; `--help` lists the options). Needs `wrk` on PATH for the HTTP part. See bench/README.md.

1. Builds, or reuses when its row counts match, an instance directory under bench/.data/
   (`applications-1m` by default; the directory ignores itself for git): migrations, one
   reviewer with a known TOTP secret, one worker with ~60 applications, `--workers` more
   workers inserted directly with ONE precomputed argon2 hash, and `--rows` applications
   spread over kinds, ~40 specialties, the 89 regions and the states (~88 % decided, ~12 % open
   with queue_deadline = stage_deadline within ±60 days of today, ~10 % of the open ones
   assigned to the reviewer).
2. SQL: for each queue filter walks the queue with keyset cursors and times the first, the
   1,000th (or deepest) and the last page — the statement alone and the whole `store.queue`
   call — median of `--runs` runs; prints EXPLAIN QUERY PLAN; times `queue_counts`,
   `specialties_in_queue` and `for_user` too.
3. HTTP: gunicorn (the repository's gunicorn.conf.py, 2 workers) on that instance; signs in
   the reviewer (/login, then /verify/totp with the TOTP code) and the worker (/login), and
   runs wrk against hello-world, GET /review (first and 1,000th page) and GET /applications.

Writes the Markdown report to bench/results/applications_queue.md (git-ignored).
"""

import argparse
import http.cookiejar
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import http_bench as hb  # noqa: E402

from webapp.validators import normalize_snils, snils_checksum  # noqa: E402

REVIEWER = {"phone": "+79160000001", "email": "reviewer@bench.medkab.local"}
WORKER = {"phone": "+79160000002", "email": "worker@bench.medkab.local"}
PASSWORD = "тихий вечер у реки и чай"  # noqa: S105 - throw-away bench accounts
BULK_PASSWORD = "у всех работников один пароль"  # noqa: S105
TOTP_SECRET = "NBSWY3DPO5XXE3DEMFZGKYLSMFRGY2LO"  # noqa: S105 - the bench reviewer's authenticator
MY_APPLICATIONS = 60
SEED = 20261130
PAGE_DEPTH = 1000  # the "deep" page, 1-based

KIND_WEIGHTS = {"periodic": 60, "primary_special": 20, "primary": 10, "qualification": 10}
CONFIRMATION_KINDS = {"qualification"}  # confirm/refuse instead of pass/fail, no commission
SPECIALTIES = (
    "Сестринское дело",
    "Терапия",
    "Лечебное дело",
    "Педиатрия",
    "Акушерское дело",
    "Хирургия",
    "Общая врачебная практика (семейная медицина)",
    "Лабораторная диагностика",
    "Акушерство и гинекология",
    "Анестезиология-реаниматология",
    "Скорая медицинская помощь",
    "Стоматология общей практики",
    "Неврология",
    "Кардиология",
    "Фармация",
    "Офтальмология",
    "Рентгенология",
    "Оториноларингология",
    "Травматология и ортопедия",
    "Функциональная диагностика",
    "Ультразвуковая диагностика",
    "Клиническая лабораторная диагностика",
    "Эндокринология",
    "Психиатрия",
    "Онкология",
    "Урология",
    "Дерматовенерология",
    "Инфекционные болезни",
    "Гастроэнтерология",
    "Стоматология терапевтическая",
    "Стоматология хирургическая",
    "Физиотерапия",
    "Пульмонология",
    "Лечебная физкультура и спортивная медицина",
    "Медицинская реабилитация",
    "Нефрология",
    "Ревматология",
    "Ортодонтия",
    "Гематология",
    "Аллергология и иммунология",
)
# Open states: how they share the queue (accreditation kinds / confirmation kinds).
OPEN_WEIGHTS = {
    "submitted": (20, 30),
    "registered": (15, 20),
    "under_check": (30, 50),
    "forwarded": (15, 0),
    "under_review": (20, 0),
}
FINAL_WEIGHTS = {  # accreditation kinds; confirmation kinds use confirmed/refused for pass/fail
    "passed": 75,
    "not_passed": 10,
    "withdrawn": 15,
}
SURNAMES = ("Иванова", "Смирнова", "Кузнецова", "Попова", "Васильева", "Петрова", "Соколова")
NAMES = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана")
PATRONYMICS = ("Ивановна", "Сергеевна", "Петровна", "Викторовна", "Андреевна", None)


# ---------------------------------------------------------------- the database


def data_dir_for(rows: int, workers: int) -> Path:
    def short(n: int) -> str:
        if n % 1_000_000 == 0:
            return f"{n // 1_000_000}m"
        return f"{n // 1000}k" if n % 1000 == 0 else str(n)

    suffix = "" if workers == 100_000 else f"-{short(workers)}w"
    return DATA / f"applications-{short(rows)}{suffix}"


def make_app(instance: Path):
    """The app on the bench instance, as gunicorn will see it (MEDKAB_* from our env only)."""
    for key in [k for k in os.environ if k.startswith("MEDKAB_")]:
        del os.environ[key]
    os.environ["MEDKAB_INSTANCE_PATH"] = str(instance)
    from webapp import create_app

    return create_app()


def existing_meta(instance: Path, rows: int, workers: int) -> dict | None:
    """The build's metadata when the database there has exactly these counts."""
    meta_path = instance / "bench-meta.json"
    database = instance / "medkab.sqlite3"
    if not (meta_path.exists() and database.exists()):
        return None
    meta = json.loads(meta_path.read_text())
    conn = sqlite3.connect(database)
    try:
        applications = conn.execute("select count(*) from applications").fetchone()[0]
        users = conn.execute("select count(*) from users").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    if (applications, users) != (rows, workers + 2) or meta.get("rows") != rows:
        return None
    return meta


def weighted(rng: random.Random, weights: dict, n: int) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=n)


def build(instance: Path, rows: int, workers: int) -> dict:
    """Make the instance from scratch; returns the metadata written to bench-meta.json."""
    from webapp.auth.passwords import hash_password
    from webapp.auth.store import factors
    from webapp.cli import make_user
    from webapp.db import connect, migrate

    started = time.perf_counter()
    if instance.exists():
        shutil.rmtree(instance)
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / ".gitignore").write_text("# bench/applications_queue.py's databases\n*\n")
    app = make_app(instance)
    today = date.today()
    rng = random.Random(SEED)
    with app.app_context():
        db = connect(app.config["DATABASE"])
        migrate(db)
        people = {}
        for who, role, surname, first9 in (
            (REVIEWER, "reviewer", "Петров", "223344556"),
            (WORKER, "worker", "Смирнова", "112233445"),
        ):
            people[role] = make_user(
                db,
                role=role,
                surname=surname,
                name="Игорь" if role == "reviewer" else "Анна",
                patronymic="Сергеевич" if role == "reviewer" else "Викторовна",
                phone=who["phone"],
                email=who["email"],
                snils=normalize_snils(f"{first9}{snils_checksum(first9):02d}"),
                birth_date=date(1985, 4, 12),
                password=PASSWORD,
            )
        cipher = app.extensions["cipher"]
        factors.start_totp(db, people["reviewer"], cipher.encrypt("totp", TOTP_SECRET))
        factors.confirm_totp(db, people["reviewer"], 0)
        bulk_hash = hash_password(app.config, BULK_PASSWORD)
        print(f"  migrated, reviewer #{people['reviewer']}, worker #{people['worker']}", flush=True)

        conn = db.conn
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")  # 1 GB while building

        # Workers: ids follow the two accounts above.
        t0 = time.perf_counter()
        stamp = (datetime.now(UTC) - timedelta(days=1100)).isoformat(timespec="seconds")
        first_worker = people["worker"] + 1

        def worker_row(n):
            first9 = f"{300_000_000 + n:09d}"
            snils = normalize_snils(f"{first9}{snils_checksum(first9):02d}")
            return (
                first_worker + n,
                SURNAMES[n % len(SURNAMES)],
                NAMES[n // 7 % len(NAMES)],
                PATRONYMICS[n // 56 % len(PATRONYMICS)],
                (date(1960, 1, 1) + timedelta(days=n % 14000)).isoformat(),
                cipher.encrypt("snils", snils),
                cipher.blind_index("snils", snils),
                f"+7951{n:07d}",
                stamp,
                f"worker{n}@bench.medkab.local",
                bulk_hash,
                stamp,
                stamp,
            )

        conn.execute("begin")
        for chunk in range(0, workers, 50_000):
            conn.executemany(
                "insert into users (id, surname, name, patronymic, birth_date, snils_enc, "
                "snils_bidx, phone, phone_confirmed_at, email, password_hash, status, "
                "created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                (worker_row(n) for n in range(chunk, min(chunk + 50_000, workers))),
            )
        conn.executemany(
            "insert into user_roles (user_id, role) values (?, 'worker')",
            ((first_worker + n,) for n in range(workers)),
        )
        conn.execute("commit")
        print(f"  {workers:,} workers in {time.perf_counter() - t0:.1f} s", flush=True)

        # Applications, oldest first; numbers count up per year.
        t0 = time.perf_counter()
        kinds = weighted(rng, KIND_WEIGHTS, rows)
        spec_weights = {s: 1 / (rank + 1) ** 0.9 for rank, s in enumerate(SPECIALTIES)}
        specialties = weighted(rng, spec_weights, rows)
        from webapp.applications.regions import REGIONS

        region_weights = {
            r: (8 if i == 0 else 4 if i == 1 else rng.uniform(0.3, 2))
            for i, r in enumerate(REGIONS)
        }
        regions = weighted(rng, region_weights, rows)
        mine = set(rng.sample(range(rows), min(MY_APPLICATIONS, rows)))
        span = 3 * 365 * 86400  # three years of applications up to yesterday
        base = datetime.combine(today, datetime.min.time(), UTC) - timedelta(seconds=span + 86400)
        recent = int(rows * 0.75)  # open applications come from the last quarter
        open_chance = 0.12 / 0.25
        numbers: dict[int, int] = {}
        counts = {"open": 0, "mine": 0}

        def application_row(i):
            kind = kinds[i]
            confirm = kind in CONFIRMATION_KINDS
            user_id = people["worker"] if i in mine else first_worker + rng.randrange(workers)
            created = base + timedelta(seconds=span * i // rows)
            submitted = created + timedelta(hours=rng.randint(1, 96))
            year = submitted.year
            numbers[year] = numbers.get(year, 0) + 1
            is_open = i >= recent and rng.random() < open_chance
            assignee = queue_deadline = stage_started = decision_date = None
            if is_open:
                counts["open"] += 1
                weights = {s: w[1 if confirm else 0] for s, w in OPEN_WEIGHTS.items()}
                state = weighted(rng, weights, 1)[0]
                queue_deadline = (today + timedelta(days=rng.randint(-60, 60))).isoformat()
                stage_started = (
                    date.fromisoformat(queue_deadline) - timedelta(days=28)
                ).isoformat()
                if state != "submitted" and rng.random() < 0.125:
                    assignee = people["reviewer"]
                    counts["mine"] += 1
                updated = submitted + timedelta(days=rng.randint(0, 20))
            else:
                state = weighted(rng, FINAL_WEIGHTS, 1)[0]
                if confirm:
                    state = {"passed": "confirmed", "not_passed": "refused"}.get(state, state)
                updated = submitted + timedelta(days=rng.randint(1, 60))
                if state != "withdrawn":
                    decision_date = updated.date().isoformat()
            specialty = None if confirm else specialties[i]
            n = user_id - first_worker
            data = {
                "contacts": {
                    "phone": f"+7951{n:07d}" if n >= 0 else WORKER["phone"],
                    "email": f"worker{n}@bench.medkab.local" if n >= 0 else WORKER["email"],
                },
                "fields": {"employer_agreed": "yes"} if kind == "periodic" else {},
                "documents": [rng.randrange(1, 10**7) for _ in range(3)],
            }
            if kind == "periodic":
                data["hours"] = [f"nmo:{rng.randrange(10**7)}" for _ in range(6)]
            digest = rng.randbytes(32).hex()
            return (
                i + 1,
                user_id,
                kind,
                specialty,
                regions[i],
                state,
                f"А-{year}-{numbers[year]:06d}",
                json.dumps(data, ensure_ascii=False),
                rng.randint(1, 6),
                digest,
                "sms",
                submitted.isoformat(timespec="seconds"),
                json.dumps(
                    {
                        "factor": "sms",
                        "phone_tail": data["contacts"]["phone"][-4:],
                        "digest": digest,
                    }
                ),
                assignee,
                stage_started,
                queue_deadline,  # stage_deadline: the same while open
                queue_deadline,
                decision_date,
                created.isoformat(timespec="seconds"),
                min(updated, datetime.now(UTC)).isoformat(timespec="seconds"),
                submitted.isoformat(timespec="seconds"),
            )

        conn.execute("begin")
        step = 100_000
        for chunk in range(0, rows, step):
            conn.executemany(
                "insert into applications (id, user_id, kind, specialty, region, state, number, "
                "data, revision, signed_hash, signed_factor, signed_at, signature, assignee_id, "
                "stage_started, stage_deadline, queue_deadline, decision_date, created_at, "
                "updated_at, submitted_at) values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [application_row(i) for i in range(chunk, min(chunk + step, rows))],
            )
            print(f"  … {min(chunk + step, rows):,} applications", flush=True)
        conn.executemany(
            "insert into application_numbers (year, last) values (?, ?)", numbers.items()
        )
        conn.execute("commit")
        print(f"  {rows:,} applications in {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
        print(f"  ANALYZE and WAL in {time.perf_counter() - t0:.1f} s", flush=True)
        db.close()
    meta = {
        "rows": rows,
        "workers": workers,
        "built_on": today.isoformat(),
        "build_seconds": round(time.perf_counter() - started, 1),
        "reviewer_id": people["reviewer"],
        "worker_id": people["worker"],
        "open": counts["open"],
        "mine": counts["mine"],
        "size_mb": round((instance / "medkab.sqlite3").stat().st_size / 2**20),
    }
    (instance / "bench-meta.json").write_text(json.dumps(meta, indent=2))
    return meta


# ---------------------------------------------------------------- SQL timings


class Recorder:
    """Stands in for the sqlite-utils Database: notes the last query, then runs it."""

    def __init__(self, db):
        self.db = db
        self.last = None

    def query(self, sql, params=()):
        self.last = (sql, list(params))
        return self.db.query(sql, params)


def timed(fn, runs: int) -> dict:
    fn()  # warm the connection's page cache and the statement cache
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"median": statistics.median(samples), "max": max(samples)}


def plan(conn, sql, params) -> list[str]:
    return [row[3] for row in conn.execute("explain query plan " + sql, params)]


def mid(conn, column: str) -> str:
    """The value of `column` at the median of its frequency among queued applications."""
    index = {"specialty": "applications_queue_specialty", "region": "applications_queue_region"}
    found = conn.execute(
        f"select {column}, count(*) from applications indexed by {index[column]} "  # noqa: S608
        f"where queue_deadline is not null and {column} is not null group by {column} "
        "order by count(*), 1"
    ).fetchall()
    return found[len(found) // 2][0]


def queue_filters(conn, reviewer_id: int) -> list[tuple[str, dict]]:
    specialty, region = mid(conn, "specialty"), mid(conn, "region")
    return [
        ("none", {}),
        ("state=submitted", {"state": "submitted"}),
        ("kind=primary", {"kind": "primary"}),
        (f"specialty={specialty}", {"specialty": specialty}),
        (f"region={region}", {"region": region}),
        ("overdue", {"overdue": True}),
        ("mine (assignee_id)", {"assignee_id": reviewer_id}),
    ]


def walk(db, store, filters: dict, today: date) -> dict:
    """Page through the queue; the cursors of the first, the deep and the last page."""
    after, number, cursors = None, 1, {"first": (1, None)}
    while True:
        rows = store.queue(db, filters=filters, today=today, after=after, size=store.PAGE)
        if number == PAGE_DEPTH:
            cursors["deep"] = (number, after)
        if len(rows) <= store.PAGE:
            cursors["last"] = (number, after)
            cursors.setdefault("deep", (number, after))
            cursors["total"] = (number - 1) * store.PAGE + len(rows)
            return cursors
        last = rows[store.PAGE - 1]
        after = (last["queue_deadline"], last["id"])
        number += 1


def sql_part(instance: Path, meta: dict, runs: int) -> dict:
    from webapp.applications import store
    from webapp.clock import today as today_in
    from webapp.db import connect

    app = make_app(instance)
    out = {"queue": [], "other": [], "plans": [], "cursor": None}
    with app.app_context():
        db = connect(app.config["DATABASE"])
        conn = db.conn
        today = today_in("Europe/Moscow")
        recorder = Recorder(db)
        for label, filters in queue_filters(conn, meta["reviewer_id"]):
            t0 = time.perf_counter()
            cursors = walk(db, store, filters, today)
            walked = time.perf_counter() - t0
            row = {"filter": label, "total": cursors["total"], "walk_s": walked}
            for which in ("first", "deep", "last"):
                number, after = cursors[which]

                def call(filters=filters, after=after):
                    return store.queue(
                        recorder, filters=filters, today=today, after=after, size=store.PAGE
                    )

                call()
                sql, params = recorder.last
                row[which] = {
                    "page": number,
                    "sql": timed(
                        lambda sql=sql, params=params: conn.execute(sql, params).fetchall(), runs
                    ),
                    "call": timed(call, runs),
                }
                if which in ("first", "deep"):
                    out["plans"].append((f"{label}, {which} page", plan(conn, sql, params)))
            if label == "none":
                out["cursor"] = cursors["deep"]
            out["queue"].append(row)
            print(
                f"  {label:<44} {row['total']:>7,} rows; page 1 {row['first']['sql']['median']:.3f}"
                f" ms, page {row['deep']['page']:,} {row['deep']['sql']['median']:.3f} ms, "
                f"last (page {row['last']['page']:,}) {row['last']['sql']['median']:.3f} ms"
                f"  [walk {walked:.1f} s]",
                flush=True,
            )

        def other(label, fn, seen):
            seen.last = None
            fn()
            sql, params = seen.last if seen.last else (None, None)
            result = {"label": label, "call": timed(fn, runs)}
            if sql:
                result["sql"] = timed(lambda: conn.execute(sql, params).fetchall(), runs)
                out["plans"].append((label, plan(conn, sql, params)))
            out["other"].append(result)
            print(f"  {label:<44} {result['call']['median']:.3f} ms", flush=True)

        class Executor(Recorder):
            def execute(self, sql, params=()):
                self.last = (sql, list(params))
                return self.db.execute(sql, params)

        executor = Executor(db)
        other(
            "queue_counts (waiting, mine, overdue)",
            lambda: store.queue_counts(executor, meta["reviewer_id"], today),
            executor,
        )
        other("specialties_in_queue", lambda: store.specialties_in_queue(executor), executor)
        other(
            f"for_user, first page ({MY_APPLICATIONS} applications)",
            lambda: store.for_user(recorder, meta["worker_id"]),
            recorder,
        )
        heavy = conn.execute(
            "select user_id from applications indexed by applications_user where user_id != ? "
            "group by user_id order by count(*) desc limit 1",
            [meta["worker_id"]],
        ).fetchone()[0]
        count = conn.execute(
            "select count(*) from applications where user_id = ?", [heavy]
        ).fetchone()[0]
        other(
            f"for_user, first page (busiest other worker, {count})",
            lambda: store.for_user(recorder, heavy),
            recorder,
        )
        db.close()
    return out


# ---------------------------------------------------------------- HTTP


def gunicorn(label, app_spec, cwd, env, workers, log_dir, server="conf") -> hb.Server:
    """http_bench's Server with the same settings for every app: the repository's
    gunicorn.conf.py (gevent), or with `--server sync` none (sync workers). (http_bench's
    hello-world runs from bench/ and so without gunicorn.conf.py.)"""
    config = ROOT / "gunicorn.conf.py" if server == "conf" else "/dev/null"
    return hb.Server(label, app_spec, cwd, env, workers, log_dir, config=config)


def _post(opener, url, fields, referer):
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(fields).encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": referer},
    )
    with opener.open(request, timeout=30) as response:
        return response.geturl(), response.read().decode()


def sign_in(base: str, login: str, instance: Path | None = None) -> str:
    """/login with the password; when /verify asks, the TOTP code. The session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=10) as response:
        page = response.read().decode()
    token = hb.CSRF.search(page)
    url, page = _post(
        opener,
        base + "/login",
        {"login": login, "password": PASSWORD, "csrf_token": token[1] or token[2]},
        base + "/login",
    )
    if urllib.parse.urlsplit(url).path == "/verify":
        import pyotp

        conn = sqlite3.connect(instance / "medkab.sqlite3")
        with conn:  # a new run inside the same 30 s step is not a replay of the last one
            conn.execute("update totp_secrets set last_step = 0")
        conn.close()
        token = hb.CSRF.search(page)
        url, page = _post(
            opener,
            base + "/verify/totp",
            {"totp-code": pyotp.TOTP(TOTP_SECRET).now(), "csrf_token": token[1] or token[2]},
            base + "/verify",
        )
        if urllib.parse.urlsplit(url).path == "/verify":
            raise RuntimeError("the TOTP code was not accepted")
    cookies = {cookie.name: cookie.value for cookie in jar}
    if hb.SESSION_COOKIE not in cookies:
        raise RuntimeError(f"no session cookie after signing in {login} (ended on {url})")
    return cookies[hb.SESSION_COOKIE]


def get(base: str, path: str, cookie: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(hb._NoRedirect)
    request = urllib.request.Request(
        base + path, headers={"Cookie": f"{hb.SESSION_COOKIE}={cookie}"}
    )
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def http_part(args, instance: Path, cursor) -> dict:
    args.wrk = shutil.which("wrk")
    if not args.wrk:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return {"skipped": "wrk is not installed (apt-get install -y wrk)"}
    tmp = Path(tempfile.mkdtemp(prefix="medkab-queue-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")}
    env.update(
        MEDKAB_INSTANCE_PATH=str(instance),
        MEDKAB_DEBUG="0",
        MEDKAB_RATELIMIT_ENABLED="0",
        MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS="1",
        PYTHONDONTWRITEBYTECODE="1",
        XDG_RUNTIME_DIR=str(tmp),
    )
    servers, runs, problems = [], [], []
    try:
        app = gunicorn("medkab", "wsgi:app", ROOT, env, args.gunicorn_workers, tmp, args.server)
        servers.append(app)
        app.wait_ready("/login", timeout=60)
        reviewer = sign_in(app.base, REVIEWER["phone"], instance)
        worker = sign_in(app.base, WORKER["phone"])
        deep = f"/review?after={cursor[1][0]}_{cursor[1][1]}" if cursor and cursor[1] else None
        targets = [
            ("GET /review (queue, first page)", "/review", reviewer),
            *([(f"GET /review?after=… (page {cursor[0]:,})", deep, reviewer)] if deep else []),
            ("GET /applications («Мои заявления»)", "/applications", worker),
        ]
        ready = []
        for label, path, cookie in targets:
            status, body = get(app.base, path, cookie)
            if status != 200:
                problems.append(f"{label}: answered {status} {body[:80]!r}; not measured")
                print(f"  {problems[-1]}", flush=True)
                continue
            ready.append((label, path, cookie, len(body.encode())))
        for label, path, cookie, size in ready:
            result = hb.measure(
                args, app, label, app.base + path, (f"Cookie: {hb.SESSION_COOKIE}={cookie}",)
            )
            result["bytes"] = size
            runs.append(result)
        app.stop()
        hello = gunicorn(
            "hello", "hello_app:app", BENCH, env, args.gunicorn_workers, tmp, args.server
        )
        servers.append(hello)
        hello.wait_ready("/")
        baseline = hb.measure(args, hello, "hello-world Flask (baseline)", hello.base + "/")
        baseline["bytes"] = 5
        hello.stop()
        for server in servers:
            if "Traceback" in server.log_text():
                kept = RESULTS / f"applications_queue-{server.log_path.name}"
                RESULTS.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(server.log_path, kept)
                problems.append(f"gunicorn ({server.label}) logged tracebacks: see {kept}")
        for run in [*runs, baseline]:
            problems += [f"{run['label']}: {p}" for p in hb.problems_of(run)]
        return {"runs": runs, "baseline": baseline, "problems": problems}
    except Exception:
        for server in servers:
            print(f"\n--- gunicorn ({server.label}) ---\n{server.log_tail(40)}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- report


def ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def report(args, meta: dict, sql: dict | None, web: dict | None, started: datetime) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# Applications: reviewer queue",
        "",
        f"- run: {started:%Y-%m-%d %H:%M}, commit {commit or 'unknown'} (working tree as is)",
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- data: {meta['rows']:,} applications ({meta['open']:,} open, {meta['mine']:,} of them "
        f"the reviewer's), {meta['workers']:,} workers + reviewer + worker; "
        f"{meta['size_mb']:,} MB; built {meta['built_on']} in {meta['build_seconds']:.0f} s",
        "",
    ]
    if sql:
        lines += [
            f"## SQL (ms, median of {args.runs} runs, warm cache)",
            "",
            "`sql` = the statement alone (execute + fetchall); `call` = the whole "
            "`store.queue` call (with row dicts and date parsing).",
            "",
            "| filter | rows | page 1 sql / call | deep page | sql / call | last page | "
            "sql / call |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in sql["queue"]:
            cells = [
                f"{ms(row[w]['sql']['median'])} / {ms(row[w]['call']['median'])}"
                for w in ("first", "deep", "last")
            ]
            lines.append(
                f"| {row['filter']} | {row['total']:,} | {cells[0]} | {row['deep']['page']:,} | "
                f"{cells[1]} | {row['last']['page']:,} | {cells[2]} |"
            )
        lines += ["", "| other query | sql | call |", "| --- | ---: | ---: |"]
        for row in sql["other"]:
            statement = ms(row["sql"]["median"]) if "sql" in row else "—"
            lines.append(f"| {row['label']} | {statement} | {ms(row['call']['median'])} |")
        lines += ["", "### EXPLAIN QUERY PLAN", "", "```"]
        for label, steps in sql["plans"]:
            lines.append(f"{label}:")
            lines += [f"    {step}" for step in steps]
        lines += ["```", ""]
    if web:
        lines += [
            f"## HTTP (wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency, "
            f"gunicorn {args.gunicorn_workers} workers, "
            + ("gunicorn.conf.py: gevent" if args.server == "conf" else "sync, no config file")
            + ")",
            "",
        ]
        if "skipped" in web:
            lines += [f"Skipped: {web['skipped']}", ""]
        else:
            base = web["baseline"]["rps"]
            lines += [
                "| target | req/s | p50 | p99 | × hello | HTML bytes |",
                "| --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for run in [*web["runs"], web["baseline"]]:
                noisy = " (noisy)" if run["other_cpu"] >= hb.NOISE_CPU else ""
                lines.append(
                    f"| {run['label']}{noisy} | {run['rps']:,.0f} | {run['p50']:.1f} ms | "
                    f"{run['p99']:.1f} ms | {run['rps'] / base:.2f} | {run['bytes']:,} |"
                )
            lines += [
                "",
                "CPU taken by other processes during each run: "
                + ", ".join(
                    f"{r['label']} {r['other_cpu']:.2f}" for r in [*web["runs"], web["baseline"]]
                ),
                "",
            ]
            if web["problems"]:
                lines += ["**Problems:**", *(f"- {p}" for p in web["problems"]), ""]
            else:
                lines += ["No non-2xx/3xx answers, no socket errors, no tracebacks.", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="applications")
    parser.add_argument("--workers", type=int, default=100_000, help="worker accounts")
    parser.add_argument("--rebuild", action="store_true", help="build even if one exists")
    parser.add_argument("--part", choices=("all", "sql", "http"), default="all")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (median)")
    parser.add_argument("--duration", default="10s", help="wrk -d (default 10s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument(
        "--server",
        choices=("conf", "sync"),
        default="conf",
        help="conf: the repository's gunicorn.conf.py (gevent); sync: no config, sync workers",
    )
    parser.add_argument("--warmup", default="2s", help="unreported wrk run before each ('' none)")
    parser.add_argument("--wait-idle", type=float, default=60, help="see http_bench.py")
    parser.add_argument("--output", type=Path, default=RESULTS / "applications_queue.md")
    args = parser.parse_args()
    if args.workers < 1 or args.rows < MY_APPLICATIONS:
        parser.error("need at least one worker and 60 applications")

    started = datetime.now()
    instance = data_dir_for(args.rows, args.workers)
    meta = None if args.rebuild else existing_meta(instance, args.rows, args.workers)
    if meta:
        print(f"reusing {instance} (built {meta['built_on']} in {meta['build_seconds']} s)")
    else:
        print(f"building {instance}: {args.rows:,} applications, {args.workers:,} workers")
        meta = build(instance, args.rows, args.workers)
        print(f"built in {meta['build_seconds']} s, {meta['size_mb']:,} MB", flush=True)

    sql = web = None
    cursor = None
    if args.part in ("all", "sql"):
        print("SQL:", flush=True)
        sql = sql_part(instance, meta, args.runs)
        cursor = sql["cursor"]
    if args.part in ("all", "http"):
        if cursor is None:
            from webapp.applications import store
            from webapp.clock import today as today_in
            from webapp.db import connect

            app = make_app(instance)
            with app.app_context():
                db = connect(app.config["DATABASE"])
                cursor = walk(db, store, {}, today_in("Europe/Moscow"))["deep"]
                db.close()
        print("HTTP:", flush=True)
        web = http_part(args, instance, cursor)
    text = report(args, meta, sql, web, started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {args.output}")
    return 1 if web and web.get("problems") else 0


if __name__ == "__main__":
    sys.exit(main())
