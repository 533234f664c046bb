"""Idle and slow clients against each serving setup: does a normal visitor still get answers?

Run: `.venv/bin/python bench/slow_clients.py` (all setups, ~6 min each), or pick setups with
`--server gunicorn-sync --server waitress`, or give a setup of your own as
`--server 'NAME=command line with {port} and {app}'`; `--help` lists the options. gunicorn
setups pass `--config /dev/null` so that ./gunicorn.conf.py does not change them, except
`gunicorn-conf`, which measures that file as `make run` uses it.
Needs `wrk` on PATH (`apt-get install wrk`) unless `--skip-wrk`; psutil, waitress, gevent and
granian in the venv for the setups that use them (a setup whose server is missing is skipped).

For each setup, in a throw-away instance directory (as bench/http_bench.py does: `flask --app
wsgi db-migrate`, `create-user`, sign in like a browser for the `medkab_session` cookie):
  phase 1 — 200 TCP connections opened and left idle, 50 that trickle request headers at
            1 byte/s and never finish them, 10 that POST a 10 MiB body to /documents/upload at
            50 KiB/s; meanwhile a normal client times GET /login and the signed-in GET / for
            30 s (one sequential loop plus 4 concurrent ones, a new connection per request).
            The slow connections are held for up to `--hold` seconds, and the time at which the
            server closes each one is recorded.
  phase 2 — past the limits: 2,000 idle connections, 200 header tricklers and 20 form POSTs
            whose body comes at 1 byte/s, each reopened as soon as the server closes it, and the
            same normal client for 30 s: refused or timed-out connects, latency, memory.
  wrk     — on a fresh server, `wrk -t2 -c32 -d10s` of GET /login and GET / (signed in), then
            of bench/hello_app.py under the same command line.
The server's RSS (all its processes) and open file descriptors are sampled every second. The
server gets a soft RLIMIT_NOFILE of `--server-nofile` (default 1024, systemd's default for
services). The Markdown report goes to bench/results/slow_clients.md (git-ignored).
"""

import argparse
import asyncio
import contextlib
import http.client
import importlib.metadata
import math
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import http_bench  # bench/ is sys.path[0] when run as a script
from http_bench import (
    BENCH,
    RESULTS,
    ROOT,
    SESSION_COOKIE,
    CpuWatch,
    check_dashboard,
    free_port,
    make_instance,
    sign_in,
)

try:
    import psutil
except ImportError:  # pragma: no cover - /proc fallback below
    psutil = None


HOST = "127.0.0.1"
MiB = 1024 * 1024
UPLOAD_LIMIT = 40 * MiB  # MEDKAB_UPLOAD_MAX_REQUEST_BYTES default

# {bin} is the venv's bin/, {root} the repository, {port} a free port, {app} wsgi:app or
# hello_app:app. `--config /dev/null` keeps the repository's gunicorn.conf.py (read from the
# current directory by default) out of the setups that spell their settings out.
SETUPS = {
    "gunicorn-sync": "{bin}/gunicorn --config /dev/null --workers 2 --bind 127.0.0.1:{port} {app}",
    "gunicorn-gthread": (
        "{bin}/gunicorn --config /dev/null --workers 2 --worker-class gthread --threads 16"
        " --worker-connections 1000 --keep-alive 5 --timeout 30 --bind 127.0.0.1:{port} {app}"
    ),
    "gunicorn-gevent": (
        "{bin}/gunicorn --config /dev/null --workers 2 --worker-class gevent"
        " --worker-connections 1000 --keep-alive 5 --timeout 30 --bind 127.0.0.1:{port} {app}"
    ),
    # the repository's own gunicorn.conf.py, as `make run` uses it (only the port differs)
    "gunicorn-conf": (
        "{bin}/gunicorn --config {root}/gunicorn.conf.py --bind 127.0.0.1:{port} {app}"
    ),
    "waitress": (
        "{bin}/waitress-serve --listen=127.0.0.1:{port} --threads=16 --connection-limit=1000"
        " --channel-timeout=30 --cleanup-interval=5"
        f" --max-request-body-size={UPLOAD_LIMIT} --asyncore-use-poll {{app}}"
    ),
    "granian": (
        "{bin}/granian --interface wsgi --host 127.0.0.1 --port {port} --workers 2"
        " --blocking-threads 16 --http1-header-read-timeout 10000 --no-ws {app}"
    ),
}
PACKAGES = ("gunicorn", "gevent", "waitress", "granian", "psutil")


# ---------------------------------------------------------------- the server


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    if psutil:
        try:
            root = psutil.Process(pid)
            return [pid] + [child.pid for child in root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if os.path.exists(f"/proc/{current}"):
            found.append(current)
            todo += parents.get(current, [])
    return found


def tree_usage(pid: int) -> tuple[int, int, int]:
    """(RSS bytes, processes, open file descriptors) of pid and its descendants."""
    rss = fds = count = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/statm") as handle:
                rss += int(handle.read().split()[1]) * resource.getpagesize()
            fds += len(os.listdir(f"/proc/{member}/fd"))
            count += 1
        except OSError:
            continue
    return rss, count, fds


class Server:
    """One serving setup as a process group; stopped (TERM, then KILL) by stop()."""

    def __init__(self, name, template, app_spec, cwd, env, log_dir, nofile):
        self.name = name
        self.template = template
        self.app_spec = app_spec
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.argv = shlex.split(
            template.format(bin=http_bench.BIN, root=ROOT, port=self.port, app=app_spec)
        )
        self.log_path = log_dir / f"{name}-{app_spec.split(':')[0]}-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()

        def limit_files():
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

        self.proc = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=limit_files,
        )

    def command(self) -> str:
        """The command line as run, with the port written as PORT and bin/ relative."""
        bin_dir = os.path.relpath(http_bench.BIN, ROOT)
        return self.template.format(bin=bin_dir, root=".", port="PORT", app=self.app_spec)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, path: str, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
                )
            status, _, _ = get(self.port, path, timeout=2)
            if status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} in {timeout}s:\n{self.tail()}")

    def log_size(self) -> int:
        self._log.flush()
        return self.log_path.stat().st_size

    def log_text(self, start: int = 0) -> str:
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as handle:
            handle.seek(start)
            return handle.read().decode(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, sig)
                try:
                    self.proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers that outlived their master
        self._log.close()


LOG_NOISE = re.compile(r"^\[[^\]]*\]\s*(\[\d+\]\s*)?|\b0x[0-9a-f]+\b|\d+")


def log_summary(text: str, top: int = 8) -> list[tuple[str, int]]:
    """The most frequent log lines, with time stamps and numbers blanked."""
    lines = Counter()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("File ", "^", "~")):
            lines[LOG_NOISE.sub("N", line)[:160]] += 1
    return lines.most_common(top)


# ---------------------------------------------------------------- the normal client


def get(port: int, path: str, cookie: str | None = None, timeout: float = 60.0):
    """(status or None, seconds, error name or None) of one GET on a new connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started, None
    except (OSError, http.client.HTTPException) as exc:
        return None, time.perf_counter() - started, type(exc).__name__
    finally:
        conn.close()


@dataclass
class Sample:
    path: str
    kind: str
    seconds: float
    status: int | None
    error: str | None


def normal_client(port: int, cookie: str, duration: float, concurrent: int) -> list[Sample]:
    """A sequential loop (0.1 s pause) and `concurrent` loops (0.25 s pause) for `duration`."""
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def loop(kind: str, pause: float, offset: int):
        n = offset
        while time.monotonic() < deadline:
            path, with_cookie = ("/login", None) if n % 2 == 0 else ("/", cookie)
            status, seconds, error = get(port, path, with_cookie)
            with lock:
                samples.append(Sample(path, kind, seconds, status, error))
            n += 1
            time.sleep(pause)

    threads = [threading.Thread(target=loop, args=("sequential", 0.1, 0))]
    threads += [
        threading.Thread(target=loop, args=("concurrent", 0.25, i)) for i in range(concurrent)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def latency_stats(samples: list[Sample]) -> dict:
    times = [s.seconds * 1000 for s in samples]
    return {
        "count": len(samples),
        "p50": percentile(times, 50),
        "p90": percentile(times, 90),
        "p99": percentile(times, 99),
        "max": max(times, default=float("nan")),
        "5xx": sum(1 for s in samples if s.status and s.status >= 500),
        "other": Counter(
            str(s.status) for s in samples if s.status and s.status != 200 and s.status < 500
        ),
        "errors": Counter(s.error for s in samples if s.error),
    }


# ---------------------------------------------------------------- the slow clients


@dataclass
class SlowConn:
    kind: str
    port: int
    connect_error: str | None = None
    opened: float | None = None
    closed: float | None = None
    how: str = ""
    answer: bytes = b""
    sent: int = 0

    @property
    def lifetime(self) -> float | None:
        if self.opened is None or self.closed is None:
            return None
        return self.closed - self.opened


async def _connect(record: SlowConn, timeout: float, gate: asyncio.Semaphore):
    async with gate:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(HOST, record.port), timeout
            )
        except TimeoutError:
            record.connect_error = "connect timeout"
            return None
        except OSError as exc:
            record.connect_error = type(exc).__name__ + (f" {exc.errno}" if exc.errno else "")
            return None
    record.opened = time.monotonic()
    return reader, writer


async def _watch(record: SlowConn, reader: asyncio.StreamReader) -> None:
    """Read until the server closes the connection; keep the start of any answer."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                record.how = "closed (FIN)"
                break
            if len(record.answer) < 200:
                record.answer += data[: 200 - len(record.answer)]
    except OSError as exc:
        record.how = f"closed ({type(exc).__name__})"
    record.closed = time.monotonic()


def trickled_headers(port: int):
    yield from f"GET /login HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: slow\r\n".encode()
    n = 0
    while True:  # never the blank line that ends the headers
        yield from f"X-Slow-{n}: {n}\r\n".encode()
        n += 1


def body_trickle_headers(port: int) -> bytes:
    """A form POST to /login whose body will come at 1 byte/s (and never all of it)."""
    return (
        f"POST /login HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    ).encode()


def upload_request(port: int, cookie: str, size: int) -> tuple[bytes, bytes, bytes]:
    """(headers, part head, part tail) of a multipart POST whose body is exactly `size` bytes."""
    boundary = "slowclientsboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="pages"; '
        f'filename="page.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = (
        f"POST /documents/upload HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Cookie: {SESSION_COOKIE}={cookie}\r\nAccept: application/json\r\n"
        f"Idempotency-Key: {uuid.uuid4()}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()
    return headers, head, tail


async def slow_connection(record, kind_args, timeout, gate, stop: asyncio.Event):
    """One slow connection of record.kind until the server closes it or `stop` is set."""
    opened = await _connect(record, timeout, gate)
    if opened is None:
        return
    reader, writer = opened
    watcher = asyncio.create_task(_watch(record, reader))
    try:
        began = time.monotonic()  # pace on a schedule, so the rate is exact
        if record.kind == "trickle":
            for byte in trickled_headers(record.port):
                if watcher.done() or stop.is_set():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                record.sent += 1
                due = began + record.sent / kind_args["byte_rate"]
                await _sleep_or_stop(stop, due - time.monotonic())
        elif record.kind == "body-trickle":
            writer.write(body_trickle_headers(record.port))
            await writer.drain()
            while not watcher.done() and not stop.is_set():
                writer.write(b"a")
                await writer.drain()
                record.sent += 1
                due = began + record.sent / kind_args["byte_rate"]
                await _sleep_or_stop(stop, due - time.monotonic())
        elif record.kind == "upload":
            headers, head, tail = upload_request(
                record.port, kind_args["cookie"], kind_args["size"]
            )
            writer.write(headers + head)
            await writer.drain()
            record.sent = len(head)
            began = time.monotonic()
            filler = kind_args["size"] - len(head) - len(tail)
            chunk = max(1, kind_args["rate"] // 10)
            while filler > 0 and not watcher.done() and not stop.is_set():
                piece = min(chunk, filler)
                writer.write(b"\0" * piece)
                await writer.drain()
                filler -= piece
                record.sent += piece
                due = began + (record.sent - len(head)) / kind_args["rate"]
                await _sleep_or_stop(stop, due - time.monotonic())
            if filler == 0 and not watcher.done():
                writer.write(tail)
                await writer.drain()
                record.sent += len(tail)
        stop_wait = asyncio.create_task(stop.wait())
        await asyncio.wait({watcher, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
    except OSError as exc:
        if record.closed is None:
            record.closed = time.monotonic()
            record.how = f"write failed ({type(exc).__name__})"
    finally:
        watcher.cancel()
        writer.transport.abort()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def reopening(kind, port, kind_args, timeout, gate, stop, records: list):
    """Like slow_connection, but opens a new one whenever the server closes the last one."""
    while not stop.is_set():
        record = SlowConn(kind, port)
        records.append(record)
        await slow_connection(record, kind_args, timeout, gate, stop)
        if record.opened is None:
            await _sleep_or_stop(stop, 1.0)  # a refused or timed-out connect: retry in 1 s
        else:
            await _sleep_or_stop(stop, 0.2)


def fates(records: list[SlowConn], kind: str) -> dict:
    mine = [r for r in records if r.kind == kind]
    closed = [r for r in mine if r.closed is not None]
    lifetimes = sorted(r.lifetime for r in closed)
    answers = Counter(
        r.answer.split(b"\r\n", 1)[0].decode(errors="replace") for r in mine if r.answer
    )
    return {
        "total": len(mine),
        "connect_errors": Counter(r.connect_error for r in mine if r.connect_error),
        "closed": len(closed),
        "open": sum(1 for r in mine if r.opened is not None and r.closed is None),
        "min": lifetimes[0] if lifetimes else None,
        "median": statistics.median(lifetimes) if lifetimes else None,
        "max": lifetimes[-1] if lifetimes else None,
        "how": Counter(r.how for r in closed),
        "answers": answers,
        "sent_median": statistics.median([r.sent for r in mine]) if mine else 0,
    }


# ---------------------------------------------------------------- phases


class Sampler:
    """The server's (RSS, processes, fds) once a second, in a thread."""

    def __init__(self, pid: int):
        self.pid = pid
        self.samples: list[tuple[float, int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        start = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - start, *tree_usage(self.pid)))
            self._stop.wait(1.0)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        rss = [s[1] for s in self.samples]
        fds = [s[3] for s in self.samples]
        return {
            "rss_start": rss[0] if rss else 0,
            "rss_max": max(rss, default=0),
            "rss_end": rss[-1] if rss else 0,
            "fds_max": max(fds, default=0),
            "procs": max((s[2] for s in self.samples), default=0),
            "series": self.samples,
        }


async def phase(args, server: Server, cookie: str, plan: dict, reopen: bool, hold: float) -> dict:
    """Slow connections per `plan` ({kind: count}) and the normal client meanwhile."""
    stop = asyncio.Event()
    gate = asyncio.Semaphore(100)  # connects in flight at once
    records: list[SlowConn] = []
    kind_args = {
        "cookie": cookie,
        "size": args.upload_bytes,
        "rate": args.upload_rate,
        "byte_rate": 1.0,
    }
    sampler = Sampler(server.proc.pid)
    log_start = server.log_size()
    started = time.monotonic()
    tasks = []
    for kind, count in plan.items():
        for _ in range(count):
            if reopen:
                coro = reopening(kind, server.port, kind_args, 5.0, gate, stop, records)
            else:
                record = SlowConn(kind, server.port)
                records.append(record)
                coro = slow_connection(record, kind_args, 5.0, gate, stop)
            tasks.append(asyncio.create_task(coro))
    await asyncio.sleep(args.settle)
    opened_at_start = sum(1 for r in records if r.opened is not None and r.closed is None)
    print(f"    {opened_at_start} slow connections open; normal client for {args.measure}s")
    samples = await asyncio.to_thread(
        normal_client, server.port, cookie, args.measure, args.concurrent
    )
    while time.monotonic() - started < hold:
        if not reopen and all(r.closed is not None or r.opened is None for r in records):
            break
        await asyncio.sleep(0.5)
    ended = time.monotonic()
    still_open = sum(1 for r in records if r.opened is not None and r.closed is None)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    memory = sampler.stop()
    after = get(server.port, "/login", timeout=30)
    return {
        "plan": plan,
        "reopen": reopen,
        "seconds": ended - started,
        "still_open": still_open,
        "samples": samples,
        "records": records,
        "memory": memory,
        "alive": server.alive(),
        "after": after,
        "log": log_summary(server.log_text(log_start)),
    }


def run_wrk(args, server: Server, label: str, path: str, cookie: str | None = None) -> dict:
    headers = (f"Cookie: {SESSION_COOKIE}={cookie}",) if cookie else ()
    http_bench.wait_for_idle(args.wait_idle)
    if args.warmup:
        http_bench.run_wrk(args, server.base + path, headers, duration=args.warmup)
    watch = CpuWatch(server.proc.pid)
    result = http_bench.run_wrk(args, server.base + path, headers)
    result["other_cpu"] = watch.others()
    result["label"] = label
    print(
        f"    wrk {label:<10} {result['rps']:>8.0f} req/s  p50 {result['p50']:6.1f} ms  "
        f"p99 {result['p99']:6.1f} ms  (other processes {result['other_cpu']:.2f} CPU)",
        flush=True,
    )
    return result


def run_setup(args, name: str, template: str, env: dict, tmp: Path) -> dict:
    print(f"\n== {name}", flush=True)
    result = {"name": name, "template": template}

    def start(app_spec: str, cwd: Path, ready: str) -> Server:
        server = Server(name, template, app_spec, cwd, env, tmp, args.server_nofile)
        servers.append(server)
        server.wait_ready(ready)
        return server

    servers: list[Server] = []
    try:
        app = start("wsgi:app", ROOT, "/login")
        result["command"] = app.command()
        print(f"    {result['command']}", flush=True)
        cookie = sign_in(app.base)
        check_dashboard(app.base, cookie)
        if not args.skip_phase1:
            print("  phase 1: idle, trickling and uploading connections", flush=True)
            plan = {"idle": args.idle, "trickle": args.trickle, "upload": args.uploads}
            result["phase1"] = asyncio.run(phase(args, app, cookie, plan, False, args.hold))
            print_phase(result["phase1"])
        if not args.skip_phase2:
            if not app.alive():
                app = start("wsgi:app", ROOT, "/login")
            print("  phase 2: past the limits (connections reopened when closed)", flush=True)
            plan = {
                "idle": args.p2_idle,
                "trickle": args.p2_trickle,
                "body-trickle": args.p2_body,
            }
            result["phase2"] = asyncio.run(phase(args, app, cookie, plan, True, args.measure))
            print_phase(result["phase2"])
        app.stop()
        if not args.skip_wrk:
            app = start("wsgi:app", ROOT, "/login")
            result["wrk"] = [
                run_wrk(args, app, "/login", "/login"),
                run_wrk(args, app, "dashboard", "/", cookie),
            ]
            app.stop()
            hello = start("hello_app:app", BENCH, "/")
            result["wrk"].append(run_wrk(args, hello, "hello", "/"))
            hello.stop()
    except Exception as exc:  # reported; the next setup still runs
        result["failed"] = f"{type(exc).__name__}: {exc}"
        print(f"  FAILED: {result['failed']}", file=sys.stderr, flush=True)
    finally:
        for server in servers:
            server.stop()
        kept = args.output.parent / "slow_clients-logs"
        kept.mkdir(parents=True, exist_ok=True)
        for server in servers:
            shutil.copyfile(server.log_path, kept / server.log_path.name)
    return result


def print_phase(result: dict) -> None:
    stats = latency_stats(result["samples"])
    memory = result["memory"]
    print(
        f"    normal client: {stats['count']} requests, p50 {stats['p50']:.0f} ms, "
        f"p99 {stats['p99']:.0f} ms, max {stats['max']:.0f} ms, 5xx {stats['5xx']}, "
        f"errors {sum(stats['errors'].values())}; RSS max {memory['rss_max'] / MiB:.0f} MiB, "
        f"fds max {memory['fds_max']}",
        flush=True,
    )
    for kind in result["plan"]:
        fate = fates(result["records"], kind)
        print(f"    {kind}: {describe_fate(fate)}", flush=True)


# ---------------------------------------------------------------- report


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}"


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def describe_fate(fate: dict) -> str:
    parts = []
    if fate["closed"]:
        span = (
            secs(fate["min"])
            if fate["min"] == fate["max"] or fate["closed"] == 1
            else f"{secs(fate['min'])}–{secs(fate['max'])}, median {secs(fate['median'])}"
        )
        parts.append(f"{fate['closed']} closed by the server after {span}")
    if fate["open"]:
        parts.append(f"{fate['open']} still open at the end")
    errors = sum(fate["connect_errors"].values())
    if errors:
        parts.append(
            f"{errors} connects failed ("
            + ", ".join(f"{k} {v}" for k, v in fate["connect_errors"].items())
            + ")"
        )
    if fate["answers"]:
        parts.append(
            "answered " + ", ".join(f"`{k}` ×{v}" for k, v in fate["answers"].most_common(3))
        )
    return "; ".join(parts) or "none opened"


def versions() -> str:
    found = []
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{name} {importlib.metadata.version(name)}")
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
        found.append(out.split(" [")[0].strip() or "wrk")
    return ", ".join(found)


def meets_goal(result: dict) -> list[str]:
    """What keeps a setup from the issue's goal."""
    misses = []
    for key in ("phase1",):
        phase_result = result.get(key)
        if not phase_result:
            continue
        stats = latency_stats(phase_result["samples"])
        if stats["p99"] > 250:
            misses.append(f"p99 {stats['p99']:.0f} ms > 250 ms")
        if stats["5xx"] or stats["errors"]:
            misses.append("5xx or connection errors")
        if phase_result["still_open"]:
            misses.append(f"{phase_result['still_open']} slow connections never closed")
    return misses


def report(args, results: list[dict], started: datetime) -> str:
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    lines = [
        "# Slow and idle clients (issue 15)",
        "",
        f"- run: {started:%Y-%m-%d %H:%M}, commit {commit}",
        *([f"- note: {args.note}"] if args.note else []),
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {versions()}",
        f"- server: DEBUG off, rate limits off, no access log; soft RLIMIT_NOFILE "
        f"{args.server_nofile}",
        f"- phase 1: {args.idle} idle, {args.trickle} trickling headers at 1 byte/s, "
        f"{args.uploads} uploading {args.upload_bytes / MiB:.0f} MiB at "
        f"{args.upload_rate / 1024:.0f} KiB/s; held up to {args.hold:.0f} s; normal client "
        f"{args.measure:.0f} s (1 sequential loop with 0.1 s pauses + {args.concurrent} "
        "concurrent with 0.25 s, a new connection per request, alternating GET /login and the "
        "signed-in GET /)",
        f"- phase 2: {args.p2_idle} idle + {args.p2_trickle} trickling headers + "
        f"{args.p2_body} POST /login whose 100 kB body comes at 1 byte/s, each reopened 0.2 s "
        f"after the server closes it, for {args.measure:.0f} s with the same normal client",
        f"- wrk: -t{args.threads} -c{args.connections} -d{args.duration} on a fresh server"
        + (f" after a {args.warmup} warm-up" if args.warmup else ""),
        "",
        "## Command lines",
        "",
    ]
    for result in results:
        shown = result.get("command") or result["template"]
        lines.append(f"- **{result['name']}**: `{shown}`")
    lines += [
        "",
        "## Summary",
        "",
        "Latency: normal client (all its requests, ms). Slow fates: closed by the server / held "
        "(time to close). wrk: req/s.",
        "",
        "| setup | p50 | p90 | p99 | max | 5xx / conn. errors | RSS max | idle | trickle | "
        "upload | phase 2 p99 / errors / failed connects | wrk /login | wrk / | wrk hello | goal |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | --- | --- | ---: | ---: | "
        "---: | --- |",
    ]
    for result in results:
        if "failed" in result and "phase1" not in result:
            lines.append(f"| {result['name']} | failed: {result['failed']} |" + " |" * 13)
            continue
        cells = [result["name"]]
        p1 = result.get("phase1")
        if p1:
            stats = latency_stats(p1["samples"])
            cells += [ms(stats["p50"]), ms(stats["p90"]), ms(stats["p99"]), ms(stats["max"])]
            cells.append(f"{stats['5xx']} / {sum(stats['errors'].values())}")
            cells.append(f"{p1['memory']['rss_max'] / MiB:.0f} MiB")
            for kind in ("idle", "trickle", "upload"):
                fate = fates(p1["records"], kind)
                cell = f"{fate['closed']}/{fate['total']}"
                if fate["closed"]:
                    cell += f" ({secs(fate['median'])})"
                cells.append(cell)
        else:
            cells += ["—"] * 9
        p2 = result.get("phase2")
        if p2:
            stats = latency_stats(p2["samples"])
            failed = sum(
                sum(fates(p2["records"], kind)["connect_errors"].values()) for kind in p2["plan"]
            )
            cells.append(
                f"{ms(stats['p99'])} ms / {stats['5xx'] + sum(stats['errors'].values())} / {failed}"
            )
        else:
            cells.append("—")
        wrk = {run["label"]: run for run in result.get("wrk", [])}
        for label in ("/login", "dashboard", "hello"):
            run = wrk.get(label)
            noisy = " (noisy)" if run and run["other_cpu"] >= http_bench.NOISE_CPU else ""
            cells.append(f"{run['rps']:,.0f}{noisy}" if run else "—")
        misses = meets_goal(result)
        cells.append("yes" if p1 and not misses else "; ".join(misses) or "—")
        lines.append("| " + " | ".join(cells) + " |")
    for result in results:
        lines += ["", f"## {result['name']}", "", f"`{result.get('command', result['template'])}`"]
        if "failed" in result:
            lines += ["", f"**Failed:** {result['failed']}"]
        for key, title in (("phase1", "Phase 1"), ("phase2", "Phase 2: past the limits")):
            phase_result = result.get(key)
            if phase_result:
                lines += ["", f"### {title}", "", *phase_lines(phase_result)]
        if result.get("wrk"):
            lines += [
                "",
                "### wrk",
                "",
                "| target | req/s | p50 | p99 | non-2xx | socket errors | other CPU |",
                "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
            ]
            for run in result["wrk"]:
                errors = ", ".join(f"{k} {v}" for k, v in run["socket_errors"].items() if v)
                lines.append(
                    f"| {run['label']} | {run['rps']:,.0f} | {run['p50']:.1f} ms | "
                    f"{run['p99']:.1f} ms | {run['non2xx']} | {errors or '—'} | "
                    f"{run['other_cpu']:.2f} |"
                )
    return "\n".join(lines) + "\n"


def phase_lines(result: dict) -> list[str]:
    memory = result["memory"]
    after_status, after_seconds, after_error = result["after"]
    lines = [
        f"Lasted {result['seconds']:.0f} s. Server alive at the end: "
        f"{'yes' if result['alive'] else 'NO'}; a GET /login right after: "
        f"{after_status or after_error} in {after_seconds * 1000:.0f} ms.",
        "",
        "| normal client | requests | p50 ms | p90 ms | p99 ms | max ms | 5xx | other statuses "
        "| connection errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    groups = [("all", result["samples"])]
    for path in ("/login", "/"):
        groups.append((f"GET {path}", [s for s in result["samples"] if s.path == path]))
    for kind in ("sequential", "concurrent"):
        groups.append((kind, [s for s in result["samples"] if s.kind == kind]))
    for label, samples in groups:
        stats = latency_stats(samples)
        other = ", ".join(f"{k} ×{v}" for k, v in stats["other"].items()) or "—"
        errors = ", ".join(f"{k} ×{v}" for k, v in stats["errors"].items()) or "—"
        lines.append(
            f"| {label} | {stats['count']} | {ms(stats['p50'])} | {ms(stats['p90'])} | "
            f"{ms(stats['p99'])} | {ms(stats['max'])} | {stats['5xx']} | {other} | {errors} |"
        )
    lines += [
        "",
        f"Server memory: RSS {memory['rss_start'] / MiB:.0f} MiB at the start, "
        f"max {memory['rss_max'] / MiB:.0f} MiB, {memory['rss_end'] / MiB:.0f} MiB at the end "
        f"({memory['procs']} processes); open file descriptors max {memory['fds_max']}.",
        "",
        "| slow connections | opened | fate |",
        "| --- | ---: | --- |",
    ]
    for kind in result["plan"]:
        fate = fates(result["records"], kind)
        opened = fate["total"] - sum(fate["connect_errors"].values())
        how = ", ".join(f"{k} ×{v}" for k, v in fate["how"].items())
        extra = f" [{how}]" if how else ""
        if kind == "upload":
            extra += f"; median bytes sent {fate['sent_median'] / MiB:.1f} MiB"
        lines.append(f"| {kind} | {opened} | {describe_fate(fate)}{extra} |")
    if result["log"]:
        lines += ["", "Server log meanwhile (most frequent lines, numbers as N):", ""]
        lines += [f"- {count} × `{line}`" for line, count in result["log"]]
    return lines


# ---------------------------------------------------------------- main


def size(text: str) -> int:
    units = {"k": 1024, "m": MiB}
    match = re.fullmatch(r"(\d+)([kKmM]?)(i?B)?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text}")
    return int(match.group(1)) * units.get(match.group(2).lower(), 1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Setups: " + "; ".join(f"{name} = {template}" for name, template in SETUPS.items()),
    )
    parser.add_argument(
        "--server",
        action="append",
        metavar="NAME[=COMMAND]",
        help="a setup by name, or NAME=COMMAND with {bin} {port} {app} (repeatable; default: all)",
    )
    parser.add_argument("--idle", type=int, default=200, help="phase 1 idle connections")
    parser.add_argument("--trickle", type=int, default=50, help="phase 1 header tricklers")
    parser.add_argument("--uploads", type=int, default=10, help="phase 1 slow uploads")
    parser.add_argument("--upload-bytes", type=size, default=10 * MiB, help="default 10MiB")
    parser.add_argument("--upload-rate", type=size, default=50 * 1024, help="bytes/s, 50KiB")
    parser.add_argument(
        "--hold",
        type=float,
        default=225,
        help="seconds phase 1 keeps its slow connections at most (default 225: the uploads end)",
    )
    parser.add_argument("--measure", type=float, default=30, help="normal client seconds")
    parser.add_argument("--concurrent", type=int, default=4, help="concurrent normal loops")
    parser.add_argument("--settle", type=float, default=2, help="seconds before measuring")
    parser.add_argument("--p2-idle", type=int, default=2000, help="phase 2 idle connections")
    parser.add_argument("--p2-trickle", type=int, default=200, help="phase 2 header tricklers")
    parser.add_argument(
        "--p2-body", type=int, default=20, help="phase 2 form POSTs whose body comes at 1 byte/s"
    )
    parser.add_argument(
        "--server-nofile", type=int, default=1024, help="server's soft RLIMIT_NOFILE (1024)"
    )
    parser.add_argument("--skip-phase1", action="store_true")
    parser.add_argument("--skip-phase2", action="store_true")
    parser.add_argument("--skip-wrk", action="store_true")
    parser.add_argument("--duration", default="10s", help="wrk -d (default 10s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--warmup", default="2s", help="unreported wrk run first ('' for none)")
    parser.add_argument(
        "--wait-idle", type=float, default=30, help="seconds to wait for a quiet machine"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "slow_clients.md")
    parser.add_argument("--note", default="", help="free text for the report's header")
    args = parser.parse_args(argv)
    setups = {}
    for item in args.server or list(SETUPS):
        name, _, command = item.partition("=")
        if not command and name not in SETUPS:
            parser.error(f"unknown setup {name!r}; known: {', '.join(SETUPS)}")
        setups[name] = command or SETUPS[name]
    args.setups = setups
    if not args.skip_wrk:
        args.wrk = shutil.which("wrk") or parser.error("wrk is not installed (apt-get install wrk)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.p2_idle + args.p2_trickle + args.p2_body + args.idle + args.trickle + 300
    if soft < need:  # our own client sockets; the server gets --server-nofile
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    started = datetime.now()
    tmp = Path(tempfile.mkdtemp(prefix="medkab-slow-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")}
    env.update(
        MEDKAB_INSTANCE_PATH=str(tmp / "instance"),
        MEDKAB_DEBUG="0",
        MEDKAB_RATELIMIT_ENABLED="0",
        MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS="1",
        PYTHONDONTWRITEBYTECODE="1",
        XDG_RUNTIME_DIR=str(tmp),  # gunicorn's control socket, away from a running `make run`
        MEDKAB_ACCESS_LOG="0",  # gunicorn.conf.py's access log: off, as in the other setups
    )
    results = []
    try:
        print(f"instance: {tmp / 'instance'}", flush=True)
        make_instance(env)
        for name, template in args.setups.items():
            argv = shlex.split(template.format(bin=http_bench.BIN, root=ROOT, port=0, app="x"))
            program = argv[0]
            if not (Path(program).exists() or shutil.which(program)):
                results.append(
                    {"name": name, "template": template, "failed": f"{program} not installed"}
                )
                print(f"\n== {name}: {program} not installed, skipped", flush=True)
                continue
            results.append(run_setup(args, name, template, env, tmp))
        text = report(args, results, started)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print()
        print(text)
        print(f"written to {args.output}")
        return 1 if any("failed" in r for r in results) else 0
    finally:
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
