"""HTTP throughput of the app under gunicorn, against a hello-world Flask baseline.

Run: `.venv/bin/python bench/http_bench.py` (or `make bench`); `--help` lists the options.
Needs `wrk` on PATH. See bench/README.md.

What it does, in a throw-away instance directory (the developer's instance/ is never touched):
  1. `flask --app wsgi db-migrate` and `flask --app wsgi create-user` make one worker account;
  2. gunicorn (`--workers 2`, sync) serves wsgi:app on a free 127.0.0.1 port;
  3. signs in like a browser (GET /login, CSRF token from the form, POST /login) and keeps the
     `medkab_session` cookie;
  4. wrk against GET /login (anonymous) and GET / (the signed-in dashboard);
  5. the same wrk against bench/hello_app.py under the same gunicorn settings;
  6. "first load of /login": the HTML plus every same-origin stylesheet and script it names,
     asked for with `Accept-Encoding: br, gzip` like a browser, counting the bytes the server
     sends; then a repeat visit (what a browser fetches again, given each answer's caching);
and writes the Markdown report to bench/results/http.md (git-ignored).
"""

import argparse
import contextlib
import gzip
import html.parser
import http.client
import http.cookiejar
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent  # the venv's bin/ when run as .venv/bin/python
sys.path.insert(0, str(ROOT))

from webapp.validators import normalize_snils, snils_checksum  # noqa: E402

PHONE = "+79161234567"
PASSWORD = "тихий вечер у реки и чай"  # noqa: S105 - throw-away bench account
SNILS_FIRST9 = "987654321"
SESSION_COOKIE = "medkab_session"
NOISE_CPU = 0.2  # other processes' CPUs above which a run is flagged as noisy
ACCEPT_ENCODING = "br, gzip"  # what a browser asks for (Chromium adds deflate and zstd)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# ---------------------------------------------------------------- processes


def tool(name: str) -> str:
    """A console script from this venv, else from PATH."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found (looked in {BIN} and on PATH)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_instance(env: dict) -> None:
    """Migrate the throw-away instance and create the bench worker through the CLI."""
    print(flask_cli(env, "db-migrate"))
    snils = normalize_snils(f"{SNILS_FIRST9}{snils_checksum(SNILS_FIRST9):02d}")
    print(
        flask_cli(
            env,
            "create-user",
            "--role",
            "worker",
            "--surname",
            "Тестова",
            "--name",
            "Ольга",
            "--patronymic",
            "Ивановна",
            "--birth-date",
            str(date(1988, 3, 14)),
            "--snils",
            snils,
            "--phone",
            PHONE,
            "--email",
            "bench@example.ru",
            "--password",
            PASSWORD,
        )
    )


class Server:
    """A gunicorn process group; stopped (TERM, then KILL) on exit."""

    def __init__(self, label, app_spec, cwd, env, workers, log_dir, config=None, worker_class=None):
        """`config`: gunicorn's --config file (`/dev/null` for none); by default gunicorn
        reads ./gunicorn.conf.py from `cwd` when there is one. `worker_class` overrides it."""
        self.label = label
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gunicorn-{label}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                tool("gunicorn"),
                *(["--config", str(config)] if config else []),
                "--workers",
                str(workers),
                *(["--worker-class", worker_class] if worker_class else []),
                "--bind",
                f"127.0.0.1:{self.port}",
                app_spec,
            ],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"gunicorn ({self.label}) exited with {self.proc.returncode}:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(self.base + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn ({self.label}) did not answer {path} in {timeout}s:\n" + self.log_tail()
        )

    def log_text(self, start: int = 0) -> str:
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, "rb") as handle:
            handle.seek(start)
            return handle.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_tail(self, lines: int = 30) -> str:
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # a worker that outlived its master
        self._log.close()


def flask_cli(env, *args) -> str:
    result = subprocess.run(
        [tool("flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"flask {' '.join(args[:1])} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout.strip()


# ---------------------------------------------------------------- browser-like sign-in


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(base: str) -> str:
    """GET /login, POST the form with its CSRF token; return the medkab_session value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=10) as response:
        page = response.read().decode()
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("GET /login: no csrf_token hidden input in the form")
    token = match.group(1) or match.group(2)
    body = urllib.parse.urlencode({"login": PHONE, "password": PASSWORD, "csrf_token": token})
    request = urllib.request.Request(
        base + "/login",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": base + "/login"},
    )
    try:
        with opener.open(request, timeout=30) as response:
            final_url = response.geturl()
            response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"POST /login answered {exc.code}") from exc
    cookies = {cookie.name: cookie.value for cookie in jar}
    if SESSION_COOKIE not in cookies:
        raise RuntimeError(f"no {SESSION_COOKIE} cookie after sign-in (got {sorted(cookies)})")
    if urllib.parse.urlsplit(final_url).path != "/":
        raise RuntimeError(f"sign-in ended on {final_url}, not on /")
    return cookies[SESSION_COOKIE]


def floor_sign_in(base: str) -> str:
    """GET /sign-in of bench/stack_app.py; its `session` cookie, once GET / greets with it."""
    with urllib.request.urlopen(base + "/sign-in", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].partition(";")[0].partition("=")[2]
    request = urllib.request.Request(base + "/", headers={"Cookie": f"session={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        if "Здравствуйте" not in response.read().decode():
            raise RuntimeError("stack floor: GET / with the cookie does not greet the user")
    return cookie


def check_dashboard(base: str, cookie: str) -> None:
    """GET / with only the cookie: must be 200 and greet the user."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(base + "/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    try:
        with opener.open(request, timeout=10) as response:
            status, page = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(
            f"GET / with the session cookie answered {exc.code} ({exc.headers.get('Location', '')})"
        ) from exc
    if status != 200 or "Здравствуйте" not in page:
        raise RuntimeError(f"GET / with the session cookie: status {status}, no greeting")


# ---------------------------------------------------------------- wrk

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if not (rps and p50 and p99):
        raise RuntimeError("could not parse wrk output:\n" + output)
    return {
        "rps": float(rps.group(1)),
        "p50": _ms(p50.group(1)),
        "p99": _ms(p99.group(1)),
        "requests": int(total.group(1)) if total else None,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": dict(
            zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True)
        )
        if sock
        else {},
        "raw": output,
    }


# ---------------------------------------------------------------- CPU accounting
# The machine may be shared (tests, browsers): measure how much CPU *other* processes took
# during each run, so a noisy figure can be told from a slow app.


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + steal  # irq/softirq time (loopback traffic) is no process's
    return busy, busy + idle + iowait + irq + softirq


def _group_jiffies(pgid: int) -> int:
    """utime + stime of every live process in a process group."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[0] is state; pgrp is the 5th stat field
            total += int(fields[11]) + int(fields[12])
    return total


def _children_jiffies() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime + own.ru_utime + own.ru_stime) * CLOCK_TICKS


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """CPUs' worth of time used by other processes (not the server, wrk or us) meanwhile."""

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.start = (_machine_jiffies(), _group_jiffies(pgid), _children_jiffies())

    def others(self) -> float:
        (busy0, total0), group0, kids0 = self.start
        busy1, total1 = _machine_jiffies()
        ours = (_group_jiffies(self.pgid) - group0) + (_children_jiffies() - kids0)
        elapsed = (total1 - total0) or 1
        return max(0.0, (busy1 - busy0 - ours) / elapsed * (os.cpu_count() or 1))


def wait_for_idle(limit: float) -> None:
    """Wait (up to `limit` s) until the machine has been idle for 2 s in a row."""
    deadline = time.monotonic() + limit
    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        busy0, total0 = _machine_jiffies()
        time.sleep(1)
        busy1, total1 = _machine_jiffies()
        used = (busy1 - busy0) / ((total1 - total0) or 1) * (os.cpu_count() or 1)
        quiet = quiet + 1 if used < NOISE_CPU else 0
    if quiet < 2 and limit:
        print(f"  (machine still busy after waiting {limit:.0f}s; measuring anyway)", flush=True)


def run_wrk(args, url: str, headers=(), duration=None) -> dict:
    command = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration or args.duration}",
        "--latency",
    ]
    for header in headers:
        command += ["-H", header]
    if args.accept_encoding:
        command += ["-H", f"Accept-Encoding: {args.accept_encoding}"]
    command.append(url)
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr}")
    return parse_wrk(result.stdout)


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)\b.*)$", re.M)


def server_errors(text: str) -> Counter:
    """Final lines of the tracebacks a server logged (e.g. 'sqlite3.OperationalError: ...')."""
    return Counter(line.strip() for line in EXCEPTION_LINE.findall(text))


def measure(args, server: "Server", label: str, url: str, headers=()) -> dict:
    wait_for_idle(args.wait_idle)
    if args.warmup:
        run_wrk(args, url, headers, duration=args.warmup)
    offset = server.log_size()
    watch = CpuWatch(server.proc.pid)
    result = run_wrk(args, url, headers)
    result["other_cpu"] = watch.others()
    time.sleep(0.2)  # let the workers' last log lines land
    result["label"] = label
    result["server_errors"] = server_errors(server.log_text(offset))
    print(
        f"  {label:<38} {result['rps']:>9.1f} req/s  p50 {result['p50']:7.2f} ms  "
        f"p99 {result['p99']:7.2f} ms  (other processes: {result['other_cpu']:.2f} CPU)",
        flush=True,
    )
    return result


# ---------------------------------------------------------------- first load


class _Assets(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.css, self.js, self.other = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            rel = set((a.get("rel") or "").lower().split())
            (self.css if "stylesheet" in rel else self.other).append(
                (a["href"], " ".join(sorted(rel)) or "link")
            )
        elif tag == "script" and a.get("src"):
            self.js.append((a["src"], "script"))
        elif tag == "img" and a.get("src"):
            self.other.append((a["src"], "img"))


def _get(base: str, path: str, headers: dict | None = None) -> dict:
    """One GET as it travels: status, headers, the body still encoded, and the bytes sent."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        head = f"HTTP/1.1 {response.status} {response.reason}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in response.getheaders()
        )
        return {
            "status": response.status,
            "headers": response.headers,
            "body": body,
            "head_bytes": len((head + "\r\n").encode("latin-1")),
        }
    finally:
        connection.close()


def _decoded(answer: dict) -> bytes:
    encoding = answer["headers"].get("Content-Encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(answer["body"])
    if encoding == "gzip":
        return gzip.decompress(answer["body"])
    return answer["body"]


def _cached_for_good(answer: dict) -> bool:
    """A repeat visit takes it from the browser's cache without asking the server."""
    cache = (answer["headers"].get("Cache-Control") or "").lower()
    fresh = re.search(r"max-age=(\d+)", cache)
    return "immutable" in cache or (bool(fresh) and int(fresh.group(1)) >= 3600)


def _row(path: str, answer: dict, kind: str = "") -> dict:
    return {
        "path": path,
        "kind": kind,
        "raw": len(_decoded(answer)),
        "sent": len(answer["body"]),
        "head": answer["head_bytes"],
        "encoding": answer["headers"].get("Content-Encoding") or "none",
        "cache": answer["headers"].get("Cache-Control") or "—",
        "answer": answer,
    }


def _again(base: str, row: dict, cookie: str) -> dict:
    """What a repeat visit costs for one file: nothing when cached for good, else a request
    (conditional when the first answer gave a validator)."""
    if _cached_for_good(row["answer"]):
        return {"path": row["path"], "how": "browser cache", "bytes": 0}
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    if cookie:
        headers["Cookie"] = cookie
    first = row["answer"]["headers"]
    if first.get("ETag"):
        headers["If-None-Match"] = first["ETag"]
    if first.get("Last-Modified"):
        headers["If-Modified-Since"] = first["Last-Modified"]
    answer = _get(base, row["path"], headers)
    return {
        "path": row["path"],
        "how": f"{answer['status']}",
        "bytes": len(answer["body"]) + answer["head_bytes"],
    }


def first_load(base: str) -> dict:
    """The /login HTML and its same-origin CSS/JS as the server sends them to a browser that
    accepts brotli and gzip; then what a repeat visit fetches again."""
    origin = urllib.parse.urlsplit(base).netloc
    asked = {"Accept-Encoding": ACCEPT_ENCODING}
    page = _get(base, "/login", asked)
    parser = _Assets()
    parser.feed(_decoded(page).decode())
    rows = [_row("/login", page, "HTML")]
    extras, skipped, seen = [], [], {"/login"}
    for group, target in ((parser.css + parser.js, rows), (parser.other, extras)):
        for href, kind in group:
            url = urllib.parse.urljoin(base + "/login", href)
            parts = urllib.parse.urlsplit(url)
            if parts.netloc != origin:
                skipped.append(f"{href} (other origin)")
                continue
            if parts.path in seen:
                continue
            seen.add(parts.path)
            target.append(_row(parts.path, _get(base, parts.path, asked), kind))
    cookie = "; ".join(
        part.split(";", 1)[0] for part in page["headers"].get_all("Set-Cookie") or []
    )
    return {
        "rows": rows,
        "extras": extras,
        "skipped": skipped,
        "repeat": [_again(base, row, cookie) for row in rows],
        "repeat_extras": [_again(base, row, cookie) for row in extras],
    }


# ---------------------------------------------------------------- report


def problems_of(result: dict) -> list[str]:
    found = []
    if result["non2xx"]:
        found.append(f"{result['non2xx']} non-2xx/3xx responses")
    errors = {k: v for k, v in result["socket_errors"].items() if v}
    if errors:
        found.append("socket errors " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    for line, count in result.get("server_errors", {}).items():
        found.append(f"server logged {count} × `{line}`")
    return found


def run_line(started: datetime) -> str:
    """«- run: <time>, commit <sha> (with uncommitted changes)» for a report's header."""
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "unknown (not a git checkout)"
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"- run: {started:%Y-%m-%d %H:%M}, commit {commit}" + (
        " (with uncommitted changes)" if dirty else ""
    )


def report(args, runs: list[dict], load: dict, started: datetime) -> str:
    lines = [
        "# HTTP benchmark",
        "",
        run_line(started),
        *([f"- note: {args.note}"] if args.note else []),
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- server: gunicorn -c gunicorn.conf.py --workers {args.workers} "
        f"({args.worker_class or 'gevent, as `make run`'}; "
        "hello-world and the stack floor the same), "
        "access log off, DEBUG off, rate limits off, "
        "second factor optional for workers",
        f"- load: wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency"
        + (f" -H 'Accept-Encoding: {args.accept_encoding}'" if args.accept_encoding else "")
        + (f" (after an unreported {args.warmup} warm-up run)" if args.warmup else ""),
        "",
        "| target | req/s | × hello | × floor | p50 | p99 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    hello = next((run["rps"] for run in runs if run["label"].startswith("hello")), 0)
    floor = next((run["rps"] for run in runs if run["label"].startswith("stack floor")), 0)
    for run in runs:
        target = run["label"] + (" (noisy)" if run["other_cpu"] >= NOISE_CPU else "")
        ratio = f"{run['rps'] / hello:.2f}" if hello else "—"
        to_floor = f"{run['rps'] / floor:.2f}" if floor else "—"
        lines.append(
            f"| {target} | {run['rps']:.0f} | {ratio} | {to_floor} | {run['p50']:.1f} ms "
            f"| {run['p99']:.1f} ms |"
        )
    lines.append("")
    noisy = [run for run in runs if run["other_cpu"] >= NOISE_CPU]
    lines.append(
        "CPU taken by other processes during each run: "
        + ", ".join(f"{run['label']} {run['other_cpu']:.2f}" for run in runs)
        + f" (of {os.cpu_count()})."
        + (
            " **Runs marked (noisy) shared the machine with other work; run them again when it"
            " is idle.**"
            if noisy
            else ""
        )
    )
    lines.append("")
    problems = [(run["label"], problems_of(run)) for run in runs]
    if any(found for _, found in problems):
        lines.append("**Errors seen by wrk or logged by gunicorn during the measured run:**")
        for label, found in problems:
            if found:
                lines.append(f"- {label}: {'; '.join(found)}")
    else:
        lines.append(
            "wrk saw no non-2xx/3xx responses and no socket errors; gunicorn logged no exceptions."
        )
    lines += [
        "",
        f"## First load of /login (Accept-Encoding: {ACCEPT_ENCODING})",
        "",
        "Bytes the server sent: the body as it travelled (still compressed) and the response",
        "headers; `raw` is the body once decoded.",
        "",
        "| file | raw bytes | encoding | body sent | headers | Cache-Control |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for row in load["rows"]:
        lines.append(
            f"| {row['path']} | {row['raw']:,} | {row['encoding']} | {row['sent']:,} "
            f"| {row['head']:,} | {row['cache']} |"
        )
    body = sum(r["sent"] for r in load["rows"])
    heads = sum(r["head"] for r in load["rows"])
    lines.append(
        f"| **total** | **{sum(r['raw'] for r in load['rows']):,}** | | **{body:,}** "
        f"| **{heads:,}** | |"
    )
    lines += [
        "",
        f"First load: **{body:,} bytes of bodies** ({body + heads:,} with headers).",
    ]
    again = sum(item["bytes"] for item in load["repeat"])
    cached = [item for item in load["repeat"] if item["how"] == "browser cache"]
    asked = [item for item in load["repeat"] if item["how"] != "browser cache"]
    lines.append(
        f"Repeat visit: **{again:,} bytes** with headers — "
        + ", ".join(f"{item['path']} {item['how']} {item['bytes']:,}" for item in asked)
        + f"; {len(cached)} of {len(load['repeat'])} files from the browser's cache, unasked."
    )
    if load["extras"]:
        lines += ["", "Not counted above (manifest, icons): first load, then a repeat visit:", ""]
        for row, item in zip(load["extras"], load["repeat_extras"], strict=True):
            lines.append(
                f"- {row['path']} ({row['kind']}): {row['raw']:,} bytes raw, {row['sent']:,} "
                f"sent ({row['encoding']}) + {row['head']:,} of headers; again: {item['how']}, "
                f"{item['bytes']:,} bytes"
            )
    for item in load["skipped"]:
        lines.append(f"- skipped: {item}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

GUNICORN_CONF = ROOT / "gunicorn.conf.py"
SIGNED_IN_PAGES = (
    ("/", "signed-in dashboard"),
    ("/documents", "«Мои документы»"),
    ("/profile/record", "the record page"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="10s", help="wrk -d (default 10s)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--warmup", default="2s", help="unreported wrk run before each measurement ('' for none)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "http.md")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=60,
        help="seconds to wait for other processes to go quiet before each run (default 60)",
    )
    parser.add_argument(
        "--accept-encoding",
        default=ACCEPT_ENCODING,
        help=f"wrk's Accept-Encoding (default '{ACCEPT_ENCODING}', as a browser; '' for none, "
        "as runs before issue 13)",
    )
    parser.add_argument(
        "--worker-class",
        default=None,
        help="gunicorn worker class for both servers (default: gunicorn.conf.py's, gevent)",
    )
    parser.add_argument("--note", default="", help="free text added to the report's header")
    args = parser.parse_args()
    args.wrk = shutil.which("wrk") or sys.exit("wrk is not installed (apt-get install wrk)")

    started = datetime.now()
    tmp = Path(tempfile.mkdtemp(prefix="medkab-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")}
    env.update(
        MEDKAB_INSTANCE_PATH=str(tmp / "instance"),
        MEDKAB_DEBUG="0",
        MEDKAB_RATELIMIT_ENABLED="0",
        # A worker without a second factor is otherwise sent to /security/enrol after sign-in
        # (webapp/factors/gate.py); the dashboard is what we want to measure.
        MEDKAB_SECOND_FACTOR_OPTIONAL_FOR_WORKERS="1",
        PYTHONDONTWRITEBYTECODE="1",
        # gunicorn 27 binds a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl (else
        # ~/.gunicorn/): keep ours away from a developer's running `make run`.
        XDG_RUNTIME_DIR=str(tmp),
        # No access log for either server: writing a line per request is not what is measured.
        MEDKAB_ACCESS_LOG="0",
    )
    servers: list[Server] = []
    try:
        print(f"instance: {tmp / 'instance'}", flush=True)
        make_instance(env)

        app = Server(
            "medkab", "wsgi:app", ROOT, env, args.workers, tmp, worker_class=args.worker_class
        )
        servers.append(app)
        app.wait_ready("/login")
        cookie = sign_in(app.base)
        check_dashboard(app.base, cookie)
        print(f"medkab on {app.base}: signed in, GET / greets the user", flush=True)

        load = first_load(app.base)
        signed_in = (f"Cookie: {SESSION_COOKIE}={cookie}",)
        runs = [measure(args, app, "GET /login (anonymous)", app.base + "/login")] + [
            measure(args, app, f"GET {path} ({title})", app.base + path, headers=signed_in)
            for path, title in SIGNED_IN_PAGES
        ]
        check_dashboard(app.base, cookie)  # the session survived the run
        app.stop()

        def baseline(label: str, app_spec: str, server_env: dict) -> Server:
            """A bench/ app under the app's gunicorn settings (gevent workers, as `make run`)."""
            server = Server(
                label,
                app_spec,
                BENCH,
                server_env,
                args.workers,
                tmp,
                config=GUNICORN_CONF,
                worker_class=args.worker_class,
            )
            servers.append(server)
            return server

        hello = baseline("hello", "hello_app:app", env)
        hello.wait_ready("/")
        runs.append(measure(args, hello, "hello-world Flask (baseline)", hello.base + "/"))
        hello.stop()

        # The stack's floor (bench/stack_app.py): a signed-in page with none of our code.
        floor = baseline(
            "floor", "stack_app:app", env | {"STACK_FLOOR_DB": str(tmp / "stack-floor.db")}
        )
        floor.wait_ready("/sign-in")
        floor_cookie = floor_sign_in(floor.base)
        runs.append(
            measure(
                args,
                floor,
                "stack floor (bench/stack_app.py)",
                floor.base + "/",
                headers=(f"Cookie: session={floor_cookie}",),
            )
        )
        floor.stop()

        text = report(args, runs, load, started)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print()
        print(text)
        print(f"written to {args.output}")
        bad = [run for run in runs if problems_of(run)]
        for run in bad:
            print(f"\nwrk output for {run['label']}:\n{run['raw']}", file=sys.stderr)
        for server in servers:
            logged = server.log_text()
            if "Traceback" in logged:
                kept = args.output.parent / server.log_path.name
                shutil.copyfile(server.log_path, kept)
                summary = "\n".join(f"  {n} × {line}" for line, n in server_errors(logged).items())
                print(
                    f"\ngunicorn ({server.label}) logged tracebacks (full log: {kept}):\n{summary}",
                    file=sys.stderr,
                )
                bad.append(server)
        return 1 if bad else 0
    except Exception:
        for server in servers:
            print(
                f"\n--- last lines of gunicorn ({server.label}) log ---\n{server.log_tail(40)}",
                file=sys.stderr,
            )
        raise
    finally:
        for server in servers:
            server.stop()
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
