"""Browser fixtures: a live server on a temporary database and headless Debian Chromium.

Every test under tests/browser is skipped (not errored) when /usr/bin/chromium is missing:
Playwright's own browser downloads are not used.
"""

import contextlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD, settings_for
from webapp import create_app
from webapp.db import close_keeper, connect, migrate

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = (
    "Chromium not found at /usr/bin/chromium — install Debian's chromium to run browser tests"
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HERE = Path(__file__).resolve().parent

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "ru-RU",
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "ru-RU"}
KINDS = {"phone": PHONE, "desktop": DESKTOP}

# Installed in every document before its own scripts run; reports to Python through a
# binding, so violations survive full page loads.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const what = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 120) : "";
  if (window.__medkabCsp) {
    window.__medkabCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
      + `at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${what}`);
  }
});
"""


def pytest_collection_modifyitems(config, items):
    """Skip this directory's tests as a whole when the system Chromium is absent."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)


# ---------------------------------------------------------------- live server


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output (errors are still reported)."""

    def log_request(self, *args, **kwargs):
        pass


@dataclass
class LiveServer:
    url: str
    app: object

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@contextlib.contextmanager
def serve(tmp_path):
    """A DEBUG app (so /dev/outbox exists) on a migrated temporary database, on a free port."""
    app = create_app({**settings_for(tmp_path), "DEBUG": True})
    db = connect(app.config["DATABASE"])
    migrate(db)
    db.close()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        close_keeper(app)


@pytest.fixture
def live_server(tmp_path):
    """A fresh server per test; `live_server.url` is the base URL, `.app` the Flask app."""
    with serve(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for a whole module of read-only page checks."""
    with serve(tmp_path_factory.mktemp("live")) as server:
        yield server


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright_driver():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # headroom when the machine is busy
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
    )
    yield browser
    browser.close()


@dataclass
class Watch:
    """Console errors, uncaught page errors and CSP violations seen by one page."""

    console_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    csp_violations: list = field(default_factory=list)

    def problems(self, *, allow=()):
        """Everything that went wrong, minus messages matching an `allow` regex."""
        found = [f"console: {m}" for m in self.console_errors]
        found += [f"pageerror: {m}" for m in self.page_errors]
        found += [f"csp: {m}" for m in self.csp_violations]
        return [m for m in found if not any(re.search(p, m) for p in allow)]


def watch(page) -> Watch:
    """Collect console errors, uncaught exceptions and CSP violations of `page`.

    Call it before the page's first navigation.
    """
    seen = Watch()

    def on_console(message):
        if message.type == "error":
            where = message.location.get("url") if message.location else ""
            seen.console_errors.append(f"{message.text} [{where}]" if where else message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
    page.expose_function("__medkabCsp", lambda message: seen.csp_violations.append(message))
    return seen


@pytest.fixture
def new_context(browser):
    """Factory: `new_context("phone")` (360×780) or `new_context("desktop")` (1280×800).

    Every context gets the CSP-violation listener; all are closed after the test.
    """
    made = []

    def make(kind="phone", **options):
        context = browser.new_context(**{**KINDS[kind], **options})
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def shot(page, name: str) -> Path:
    """Full-page screenshot into test-artifacts/screenshots/<name>.png.

    caret="initial": Playwright's default caret hiding writes `style` attributes on inputs,
    which htmx's settle step then copies onto swapped-in elements — a CSP violation the app
    itself never causes.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")
    # A full-page capture leaves the fixed bottom tab bar where the first screen ends, over
    # the middle of a long page; <name>-end.png shows what a phone shows scrolled down.
    if page.evaluate(
        """() => {
        const tabs = document.querySelector("nav.tabs");
        return Boolean(tabs) && getComputedStyle(tabs).position === "fixed"
            && document.documentElement.scrollHeight > window.innerHeight;
        }"""
    ):
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-end.png"), caret="initial")
        page.evaluate("window.scrollTo(0, 0)")
    return path


def settle(page) -> None:
    """Wait until the service worker is active (its precache done) and the network is quiet,
    so screenshots and request counts are not disturbed by first-visit background work."""
    page.wait_for_load_state("networkidle")
    page.evaluate(
        """() => Promise.race([
            navigator.serviceWorker.ready.then(() => true),
            new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
        ])"""
    )
    page.wait_for_load_state("networkidle")


def sign_in(page, base_url: str, login: str, password: str = PASSWORD, *, totp=None) -> None:
    """Sign in through the login form (and the TOTP step when `totp` is given); wait for home."""
    from playwright.sync_api import expect

    page.goto(base_url + "/login")
    settle(page)
    page.get_by_label("Телефон, email или СНИЛС").fill(login)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти", exact=True).click()
    if totp:
        expect(page).to_have_url(base_url + "/verify")
        expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")
        shot(page, "verify-totp-{}".format(page.viewport_size["width"]))
        page.locator("#totp-code").fill(totp)
        page.locator("#totp-code").press("Enter")
    expect(page).to_have_url(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Здравствуйте")


def sign_out(page) -> None:
    """Press «Выйти» in the header."""
    page.locator("header").get_by_role("button", name="Выйти", exact=True).click()
