"""Web Push against a real local receiver: the test plays the browser (its own P-256 key and auth
secret, subscribed through the route) and the push service (an HTTP server on a free port). What
arrives is decrypted with `http_ece` (RFC 8291 aes128gcm) and its VAPID JWT checked (RFC 8292)."""

import base64
import json
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.conftest import AuthActions, create_active_user, csrf_from, static_url
from tests.web.applications_setup import add_submitted
from webapp.adapters import push
from webapp.auth.store import users
from webapp.db import connect
from webapp.notifications import push_rules
from webapp.notifications.deliver import Notice, deliver, security_notice

ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SUBSCRIBE = "/notifications/push/subscribe"
SUBJECT = "mailto:push-test@medkab.test"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# The push service: a local HTTP server that keeps what it gets ----------------------------


@dataclass
class Received:
    path: str
    headers: object  # http.client.HTTPMessage: case-insensitive
    body: bytes


@dataclass
class Receiver:
    base: str = ""
    status: int = 201
    delay: float = 0.0
    location: str | None = None
    received: list[Received] = field(default_factory=list)

    def endpoint(self, name: str = "device-1") -> str:
        return f"{self.base}/push/{name}"


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received(self.path, self.headers, body))
            time.sleep(state.delay)
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.base = f"http://127.0.0.1:{server.server_port}"
    return state, server


@pytest.fixture
def receiver():
    state, server = start_receiver()
    yield state
    server.shutdown()
    server.server_close()


# The browser: a P-256 key pair and an auth secret, as PushManager.subscribe() makes ---------


@dataclass
class Device:
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        """What PushSubscription.toJSON() gives."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64(point), "auth": b64(self.auth)},
        }

    def read(self, body: bytes) -> bytes:
        return http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )


def token(client) -> str:
    return csrf_from(client.get("/profile/contacts").get_data(as_text=True))


def subscribe(client, body, *, csrf=True, user_agent=ANDROID):
    headers = {"User-Agent": user_agent, "Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = token(client)
    if isinstance(body, dict | list):
        return client.post(SUBSCRIBE, json=body, headers=headers)
    return client.post(SUBSCRIBE, data=body, headers={**headers, "Content-Type": "text/plain"})


def rows(app, sql, params=()):
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query(sql, list(params)))
    finally:
        db.close()


def failures(app, delivery) -> dict[str, str]:
    """The notice's messages that did not go (channel → error), from the deliveries table; a
    device that is gone is not a failure."""
    found = rows(
        app,
        "select channel, status, error from deliveries where notification_id = ?",
        [delivery.inbox_id],
    )
    return {row["channel"]: row["error"] for row in found if row["status"] not in ("sent", "gone")}


def subscriptions(app):
    return rows(app, "select * from push_subscriptions order by id")


@pytest.fixture
def worker(app, client, auth):
    """Worker Иванова Мария Петровна (+79120000001), signed in."""
    app.config["VAPID_SUBJECT"] = SUBJECT
    user_id = create_active_user(app, n=1)
    auth.login()
    return user_id


@pytest.fixture
def subscribed(app, client, worker, receiver):
    """The worker's phone takes pushes at the local receiver."""
    device = Device()
    response = subscribe(client, device.subscription(receiver.endpoint()))
    assert response.status_code == 201, response.get_data(as_text=True)
    return device


def verify_vapid(authorization: str, audience: str) -> dict:
    """Check `vapid t=<JWT>,k=<key>`: ES256 over the JWT with k, the claims; returns them."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(part.split("=", 1) for part in rest.split(","))
    head, claims, signature = parts["t"].split(".")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
    raw = unb64(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert json.loads(unb64(head)) == {"typ": "JWT", "alg": "ES256"}
    decoded = json.loads(unb64(claims))
    assert decoded["aud"] == audience and decoded["sub"] == SUBJECT
    assert time.time() < decoded["exp"] <= time.time() + 24 * 3600
    return {"k": parts["k"], **decoded}


def site_key(app) -> str:
    """The public key as the settings page hands it to the browser."""
    with app.app_context():
        return push.public_key()


# A real push arrives ----------------------------------------------------------------------


def test_a_status_change_reaches_the_phone_encrypted_signed_and_without_personal_data(
    app, client, subscribed, receiver
):
    db = connect(app.config["DATABASE"])
    application_id = add_submitted(db, app.extensions["storage"], 1, number="А-2026-000777")
    db.close()
    create_active_user(app, n=3, role="reviewer")
    reviewer = app.test_client()
    AuthActions(reviewer).login("+79120000003")
    csrf = csrf_from(reviewer.get(f"/review/{application_id}").get_data(as_text=True))
    taken = reviewer.post(f"/review/{application_id}/move/take", data={"csrf_token": csrf})
    assert taken.status_code == 303

    [push_] = receiver.received
    assert push_.path == "/push/device-1"
    assert push_.headers["Content-Encoding"] == "aes128gcm"
    assert push_.headers["TTL"] == str(3 * 24 * 3600)
    assert push_.headers["Urgency"] == "normal"
    assert push_.headers["Topic"] == f"application-{application_id}"
    claims = verify_vapid(push_.headers["Authorization"], receiver.base)
    assert claims["k"] == site_key(app)
    plain = subscribed.read(push_.body)
    assert len(plain) <= push_rules.MAX_PAYLOAD_BYTES
    assert json.loads(plain) == {
        "title": "Заявление зарегистрировано",
        "body": "Откройте кабинет, чтобы узнать подробности.",
        "url": f"/applications/{application_id}",
        "tag": f"application-{application_id}",
    }
    text = plain.decode()
    for personal in ("Иванова", "Мария", "+79120000001", "000777", "Терапия", "user1@"):
        assert personal not in text
    [inbox] = rows(app, "select * from notifications where kind = 'applications'")
    assert inbox["title"] == "Заявление зарегистрировано" and "А-2026-000777" in inbox["body"]
    [device] = subscriptions(app)
    assert device["last_used_at"] and device["device"] == "Chrome, Android"


def test_a_security_notice_is_pushed_urgently_and_names_nobody(app, client, subscribed, receiver):
    """Changing the surname through the route: the push says «ФИО изменено», never the names."""
    page = client.get("/profile/name").get_data(as_text=True)
    response = client.post(
        "/profile/name",
        data={
            "csrf_token": csrf_from(page),
            "surname": "Петрова",
            "name": "Анна",
            "patronymic": "Сергеевна",
            "changed_on": "2024-06-01",
            "reason": "marriage",
            "document_title": "Свидетельство о браке I-АБ № 123456",
        },
    )
    assert response.status_code == 303
    [push_] = receiver.received
    assert push_.headers["TTL"] == str(24 * 3600) and push_.headers["Urgency"] == "high"
    assert push_.headers["Topic"] is None  # every security notice is shown, none replaced
    verify_vapid(push_.headers["Authorization"], receiver.base)
    plain = subscribed.read(push_.body).decode()
    assert json.loads(plain) == {
        "title": "ФИО изменено",
        "body": "Откройте кабинет, чтобы узнать подробности.",
        "url": "/notifications",
        "tag": "security",
    }
    for personal in ("Петрова", "Анна", "Иванова", "Мария", "123456", "127.0.0.1"):
        assert personal not in plain


def test_reminders_say_only_that_there_is_one_and_open_their_page(app, db, subscribed, receiver):
    link = "http://localhost/profile/record"  # the site's origin in tests: WEBAUTHN_ORIGINS[0]
    title = "Сертификат по специальности Терапия истекает через 30 дней"
    with app.app_context():
        deliver(db, users.get_row(db, 1), Notice("reminders", title, "Подайте…", link=link))
    [push_] = receiver.received
    assert push_.headers["TTL"] == str(7 * 24 * 3600) and push_.headers["Urgency"] == "low"
    assert json.loads(subscribed.read(push_.body)) == {
        "title": "Напоминание",
        "body": "Откройте кабинет, чтобы узнать подробности.",
        "url": "/profile/record",
        "tag": "reminders",
    }


def test_push_for_applications_follows_the_persons_choice(app, db, client, subscribed, receiver):
    page = client.get("/profile/contacts").get_data(as_text=True)
    saved = client.post(
        "/profile/contacts",
        data={"csrf_token": csrf_from(page), "applications_email": "y", "reminders_push": "y"},
    )
    assert saved.status_code == 303
    user = users.get_row(db, 1)
    with app.app_context():
        news = Notice("applications", "Заявление принято", "…", path="/applications/1")
        assert "push" not in failures(app, deliver(db, user, news))
        assert receiver.received == []  # switched off
        security_notice(db, user, "Пароль изменён", "Пароль изменён.")
    assert len(receiver.received) == 1  # security notices go to every device regardless


# Dead and failing push services -----------------------------------------------------------


@pytest.mark.parametrize("status", [410, 404])
def test_a_gone_subscription_is_deleted_at_once(app, db, subscribed, receiver, status):
    receiver.status = status
    with app.app_context():
        delivery = security_notice(db, users.get_row(db, 1), "Пароль изменён", "Пароль изменён.")
    assert len(receiver.received) == 1
    assert subscriptions(app) == []
    assert "push" not in failures(app, delivery)  # nothing failed: the device is simply gone
    assert rows(app, "select title from notifications") == [{"title": "Пароль изменён"}]


def test_a_failing_push_service_keeps_the_subscription_and_the_inbox_row(
    app, db, subscribed, receiver
):
    receiver.status = 500
    with app.app_context():
        delivery = security_notice(db, users.get_row(db, 1), "Пароль изменён", "Пароль изменён.")
    assert failures(app, delivery)["push"] == "push service answered 500"
    assert "email" not in failures(app, delivery)  # the other channels still went
    [device] = subscriptions(app)
    assert device["last_used_at"] is None
    assert rows(app, "select title from notifications") == [{"title": "Пароль изменён"}]


def test_a_redirecting_endpoint_is_not_followed(app, db, subscribed, receiver):
    other, server = start_receiver()
    try:
        receiver.status, receiver.location = 307, other.endpoint("elsewhere")
        with app.app_context():
            delivery = security_notice(db, users.get_row(db, 1), "Пароль изменён", "…")
        assert "push" in failures(app, delivery)
        assert other.received == []
        assert len(subscriptions(app)) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_a_slow_push_service_times_out(app, db, subscribed, receiver, monkeypatch):
    assert push.TIMEOUT_SECONDS <= 5
    monkeypatch.setattr(push, "TIMEOUT_SECONDS", 0.5)
    receiver.delay = 2
    started = time.monotonic()
    with app.app_context():
        delivery = security_notice(db, users.get_row(db, 1), "Пароль изменён", "…")
    assert time.monotonic() - started < 1.8
    assert failures(app, delivery)["push"].startswith("ReadTimeout")
    assert len(subscriptions(app)) == 1


# Subscribing ------------------------------------------------------------------------------


def test_the_same_browser_subscribing_again_updates_its_row(app, client, worker, receiver):
    first, again = Device(), Device()
    assert subscribe(client, first.subscription(receiver.endpoint())).status_code == 201
    answer = subscribe(client, again.subscription(receiver.endpoint()), user_agent="Firefox/133.0")
    assert answer.status_code == 200 and answer.get_json()["device"] == "Firefox"
    [device] = subscriptions(app)
    assert device["p256dh"] == again.subscription("x")["keys"]["p256dh"]
    assert device["device"] == "Firefox"
    audits = rows(
        app, "select action, details from audit_log where action like 'push.%' order by id"
    )
    assert [json.loads(a["details"])["outcome"] for a in audits] == ["added", "renewed"]


def test_an_endpoint_of_another_user_moves_to_the_one_now_signed_in(app, client, receiver):
    create_active_user(app, n=1)
    create_active_user(app, n=2)
    auth = AuthActions(client)
    auth.login("+79120000001")
    shared = Device().subscription(receiver.endpoint("ward-phone"))
    assert subscribe(client, shared).status_code == 201
    auth.logout()
    auth.login("+79120000002")
    assert subscribe(client, Device().subscription(shared["endpoint"])).status_code == 201
    [device] = subscriptions(app)
    assert device["user_id"] == 2


def test_at_most_ten_devices(app, client, worker, receiver):
    for n in range(10):
        assert subscribe(client, Device().subscription(receiver.endpoint(f"d{n}"))).status_code
    refused = subscribe(client, Device().subscription(receiver.endpoint("d10")))
    assert refused.status_code == 409
    assert "10 устройствах" in refused.get_json()["error"]
    assert len(subscriptions(app)) == 10
    again = subscribe(client, Device().subscription(receiver.endpoint("d3")))  # a known one
    assert again.status_code == 200


GOOD = Device().subscription("https://fcm.googleapis.com/fcm/send/abc:APA91b")
KEYS = GOOD["keys"]
not_on_curve = b64(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("not json at all", "нужен JSON"),
        ([GOOD], "нужен JSON"),
        ({"endpoint": GOOD["endpoint"]}, "нужен JSON"),
        ({"endpoint": GOOD["endpoint"], "keys": "p256dh"}, "нужен JSON"),
        ({"endpoint": GOOD["endpoint"], "keys": {}}, "Ключи подписки"),
        ({**GOOD, "keys": {**KEYS, "auth": b64(os.urandom(15))}}, "Ключи подписки"),
        ({**GOOD, "keys": {**KEYS, "auth": b64(os.urandom(17))}}, "Ключи подписки"),
        ({**GOOD, "keys": {**KEYS, "p256dh": b64(os.urandom(64))}}, "Ключи подписки"),
        ({**GOOD, "keys": {**KEYS, "p256dh": not_on_curve}}, "Ключи подписки"),
        ({**GOOD, "keys": {**KEYS, "p256dh": KEYS["p256dh"] + "!"}}, "Ключи подписки"),
        ({**GOOD, "keys": {**KEYS, "auth": 16}}, "Ключи подписки"),
        ({**GOOD, "endpoint": "https://fcm.googleapis.com/" + "a" * 10_000}, "Адрес подписки"),
        ({**GOOD, "endpoint": "javascript:alert(1)//fcm.googleapis.com"}, "Адрес подписки"),
        ({**GOOD, "endpoint": "ftp://fcm.googleapis.com/fcm/send/abc"}, "Адрес подписки"),
        ({**GOOD, "endpoint": "http://evil.example/push"}, "Адрес подписки"),
        ({**GOOD, "endpoint": "https://user:pw@fcm.googleapis.com/x"}, "Адрес подписки"),
        ({**GOOD, "endpoint": "https://fcm.googleapis.com/x y"}, "Адрес подписки"),
        ({**GOOD, "endpoint": None}, "Адрес подписки"),
    ],
)
def test_garbage_subscriptions_are_refused_and_nothing_is_written(app, client, worker, body, says):
    response = subscribe(client, body)
    assert response.status_code == 400
    assert says in response.get_json()["error"]
    assert subscriptions(app) == []
    assert rows(app, "select * from audit_log where action like 'push.%'") == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:9/push",  # loopback: only tests and DEBUG may use it
        "https://127.0.0.1/push",
        "https://localhost/push",
        "https://[::1]/push",
        "https://10.0.0.7/push",
        "https://push.example.ru:8443/push",
        "https://intranet/push",
        "https://push.corp.internal/push",
    ],
)
def test_outside_tests_only_public_https_push_services_are_taken(app, client, worker, endpoint):
    app.config["TESTING"] = False
    assert subscribe(client, {**GOOD, "endpoint": endpoint}).status_code == 400
    assert subscribe(client, GOOD).status_code == 201  # a real push service is fine
    assert [d["endpoint"] for d in subscriptions(app)] == [GOOD["endpoint"]]


def test_subscribing_without_the_csrf_token_is_refused(app, client, worker):
    response = subscribe(client, GOOD, csrf=False)
    assert response.status_code == 400
    assert subscriptions(app) == []


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(SUBSCRIBE, json=GOOD, headers={"X-CSRFToken": csrf})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# The device list --------------------------------------------------------------------------


def test_the_settings_page_lists_devices_and_gives_the_key(app, client, subscribed):
    html = client.get("/profile/contacts").get_data(as_text=True)
    assert f'data-push-key="{site_key(app)}"' in html
    assert "Включить уведомления на этом устройстве" in html
    assert "Chrome, Android" in html and "/notifications/push/1/delete" in html
    assert f'src="{static_url(app, "js/push.js")}"' in html


def test_a_device_is_removed_by_its_owner_only(app, client, subscribed):
    [device] = subscriptions(app)
    create_active_user(app, n=2)
    stranger = app.test_client()
    AuthActions(stranger).login("+79120000002")
    csrf = token(stranger)
    url = f"/notifications/push/{device['id']}/delete"
    assert stranger.post(url, data={"csrf_token": csrf}).status_code == 404
    assert len(subscriptions(app)) == 1
    response = client.post(url, data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile/contacts#push"
    assert subscriptions(app) == []
    html = client.get("/profile/contacts").get_data(as_text=True)
    assert "Уведомления на устройстве «Chrome, Android» отключены." in html
    audits = rows(app, "select action from audit_log where action like 'push.%' order by id")
    assert [a["action"] for a in audits] == ["push.subscribe", "push.delete"]


# The VAPID key ----------------------------------------------------------------------------


def test_the_vapid_key_is_made_once_private_and_kept(app, tmp_path):
    path = Path(app.instance_path) / push.KEY_NAME
    assert not path.exists()
    first = site_key(app)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    made = path.read_bytes()
    app.extensions.pop("vapid_key")  # another worker process reads the same file
    assert site_key(app) == first and path.read_bytes() == made
    assert len(unb64(first)) == 65 and unb64(first)[0] == 4


def test_racing_workers_end_up_with_one_key(tmp_path):
    folder = tmp_path / "instance"
    keys, start = [], threading.Barrier(8)

    def make():
        start.wait()
        keys.append(push.ensure_vapid_key(folder).private_numbers().private_value)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in folder.iterdir()] == [push.KEY_NAME]  # no temporary files left


def test_the_inbox_leads_to_the_device_settings(app, client, auth):
    create_active_user(app)
    auth.login()
    page = client.get("/notifications").get_data(as_text=True)
    assert 'href="/profile/contacts#push"' in page
    assert 'id="push"' in client.get("/profile/contacts").get_data(as_text=True)
