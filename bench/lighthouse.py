"""Lighthouse (mobile, simulated throttling) of /login signed out and of the signed-in dashboard.

Run: `.venv/bin/python bench/lighthouse.py` (or `make lighthouse`); `--help` lists the options.
Needs Node.js + npm (registry access on the first run) and Chromium (`CHROME_PATH`, by default
/usr/bin/chromium). See bench/README.md.

What it does (the developer's instance/ is never touched):
  1. installs Lighthouse with npm into bench/.node/ (git-ignored) unless the wanted major is
     already there;
  2. a throw-away instance set up as `make run` does it: `flask --app wsgi db-migrate`,
     `flask --app wsgi seed-demo` (the demo worker's random password is read from its output);
  3. gunicorn with the repository's gunicorn.conf.py (gevent workers) and `make run`'s
     environment (MEDKAB_DEBUG=1, WebAuthn origin http://localhost:<port>, reminders every 900 s);
  4. signs in as the demo worker (+79000000001) like a browser: GET /login, POST the form with
     its CSRF token; the gate then asks a worker without a second factor to enrol one, so it
     connects an authenticator app through /security/totp (the key shown on the page, the code
     from pyotp) and checks that GET / with only the cookies is the dashboard;
  5. `lighthouse <url> --only-categories=performance,accessibility,best-practices` for /login
     (no cookie) and / (`--extra-headers` with the Cookie header), default mobile profile;
  6. prints a table (scores, `total-byte-weight`, LCP) and every audit that lost points in a
     category below 100, with the elements or URLs the report names.
JSON reports go to bench/.data/lighthouse/ (git-ignored).
"""

import argparse
import html
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from unittest import mock

import http_bench  # bench/ is sys.path[0] when run as a script
import pyotp
from http_bench import ROOT, Server, flask_cli

BENCH = ROOT / "bench"
NODE_DIR = BENCH / ".node"
DATA = BENCH / ".data" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)
DEMO_PHONE = "+79000000001"  # the demo worker (webapp/cli.py DEMO)
HIDDEN = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>", re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
PAGES = (("login", "/login", False), ("dashboard", "/", True))


# ---------------------------------------------------------------- Lighthouse install


def lighthouse_bin(major: str, npm: str) -> Path:
    """bench/.node/node_modules/.bin/lighthouse at the wanted major, installing it if needed."""
    binary = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
    package = NODE_DIR / "node_modules" / "lighthouse" / "package.json"
    if binary.exists() and package.exists():
        version = json.loads(package.read_text())["version"]
        if version.split(".")[0] == major:
            return binary
        print(f"bench/.node has Lighthouse {version}; installing lighthouse@{major}", flush=True)
    else:
        print(f"installing lighthouse@{major} into {NODE_DIR.relative_to(ROOT)}/", flush=True)
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(NODE_DIR),
            "--no-audit",
            "--no-fund",
            "--save-exact",
            f"lighthouse@{major}",
        ],
        check=True,
    )
    return binary


# ---------------------------------------------------------------- the demo worker's session


def demo_password(seed_output: str) -> str:
    """The worker's line of `flask seed-demo`: '  Медработник   телефон +7900…  … пароль X'."""
    for line in seed_output.splitlines():
        if DEMO_PHONE in line and "пароль" in line:
            return line.rsplit("пароль", 1)[1].strip()
    raise RuntimeError(f"seed-demo printed no password for {DEMO_PHONE}:\n{seed_output}")


def hidden_fields(page: str, form_action: str) -> dict:
    """The hidden inputs of the form posting to `form_action` (the CSRF token among them)."""
    for form in re.finditer(r"<form\b([^>]*)>(.*?)</form>", page, re.S | re.I):
        attrs = dict(ATTR.findall(form.group(1)))
        if urllib.parse.urlsplit(html.unescape(attrs.get("action", ""))).path != form_action:
            continue
        fields = {}
        for tag in HIDDEN.findall(form.group(2)):
            a = dict(ATTR.findall(tag))
            if "name" in a:
                fields[a["name"]] = html.unescape(a.get("value", ""))
        return fields
    raise RuntimeError(f"no <form action={form_action}> on the page")


class Browser:
    """urllib with a cookie jar, following redirects; remembers where it ended."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return urllib.parse.urlsplit(response.geturl()).path, response.read().decode()

    def post(self, path: str, fields: dict) -> tuple[str, str]:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.base + path,
            },
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return urllib.parse.urlsplit(response.geturl()).path, response.read().decode()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            raise RuntimeError(f"POST {path} answered {exc.code}:\n{body[:2000]}") from exc

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def sign_in_demo_worker(base: str, password: str) -> str:
    """Sign in as the demo worker, enrolling an authenticator app when the gate asks for a
    second factor; return the Cookie header of the signed-in session."""
    browser = Browser(base)
    _, page = browser.get("/login")
    form = hidden_fields(page, "/login") | {"login": DEMO_PHONE, "password": password}
    where, page = browser.post("/login", form)
    if where == "/verify":
        raise RuntimeError("the demo worker already has a second factor; cannot pass it here")
    if where == "/security/enrol":
        where, page = browser.get("/security/totp")
        if where != "/security/totp":
            raise RuntimeError(f"GET /security/totp ended on {where}")
        key = re.search(r"data-totp-key[^>]*>([^<]+)<", page)
        if not key:
            raise RuntimeError("/security/totp shows no key (data-totp-key)")
        secret = key.group(1).replace(" ", "").strip()
        form = hidden_fields(page, "/security/totp")
        form["totp-code"] = pyotp.TOTP(secret).now()
        where, page = browser.post("/security/totp", form)
        print(f"  second factor: authenticator app enrolled (then on {where})", flush=True)
    cookie = browser.cookie_header()
    check = urllib.request.Request(base + "/", headers={"Cookie": cookie})
    opener = urllib.request.build_opener(http_bench._NoRedirect)
    try:
        with opener.open(check, timeout=30) as response:
            status, page = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(
            f"GET / with the cookies answered {exc.code} ({exc.headers.get('Location', '')})"
        ) from exc
    if status != 200 or "Здравствуйте" not in page:
        raise RuntimeError(f"GET / with the cookies: status {status}, not the dashboard")
    return cookie


# ---------------------------------------------------------------- Lighthouse runs


def run_lighthouse(binary: Path, chrome: str, url: str, output: Path, headers: Path | None):
    """One Lighthouse run; tried again (up to 3 times) when the report has a runtimeError such as
    NO_NAVSTART, which Lighthouse 12 with this Chromium now and then gives for a good page."""
    for attempt in range(1, 4):
        report = _lighthouse_once(binary, chrome, url, output, headers)
        error = (report.get("runtimeError") or {}).get("code")
        if not error:
            return report
        print(f"    {url}: {error} (attempt {attempt} of 3)", flush=True)
    return report


def _lighthouse_once(binary: Path, chrome: str, url: str, output: Path, headers: Path | None):
    output.unlink(missing_ok=True)
    command = [
        str(binary),
        url,
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--output=json",
        f"--output-path={output}",
    ]
    if headers:
        command.append(f"--extra-headers={headers}")
    env = dict(os.environ, CHROME_PATH=chrome)
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if not output.exists():
        raise RuntimeError(
            f"lighthouse wrote no report for {url} (exit {result.returncode}):\n"
            f"{result.stderr[-3000:]}"
        )
    return json.loads(output.read_text())


def summary(report: dict) -> dict:
    scores = {k: report["categories"][k]["score"] for k in CATEGORIES}
    audits = report["audits"]
    weight = audits.get("total-byte-weight", {}).get("numericValue")
    lcp = audits.get("largest-contentful-paint", {}).get("numericValue")
    return {
        **{k: None if v is None else round(v * 100) for k, v in scores.items()},
        "kb": None if weight is None else weight / 1024,
        "lcp": lcp,
        "error": (report.get("runtimeError") or {}).get("code"),
        "benchmark": (report.get("environment") or {}).get("benchmarkIndex"),
    }


def _cell(value, fmt="{:.0f}") -> str:
    return "—" if value is None else fmt.format(value)


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


ITEM_LABELS = ("url", "source", "frameUrl", "reason", "groupLabel", "description", "label")
ITEM_NUMBERS = ("totalBytes", "wastedBytes", "wastedMs", "duration")


def _item_text(item: dict) -> str:
    """An offending element or URL (or reason) from an audit's details item."""
    node = item.get("node") if isinstance(item.get("node"), dict) else None
    if node is None and item.get("type") == "node":
        node = item
    if node:
        label = node.get("selector") or node.get("path") or ""
        snippet = node.get("snippet") or ""
        return f"{label}  {snippet}".strip()
    for key in ITEM_LABELS:
        value = item.get(key)
        if isinstance(value, dict):
            value = value.get("url") or value.get("value") or value.get("text")
        if value:
            extra = [
                f"{k} {item[k]:,.0f}" for k in ITEM_NUMBERS if isinstance(item.get(k), (int, float))
            ]
            return str(value) + (f" ({', '.join(extra)})" if extra else "")
    return json.dumps(item, ensure_ascii=False)[:200]


def _items(details: dict):
    """The rows of an audit's details table, nested tables and sub-items flattened (other
    detail shapes, such as the request chains of a network tree, are left out)."""
    items = details.get("items")
    if not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, dict) or item.get("type") == "list-section":
            continue  # e.g. the network dependency tree's request chains
        if item.get("type") == "table" or isinstance(item.get("items"), list):
            yield from _items(item)  # e.g. the LCP element and its phases
            continue
        yield item
        yield from (item.get("subItems") or {}).get("items") or []


UNSCORED_MODES = {"informative", "notApplicable", "manual", "error"}


def lost_points(report: dict, threshold: int, diagnostics: bool = False) -> list[str]:
    """Audits that cost points in each category scoring below `threshold`; with `diagnostics`,
    also the failing audits of weight 0 (opportunities, diagnostics, experimental rules) in
    every category."""
    lines = []
    for key in CATEGORIES:
        category = report["categories"][key]
        score = None if category["score"] is None else round(category["score"] * 100)
        weighted = score is not None and score < threshold
        if not (weighted or diagnostics):
            continue
        found = []
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("score") is None or audit["score"] >= 1:
                continue
            if ref.get("weight", 0) == 0:
                # weight-0 audits: only clear failures, and only when asked for
                if not diagnostics or audit.get("scoreDisplayMode") in UNSCORED_MODES:
                    continue
                if audit["score"] >= 0.9:
                    continue
            elif not weighted:
                continue
            value = f" — {audit['displayValue']}" if audit.get("displayValue") else ""
            found.append(
                f"    {audit['id']} (score {audit['score']:.2f}, weight {ref.get('weight', 0)}): "
                f"{audit['title']}{value}"
            )
            limit = 12 if ref.get("weight", 0) else 6
            items = list(_items(audit.get("details") or {}))[:limit]
            found += [f"      - {_item_text(item)}" for item in items]
        if found:
            lines.append(f"  {category['title']} {_cell(score)}:")
            lines += found
    return lines


def _commit() -> str:
    def git(*command):
        run = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return run.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "not a git checkout"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default="12", help="npm major to install (default 12)")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; medians (default 3)")
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument("--output-dir", type=Path, default=DATA)
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=60,
        help="seconds to wait for other processes to go quiet before each page (default 60)",
    )
    parser.add_argument(
        "--details-below",
        type=int,
        default=100,
        help="list the audits that lost points in categories scoring below this (default 100)",
    )
    parser.add_argument(
        "--diagnostics",
        action="store_true",
        help="also list failing audits of weight 0 (opportunities, diagnostics) in every category",
    )
    args = parser.parse_args()
    npm = shutil.which("npm") or sys.exit("npm is not installed (Node.js is needed)")
    if not Path(args.chrome).exists():
        sys.exit(f"no Chromium at {args.chrome} (set CHROME_PATH or --chrome)")
    binary = lighthouse_bin(args.lighthouse, npm)
    version = json.loads((NODE_DIR / "node_modules/lighthouse/package.json").read_text())["version"]

    tmp = Path(tempfile.mkdtemp(prefix="medkab-lighthouse-"))
    port = http_bench.free_port()
    base = f"http://localhost:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDKAB_")}
    env.update(
        # `make run` with its defaults (MEDKAB_DEMO=1), on a throw-away instance.
        MEDKAB_INSTANCE_PATH=str(tmp / "instance"),
        MEDKAB_DEBUG="1",
        MEDKAB_WEBAUTHN_ORIGINS=base,
        MEDKAB_CONSUMER="1",
        PYTHONDONTWRITEBYTECODE="1",
        XDG_RUNTIME_DIR=str(tmp),  # gunicorn's control socket, away from a running `make run`
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    server = None
    try:
        print(f"instance: {tmp / 'instance'}", flush=True)
        print(flask_cli(env, "db-migrate"), flush=True)
        password = demo_password(flask_cli(env, "seed-demo"))
        with mock.patch.object(http_bench, "free_port", return_value=port):
            server = Server("medkab", "wsgi:app", ROOT, env, 2, tmp)
        server.wait_ready("/login")
        cookie = sign_in_demo_worker(base, password)
        print(f"gunicorn on {base}: demo worker signed in, GET / is the dashboard", flush=True)
        headers = tmp / "headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))

        rows, reports = [], {}
        for name, path, signed_in in PAGES:
            runs = []
            http_bench.wait_for_idle(args.wait_idle)
            for n in range(1, args.runs + 1):
                out = args.output_dir / f"{stamp}-{name}-{n}.json"
                report = run_lighthouse(
                    binary, args.chrome, base + path, out, headers if signed_in else None
                )
                if report.get("finalDisplayedUrl", "").rstrip("/") != (base + path).rstrip("/"):
                    raise RuntimeError(f"{path} ended on {report.get('finalDisplayedUrl')}")
                s = summary(report)
                runs.append((s, report, out))
                print(
                    f"  {path} run {n}: "
                    + ", ".join(f"{k} {_cell(s[k])}" for k in CATEGORIES)
                    + f", {_cell(s['kb'], '{:.1f}')} KiB, LCP {_cell(s['lcp'])} ms"
                    + f", benchmarkIndex {_cell(s['benchmark'])}"
                    + (f", error {s['error']}" if s["error"] else "")
                    + f"  → {out}",
                    flush=True,
                )
            row = {
                k: _median([s[k] for s, _, _ in runs])
                for k in (*CATEGORIES, "kb", "lcp", "benchmark")
            } | {"page": path + (" (signed in)" if signed_in else " (signed out)")}
            rows.append(row)
            # details from the run with the median performance score
            runs.sort(key=lambda r: r[0]["performance"] or 0)
            reports[row["page"]] = runs[len(runs) // 2][1]

        print()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{datetime.now():%Y-%m-%d %H:%M}, {_commit()}, Chromium at {args.chrome}")
        print(
            f"Lighthouse {version}, mobile (simulated throttling), "
            f"{args.runs} run(s) per page{' (medians)' if args.runs > 1 else ''}; "
            f"benchmarkIndex {', '.join(_cell(r['benchmark']) for r in rows)}; "
            f"load average now {load} on {os.cpu_count()} CPUs"
        )
        print()
        print("| page | performance | accessibility | best-practices | transfer KiB | LCP ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for row in rows:
            print(
                f"| {row['page']} | {_cell(row['performance'])} | {_cell(row['accessibility'])} | "
                f"{_cell(row['best-practices'])} | {_cell(row['kb'], '{:.1f}')} | "
                f"{_cell(row['lcp'])} |"
            )
        for page, report in reports.items():
            lines = lost_points(report, args.details_below, args.diagnostics)
            if lines:
                print(f"\n{page}: audits that lost points")
                print("\n".join(lines))
        print(f"\nJSON reports in {args.output_dir}")
        logged = server.log_text()
        if "Traceback" in logged:
            print(f"\ngunicorn logged a traceback:\n{server.log_tail(40)}", file=sys.stderr)
            return 1
        return 0
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
