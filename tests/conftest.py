"""Shared fixtures: an app on a temporary database, clients, an auth helper, htmx headers."""

import os
import re
import socket
from datetime import UTC, date, datetime

import pytest
from aiosmtpd.controller import Controller
from hypothesis import settings as hypothesis_settings

# Before webapp is imported: the job queue (webapp/jobs.py, built at import) runs each task at
# once in the process that enqueues it, so a test sees a notice's e-mail right after the request.
# tests/jobs/ runs real consumers on a real queue. The queue is imported here, while the variable
# is set: the fixture below removes every MEDKAB_* variable before each test, and a file run alone
# that imported the queue first inside a test got a real queue nobody consumed.
os.environ["MEDKAB_JOBS_IMMEDIATE"] = "1"

from webapp import clock, create_app, jobs  # noqa: E402, F401
from webapp.db import close_keeper, connect, migrate  # noqa: E402
from webapp.validators import normalize_snils, snils_checksum  # noqa: E402

# Property tests check results, not speed: a wall-clock deadline only fails on a busy machine.
hypothesis_settings.register_profile("medkab", deadline=None)
hypothesis_settings.load_profile("medkab")

HTMX = {"HX-Request": "true"}
PASSWORD = "зелёный чай в семь утра"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def make_snils(n: int) -> str:
    """A valid СНИЛС whose first nine digits encode n (above the pre-checksum range)."""
    first9 = f"{2_000_000 + n:09d}"
    return normalize_snils(f"{first9}{snils_checksum(first9):02d}")


def settings_for(tmp_path) -> dict:
    """Config for a fast, isolated app: cheap argon2, dev adapters, no IP throttles."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE": str(tmp_path / "test.sqlite3"),
        "SECRET_KEY": "test-secret",
        "DATA_KEY": "11" * 32,
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_TIME_COST": 1,
        "RATELIMIT_ENABLED": False,
        "SITE_DOMAIN": "medkab.test",
        # Workers may skip the second factor here so foundation tests stay short; the
        # mandatory rule has its own tests with this setting off.
        "SECOND_FACTOR_OPTIONAL_FOR_WORKERS": True,
        "WEBAUTHN_ORIGINS": ["http://localhost"],
    }


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No MEDKAB_* variable from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("MEDKAB_"):
            monkeypatch.delenv(key)


@pytest.fixture
def still_clock():
    """The clock stopped at the present moment for the whole test, so a delay measured in seconds
    cannot run out on a slow machine between two requests."""
    clock.freeze(datetime.now(UTC))
    yield
    clock.freeze(None)


@pytest.fixture
def app(tmp_path):
    app = create_app(settings_for(tmp_path))
    db = connect(app.config["DATABASE"])
    migrate(db)
    db.close()
    yield app
    close_keeper(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    database = connect(app.config["DATABASE"])
    yield database
    database.close()


def static_url(app, filename: str) -> str:
    """The address pages use for a file under static/ (content-hashed: webapp/static_files.py)."""
    from flask import url_for

    with app.test_request_context():
        return url_for("static", filename=filename)


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, *, page: str | None = None, headers=None):
    """GET the page that holds the form, then POST with its CSRF token, like a browser."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)}, headers=headers or {})


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def create_active_user(
    app, *, n=1, role="worker", password=PASSWORD, email=None, phone=None, totp=None
):
    """An active account made through the same code as the CLI (non-workers get TOTP)."""
    from webapp.auth.store import factors as store
    from webapp.cli import make_user

    with app.app_context():
        db = connect(app.config["DATABASE"])
        user_id = make_user(
            db,
            role=role,
            surname="Иванова",
            name="Мария",
            patronymic="Петровна",
            phone=phone or f"+7912{n:07d}",
            email=email or f"user{n}@example.ru",
            snils=make_snils(n),
            birth_date=date(1990, 5, 17),
            password=password,
        )
        if totp or (totp is None and role != "worker"):
            store.start_totp(db, user_id, app.extensions["cipher"].encrypt("totp", TOTP_SECRET))
            store.confirm_totp(db, user_id, 0)
        db.close()
    return user_id


def totp_now(secret=TOTP_SECRET) -> str:
    """The current code of the test authenticator."""
    import pyotp

    return pyotp.TOTP(secret).at(clock.now())


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, login="+79120000001", password=PASSWORD):
        """Sign in; when a second factor is asked, answer with the test TOTP code."""
        response = post_form(self._client, "/login", {"login": login, "password": password})
        if response.headers.get("Location") == "/verify":
            app = self._client.application
            db = connect(app.config["DATABASE"])
            db.execute("update totp_secrets set last_step = 0")  # each test login is a new step
            db.close()
            response = post_form(
                self._client, "/verify/totp", {"totp-code": totp_now()}, page="/verify"
            )
        return response

    def logout(self):
        html = self._client.get("/").get_data(as_text=True)
        return self._client.post("/logout", data={"csrf_token": csrf_from(html)})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def outbox(db):
    """Read what the dev SMS/mail backends sent."""

    def read(recipient=None):
        from webapp.adapters import outbox as box

        return box.latest(db, recipient=recipient)

    return read


def code_from(message_body: str) -> str:
    """The six-digit code at the end of an SMS (`@domain #123456`)."""
    return re.search(r"#(\d{6})\s*$", message_body).group(1)


class SmtpInbox:
    """What a local aiosmtpd server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free localhost port: (controller, inbox)."""
    inbox = SmtpInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


def unread_body_status(app, path: str, content_type: str, length: int) -> str:
    """The status line for a POST declaring `length` bytes whose body must never be read."""

    class Exploding:
        def read(self, *_):
            raise AssertionError("body was read")

        readline = read

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": Exploding(),
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(length),
        "wsgi.errors": None,
    }
    statuses = []
    body = b"".join(app.wsgi_app(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body
