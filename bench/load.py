"""Load test: many simulated workers at once against gunicorn as `make run` serves the app.

Run: `make load` (200 users, 60 s) or `.venv/bin/python bench/load.py --users 10 --duration 15s`
for a smoke run; `--help` lists the options. Needs Locust (`pip install -e '.[bench]'`).
See bench/README.md.

What it does, in a throw-away instance directory (the developer's instance/ is never touched):
  1. generates a few phone-like JPEG page photos (2048 px long side, 200–450 KB);
  2. migrates the database and creates --users worker accounts in one process through the app's
     own `make_user`, each with the demo's professional record (`seed_record`) and three unread
     notices;
  3. starts gunicorn exactly as `make run` does (`-c gunicorn.conf.py`, gevent, 2 workers), with
     the access log off, rate limits off and the second factor optional for workers;
  4. runs `locust -f bench/locustfile.py --headless` against it, sampling every second from /proc
     the RSS of gunicorn's master and workers and the listening socket's accept queue;
  5. scans gunicorn's log for tracebacks, "database is locked" and worker restarts;
and writes bench/results/load.md (per action: count, failures, p50/p95/p99/max, req/s, from the
locustfile's log of every request; RSS at start, middle and end of the load; the slowest
requests; every error), keeping Locust's and gunicorn's output in bench/results/load-artifacts/.
Exit status 1 on any failed request, task exception or logged server error.
"""

import argparse
import csv
import io
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from http_bench import (  # noqa: E402
    BIN,
    CLOCK_TICKS,
    NOISE_CPU,
    CpuWatch,
    Server,
    _group_jiffies,
    run_line,
    server_errors,
    tool,
    wait_for_idle,
)

PASSWORD = "нагрузочный вечер у реки и чай"  # noqa: S105 - throw-away bench accounts
JPEG_COUNT = 6
JPEG_BYTES = (200_000, 450_000)  # what a phone's canvas sends per page (capture.js: 2048 px, q0.8)
NOTICES_PER_ACCOUNT = 3


# ---------------------------------------------------------------- fixtures


def make_jpegs(directory: Path, count: int = JPEG_COUNT) -> list[Path]:
    """Photographed document pages (desk, shading, blur, noise) as the phone page sends them:
    2048 px on the long side, quality 80, no metadata; quality nudged into 200–450 KB."""
    from PIL import Image

    from tests.fixtures.make_fixtures import synthetic_pages

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (image, _corners) in enumerate(synthetic_pages(count, seed=2026)):
        scale = 2048 / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
        quality, body = 80, b""
        for _ in range(8):
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality)
            body = out.getvalue()
            if len(body) < JPEG_BYTES[0] and quality < 95:
                quality += 4
            elif len(body) > JPEG_BYTES[1] and quality > 40:
                quality -= 8
            else:
                break
        path = directory / f"page-{index + 1}.jpg"
        path.write_bytes(body)
        paths.append(path)
    return paths


def make_accounts(count: int, out: Path) -> None:
    """Runs in a child process with the instance's environment: migrate, then `count` workers
    through the app's own functions (argon2 hash, encrypted СНИЛС, audit), each with the demo's
    record and a few unread notices. Writes [{"phone", "password"}, ...] to `out`."""
    from webapp import create_app
    from webapp.cli import make_user
    from webapp.db import connect, migrate
    from webapp.notifications import store as notices
    from webapp.profile.store.demo import seed_record
    from webapp.validators import normalize_snils, snils_checksum, snils_is_valid

    app = create_app()
    accounts = []
    started = time.monotonic()
    with app.app_context():
        db = connect(app.config["DATABASE"])
        migrate(db)
        today = date.today()
        number = 200_000_000
        for index in range(count):
            while True:
                number += 7_919
                first9 = f"{number:09d}"
                snils = f"{first9}{snils_checksum(first9) % 100:02d}"
                if snils_is_valid(snils):
                    break
            phone = f"+7916{5_000_000 + index:07d}"
            user_id = make_user(
                db,
                role="worker",
                surname=("Иванова", "Петрова", "Смирнова", "Кузнецова", "Попова")[index % 5],
                name=("Анна", "Мария", "Ольга", "Елена", "Наталья")[index % 5],
                patronymic="Сергеевна",
                phone=phone,
                email=f"load{index}@example.ru",
                snils=normalize_snils(snils),
                birth_date=date(1970, 1, 1) + timedelta(days=97 * index % 9000),
                password=PASSWORD,
            )
            seed_record(db, user_id, None, today)
            with db.atomic():
                for n in range(NOTICES_PER_ACCOUNT):
                    notices.add(
                        db,
                        user_id,
                        kind="info",
                        title=f"Проверка данных {n + 1}",
                        body="Кадровая служба подтвердила место работы.",
                        link="/profile/record",
                    )
            accounts.append({"phone": phone, "password": PASSWORD})
        db.close()
    out.write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")
    print(f"{count} accounts in {time.monotonic() - started:.1f}s", flush=True)


# ---------------------------------------------------------------- RSS sampling


def _rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields[0] is the state; ppid is the 4th stat field
            found.append(int(entry))
    return sorted(found)


def listen_queue(port: int) -> int | None:
    """Connections waiting in the kernel's accept queue of the listening socket on `port`
    (rx_queue of a LISTEN row in /proc/net/tcp)."""
    try:
        with open("/proc/net/tcp") as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                    return int(fields[4].split(":")[1], 16)
    except OSError:
        return None
    return None


TCP_COUNTERS = ("ListenOverflows", "ListenDrops", "TCPSynRetrans", "TCPTimeouts")


def tcp_counters() -> dict[str, int]:
    """The machine's TcpExt counters that show refused or retried connections."""
    with open("/proc/net/netstat") as handle:
        lines = handle.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], map(int, values.split()[1:]), strict=True))
            return {name: table.get(name, 0) for name in TCP_COUNTERS}
    return {}


class RssSampler(threading.Thread):
    """RSS of the gunicorn master and each worker, and the accept queue, every `interval` s."""

    def __init__(self, master: int, port: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.master = master
        self.port = port
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int]]] = []  # (monotonic, {pid: KiB})
        self.queue: list[int] = []  # accept-queue length at each sample
        self.workers_seen: list[int] = []
        self._halt = threading.Event()

    def sample(self) -> None:
        pids = [self.master, *_children(self.master)]
        for pid in pids[1:]:
            if pid not in self.workers_seen:
                self.workers_seen.append(pid)
        row = {pid: rss for pid in pids if (rss := _rss_kib(pid)) is not None}
        self.samples.append((time.monotonic(), row))
        self.queue.append(listen_queue(self.port) or 0)

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def at(self, moment: float) -> dict[int, int]:
        """The sample nearest to a monotonic time."""
        return min(self.samples, key=lambda s: abs(s[0] - moment))[1] if self.samples else {}

    def peak(self, start: float, end: float) -> dict[int, int]:
        peaks: dict[int, int] = {}
        for moment, row in self.samples:
            if start <= moment <= end:
                for pid, rss in row.items():
                    peaks[pid] = max(peaks.get(pid, 0), rss)
        return peaks


# ---------------------------------------------------------------- locust output


def read_requests(path: Path) -> list[dict]:
    """The locustfile's log of every request (start, method, name, ms, status, error)."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            {
                "start": float(start),
                "method": method,
                "name": name,
                "ms": float(ms),
                "status": int(status),
                "error": error,
            }
            for start, method, name, ms, status, error in csv.reader(handle)
        ]


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarize(requests: list[dict]) -> tuple[list[dict], Counter]:
    """Per action (and for all): count, failures, p50/p95/p99/max, req/s over the run; and
    the failures grouped by action and message. Task exceptions are counted apart."""
    timed = [r for r in requests if r["method"] != "TASK"]
    if not timed:
        return [], Counter()
    span = max(r["start"] + r["ms"] / 1000 for r in timed) - min(r["start"] for r in timed)
    groups: dict[str, list[dict]] = {}
    for r in timed:
        groups.setdefault(r["name"], []).append(r)
    rows = []
    for name, members in [*sorted(groups.items()), ("**all**", timed)]:
        ordered = sorted(r["ms"] for r in members)
        rows.append(
            {
                "name": name,
                "count": len(members),
                "failures": sum(1 for r in members if r["error"]),
                "p50": _percentile(ordered, 0.50),
                "p95": _percentile(ordered, 0.95),
                "p99": _percentile(ordered, 0.99),
                "max": ordered[-1],
                "rps": len(members) / span if span else 0.0,
            }
        )
    errors = Counter((r["method"], r["name"], r["error"]) for r in requests if r["error"])
    return rows, errors


def parse_duration(text: str) -> float:
    """Locust's -t syntax: 60s, 2m, 1m30s, 90."""
    if re.fullmatch(r"\d+", text):
        return float(text)
    parts = re.findall(r"(\d+)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"bad duration {text!r} (e.g. 60s, 2m, 1m30s)")
    return float(sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts))


# ---------------------------------------------------------------- gunicorn log

TIMEOUT_LINE = re.compile(
    r"WORKER TIMEOUT|Worker \(pid:\d+\) was sent|Worker exiting|Shutting down"
)


def log_findings(text: str) -> dict:
    tracebacks = text.count("Traceback (most recent call last)")
    return {
        "tracebacks": tracebacks,
        "locked": len(re.findall(r"database is locked", text)),
        "exceptions": server_errors(text),
        "worker_events": Counter(m.group(0) for m in TIMEOUT_LINE.finditer(text)),
        "booted": len(re.findall(r"Booting worker with pid", text)),
    }


def first_tracebacks(text: str, limit: int = 3) -> list[str]:
    """The first few tracebacks with the log line that introduced each."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            start = max(0, index - 1)
            end = index + 1
            while end < len(lines) and (
                lines[end].startswith((" ", "\t")) or lines[end].startswith("During handling")
            ):
                end += 1
            found.append("\n".join(lines[start : min(end + 1, len(lines))]))
            if len(found) >= limit:
                break
    return found


# ---------------------------------------------------------------- report


def _ms(value: str) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{number:,.0f}" if number >= 10 else f"{number:.1f}"


def _mib(kib: int | None) -> str:
    return "—" if kib is None else f"{kib / 1024:.1f}"


def report(args, context: dict) -> str:
    lines = [
        "# Load test (Locust)",
        "",
        run_line(context["started"]),
        *([f"- note: {args.note}"] if args.note else []),
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Locust {context['locust_version']}; "
        f"load average before the run {context['loadavg_before']}",
        f"- server: `gunicorn -c gunicorn.conf.py wsgi:app` ({args.workers} gevent workers, "
        "access log off), DEBUG off, rate limits off, second factor optional for workers, "
        "reminders every 900 s (as `make run`)",
        f"- load: {args.users} simulated workers (one account each), spawn rate "
        f"{args.spawn_rate}/s, {args.duration} (+ up to {args.stop_timeout} s for the last "
        f"tasks to finish), think time {args.wait.replace(',', '–')} s between tasks; "
        "FastHttpUser, on the same machine",
        f"- CPU during the load: gunicorn {context['cpu_server']:.2f}, Locust "
        f"{context['cpu_locust']:.2f}, other processes {context['cpu_other']:.2f} "
        f"(of {os.cpu_count()})"
        + (
            " — **noisy: other work shared the machine**"
            if context["cpu_other"] >= NOISE_CPU
            else ""
        ),
        "",
        "| action | requests | failures | p50 ms | p95 ms | p99 ms | max ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in context["table"]:
        lines.append(
            f"| {row['name']} | {row['count']:,} | {row['failures']:,} | {_ms(row['p50'])} | "
            f"{_ms(row['p95'])} | {_ms(row['p99'])} | {_ms(row['max'])} | {row['rps']:.1f} |"
        )
    lines += [
        "",
        "Times are each request's own (Locust's: from sending the request to the last byte of "
        "the answer), percentiles by nearest rank; req/s over the whole run, ramp-up and the "
        "last tasks included.",
        "",
        "## Server memory (RSS, MiB)",
        "",
        "| process | before load | start | middle | end | peak during load | after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rss = context["rss"]
    for label, pid in rss["processes"]:
        lines.append(
            f"| {label} (pid {pid}) | "
            + " | ".join(
                _mib(rss[moment].get(pid))
                for moment in ("before", "start", "middle", "end", "peak", "after")
            )
            + " |"
        )
    lines += [
        "",
        "start: when the first simulated user began; middle: half-way through the duration; "
        "end: when the duration ran out; after: once Locust had exited.",
    ]
    growth = []
    for label, pid in rss["processes"][1:]:
        early, late = rss["middle"].get(pid), rss["end"].get(pid)
        if early and late:
            minutes = context["duration"] / 2 / 60
            growth.append(
                f"{label} {(late - early) / 1024:+.1f} MiB ({(late - early) / 1024 / minutes:+.1f}"
                " MiB/min)"
            )
    if growth:
        lines += [
            "",
            "RSS change over the second half of the duration (the first is warm-up): "
            + ", ".join(growth)
            + ".",
        ]
    lines += ["", "## Connections and the slowest requests", ""]
    lines.append(
        f"Accept queue of the listening socket (connections the kernel holds until a worker "
        f"accepts them), sampled every second during the load: max {context['queue_max']}, "
        f"mean {context['queue_mean']:.1f}. Machine-wide TCP counters over the run: "
        + ", ".join(f"{k} +{v}" for k, v in context["tcp"].items())
        + "."
    )
    if context["slowest"]:
        lines += [
            "",
            "| started (s after the first request) | action | ms | status |",
            "| ---: | --- | ---: | ---: |",
        ]
        for started, name, ms, status in context["slowest"]:
            lines.append(f"| {started:.1f} | {name} | {ms:,.0f} | {status} |")
    lines += ["", "## Errors", ""]
    problems = context["problems"]
    if problems:
        lines += [f"- {problem}" for problem in problems]
    else:
        lines.append(
            "None: every request got the answer it expected; gunicorn logged no traceback, no "
            "`database is locked`, no worker timeout or restart."
        )
    if context["errors"]:
        lines += ["", "| method | action | error | count |", "| --- | --- | --- | ---: |"]
        for (method, name, error), count in context["errors"].most_common():
            lines.append(f"| {method} | {name} | {error.replace('|', '/')} | {count} |")
    if context["server_error_samples"]:
        lines += ["", "Requests answered 5xx (first few):", ""]
        for sample in context["server_error_samples"]:
            lines.append(
                f"- {sample['at']} {sample['method']} {sample['url']} ({sample['name']}): "
                f"{sample['status']}"
            )
    for trace in context["tracebacks"]:
        lines += ["", "```", trace, "```"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", "-u", type=int, default=200, help="simulated workers (200)")
    parser.add_argument("--spawn-rate", "-r", type=float, default=20, help="users started per s")
    parser.add_argument("--duration", "-t", default="60s", help="locust -t (default 60s)")
    parser.add_argument(
        "--wait", default="1,5", help="think time between a user's tasks, min,max s (1,5)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--stop-timeout", type=int, default=15, help="s the users get to finish their last task"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=30,
        help="seconds to wait for other processes to go quiet first (default 30)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="gunicorn access log with each request's time in the handler (diagnosis)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "load.md")
    parser.add_argument("--note", default="", help="free text added to the report's header")
    parser.add_argument("--make-accounts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--accounts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_accounts is not None:
        make_accounts(args.make_accounts, args.accounts_file)
        return 0
    duration = parse_duration(args.duration)
    if not (BIN / "locust").exists() and not shutil.which("locust"):
        sys.exit("Locust is not installed: pip install -e '.[bench]' (or `make load`)")
    locust = tool("locust")
    version = subprocess.run([locust, "--version"], capture_output=True, text=True).stdout.split()
    locust_version = version[1] if len(version) > 1 else "?"

    started = datetime.now()
    tmp = Path(tempfile.mkdtemp(prefix="medkab-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")}
    env.update(
        MEDKAB_INSTANCE_PATH=str(tmp / "instance"),
        MEDKAB_DEBUG="0",
        MEDKAB_RATELIMIT_ENABLED="0",  # 200 users from one address would hit the sign-in limit
        MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS="1",
        MEDKAB_CONSUMER="1",  # as `make run`: the job queue's consumer beside gunicorn
        MEDKAB_ACCESS_LOG="1" if args.access_log else "0",
        MEDKAB_WORKERS=str(args.workers),
        PYTHONDONTWRITEBYTECODE="1",
        XDG_RUNTIME_DIR=str(tmp),  # gunicorn 27's control socket, away from a `make run`
    )
    if args.access_log:  # time in the handler (ms), worker pid, arrival
        env["GUNICORN_CMD_ARGS"] = (
            env.get("GUNICORN_CMD_ARGS", "")
            + " --access-logformat '%(t)s %(p)s \"%(r)s\" %(s)s %(M)s'"
        )
    server = None
    try:
        print(f"instance: {tmp / 'instance'}", flush=True)
        jpegs = make_jpegs(tmp / "jpegs")
        sizes = sorted(p.stat().st_size for p in jpegs)
        print(f"{len(jpegs)} JPEGs, {sizes[0] // 1024}–{sizes[-1] // 1024} KB", flush=True)
        accounts = tmp / "accounts.json"
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--make-accounts",
                str(args.users),
                "--accounts-file",
                str(accounts),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=1800,
        )

        server = Server(
            "load", "wsgi:app", ROOT, env, args.workers, tmp, config=ROOT / "gunicorn.conf.py"
        )
        server.wait_ready("/login")
        time.sleep(3)  # the workers' first reminders pass (make run's loop) runs at boot
        sampler = RssSampler(server.proc.pid, server.port)
        sampler.sample()
        before = sampler.samples[-1][1]
        wait_for_idle(args.wait_idle)
        loadavg_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        sampler.start()

        prefix = tmp / "locust"
        errors_log = tmp / "server-errors.jsonl"
        locust_env = dict(
            env,
            LOAD_ACCOUNTS=str(accounts),
            LOAD_JPEG_DIR=str(tmp / "jpegs"),
            LOAD_WAIT=args.wait,
            LOAD_ERRORS_LOG=str(errors_log),
            LOAD_REQUESTS_LOG=str(tmp / "requests.csv"),
        )
        locust_log = tmp / "locust.log"
        command = [
            locust,
            "-f",
            str(BENCH / "locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            args.duration,
            "--stop-timeout",
            str(args.stop_timeout),
            "--host",
            server.base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--logfile",
            str(locust_log),
        ]
        print("$ " + " ".join(command), flush=True)
        log_offset = server.log_size()
        tcp_before = tcp_counters()
        watch = CpuWatch(server.proc.pid)
        server_jiffies0 = _group_jiffies(server.proc.pid)
        load_start = time.monotonic()
        with open(tmp / "locust.out", "wb") as out:
            proc = subprocess.Popen(
                command, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT
            )
            locust_jiffies = 0
            while proc.poll() is None:
                try:
                    with open(f"/proc/{proc.pid}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    locust_jiffies = int(fields[11]) + int(fields[12])
                except OSError:
                    pass
                time.sleep(0.5)
        load_end = time.monotonic()
        cpu_server = (_group_jiffies(server.proc.pid) - server_jiffies0) / CLOCK_TICKS
        cpu_other = watch.others()
        tcp_after = tcp_counters()
        time.sleep(2)
        sampler.sample()
        after = sampler.samples[-1][1]
        sampler.stop()
        time.sleep(0.5)

        logged = server.log_text(log_offset)
        whole_log = server.log_text()
        findings = log_findings(whole_log)
        requests_csv = tmp / "requests.csv"
        requests = read_requests(requests_csv)
        table, errors = summarize(requests)
        samples = []
        if errors_log.exists():
            samples = [json.loads(line) for line in errors_log.read_text().splitlines()[:10]]

        rss = {
            "before": before,
            "start": sampler.at(load_start),
            "middle": sampler.at(load_start + duration / 2),
            "end": sampler.at(load_start + duration),
            "peak": sampler.peak(load_start, load_end),
            "after": after,
            "processes": [("master", server.proc.pid)]
            + [(f"worker {n + 1}", pid) for n, pid in enumerate(sampler.workers_seen)],
        }
        problems = []
        failed = sum(row["failures"] for row in table if row["name"] != "**all**")
        tasks = sum(count for (method, _, _), count in errors.items() if method == "TASK")
        if not table:
            problems.append("no request was logged (see Locust's output in the artifacts)")
        if failed:
            problems.append(f"{failed:,} failed requests (table below)")
        if tasks:
            problems.append(f"{tasks} exceptions raised in Locust tasks (table below)")
        if findings["tracebacks"]:
            problems.append(f"gunicorn logged {findings['tracebacks']} tracebacks")
        if findings["locked"]:
            problems.append(f"`database is locked` appears {findings['locked']} times in the log")
        for line, count in findings["exceptions"].items():
            problems.append(f"gunicorn logged {count} × `{line}`")
        for event, count in findings["worker_events"].items():
            if event != "Shutting down":
                problems.append(f"gunicorn: {count} × `{event}`")
        if findings["booted"] > args.workers or len(sampler.workers_seen) > args.workers:
            problems.append(
                f"workers restarted: {findings['booted']} boots, "
                f"{len(sampler.workers_seen)} worker pids seen"
            )
        locust_text = (tmp / "locust.out").read_text(errors="replace")
        if locust_log.exists():
            locust_text += locust_log.read_text(errors="replace")
        if "CPU usage above" in locust_text:
            problems.append(
                "Locust warned that its own CPU usage was above 90 %: figures include "
                "load-generator delay"
            )
        if proc.returncode not in (0, 1):  # 1 = "some requests failed", counted above
            problems.append(f"Locust exited with {proc.returncode}")

        timed = [r for r in requests if r["method"] != "TASK"]
        first = min((r["start"] for r in timed), default=0.0)
        slowest = [
            (r["start"] - first, r["name"], r["ms"], r["status"])
            for r in sorted(timed, key=lambda r: -r["ms"])[:10]
        ]
        during = [
            q
            for (moment, _), q in zip(sampler.samples, sampler.queue, strict=True)
            if load_start <= moment <= load_end
        ] or [0]
        context = {
            "started": started,
            "duration": duration,
            "slowest": slowest,
            "queue_max": max(during),
            "queue_mean": sum(during) / len(during),
            "tcp": {k: tcp_after.get(k, 0) - tcp_before.get(k, 0) for k in TCP_COUNTERS},
            "locust_version": locust_version,
            "loadavg_before": loadavg_before,
            "cpu_server": cpu_server / max(load_end - load_start, 1e-9),
            "cpu_locust": locust_jiffies / CLOCK_TICKS / max(load_end - load_start, 1e-9),
            "cpu_other": cpu_other,
            "table": table,
            "errors": errors,
            "rss": rss,
            "problems": problems,
            "server_error_samples": samples,
            "tracebacks": first_tracebacks(whole_log),
        }
        text = report(args, context)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        keep = args.output.parent / "load-artifacts"
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir()
        for path in [*tmp.glob("locust*"), server.log_path, errors_log, requests_csv]:
            if path.exists():
                shutil.copyfile(path, keep / path.name)
        with open(keep / "samples.csv", "w", encoding="utf-8") as handle:
            pids = [pid for _, pid in rss["processes"]]
            handle.write(
                "seconds,accept_queue,"
                + ",".join(f"{label} RSS KiB" for label, _ in rss["processes"])
                + "\n"
            )
            for (moment, row), queue in zip(sampler.samples, sampler.queue, strict=True):
                handle.write(
                    f"{moment - load_start:.1f},{queue},"
                    + ",".join(str(row.get(pid, "")) for pid in pids)
                    + "\n"
                )
        print()
        print(text)
        print(f"written to {args.output}; Locust CSVs, logs and samples.csv in {keep}")
        if logged and problems:
            print("\nlast lines of the gunicorn log:\n" + server.log_tail(40), file=sys.stderr)
        return 1 if problems else 0
    except Exception:
        if server:
            print(f"\n--- last lines of gunicorn log ---\n{server.log_tail(40)}", file=sys.stderr)
        raise
    finally:
        if server:
            server.stop()
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
