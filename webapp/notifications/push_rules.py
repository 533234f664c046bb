"""The rules of Web Push, without Flask: what a browser's subscription must look like, and what a
push may say on a lock screen, for how long and how urgently (docs/decisions.md, «Push»)."""

import base64
import binascii
import ipaddress
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

ENDPOINT_MAX = 2048  # real endpoints are 150–600 characters
MAX_PAYLOAD_BYTES = 2048  # the JSON before encryption; push services take up to 4 KB after
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_LOCAL_PATH = re.compile(r"/(?!/)[\x21-\x7e]{0,299}")

NOT_JSON = "Браузер прислал не подписку: нужен JSON с полями endpoint и keys."
BAD_ENDPOINT = "Адрес подписки не подходит: нужен https-адрес сервиса уведомлений браузера."
BAD_KEYS = "Ключи подписки неверны: нужны p256dh (65 байт) и auth (16 байт) в base64url."


class BadSubscription(ValueError):
    """The subscription a browser sent cannot be used; the message is for the person."""


@dataclass(frozen=True)
class Subscription:
    """A browser's push subscription, checked: endpoint URL and base64url keys (no padding)."""

    endpoint: str
    p256dh: str
    auth: str


def _decoded(value) -> bytes | None:
    """Bytes of a base64url string (padding optional), or None when it is not one."""
    if not isinstance(value, str) or len(value) > 200 or not _BASE64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def endpoint_allowed(endpoint, *, allow_local: bool = False) -> bool:
    """An https URL of a push service on a public host name at the default port; with
    `allow_local` (tests, DEBUG) also http(s) on loopback, so a local receiver can subscribe."""
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= ENDPOINT_MAX:
        return False
    if any(not 0x21 <= ord(c) <= 0x7E for c in endpoint):
        return False
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or parts.fragment or not host:
        return False
    if allow_local and host in LOCAL_HOSTS and parts.scheme in ("http", "https"):
        return True
    if parts.scheme != "https" or port not in (None, 443):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return False  # push services have names; an address is somebody's own machine
    return "." in host and not host.endswith((".localhost", ".local", ".internal"))


def parse_subscription(data, *, allow_local: bool = False) -> Subscription:
    """The subscription in `PushSubscription.toJSON()`'s shape, checked; BadSubscription else."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise BadSubscription(NOT_JSON)
    endpoint = data.get("endpoint")
    if not endpoint_allowed(endpoint, allow_local=allow_local):
        raise BadSubscription(BAD_ENDPOINT)
    p256dh = _decoded(data["keys"].get("p256dh"))
    auth = _decoded(data["keys"].get("auth"))
    if p256dh is None or auth is None or len(p256dh) != 65 or len(auth) != 16:
        raise BadSubscription(BAD_KEYS)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise BadSubscription(BAD_KEYS) from None
    return Subscription(endpoint, _unpadded(p256dh), _unpadded(auth))


@dataclass(frozen=True)
class Plan:
    """How a topic's pushes travel: kept `ttl` seconds for an offline device, at `urgency`."""

    ttl: int
    urgency: str


DAY = 24 * 60 * 60
PLANS = {
    "security": Plan(1 * DAY, "high"),  # stale in a day; the e-mail has it anyway
    "applications": Plan(3 * DAY, "normal"),
    "reminders": Plan(7 * DAY, "low"),  # days-ahead deadlines: no need to wake the phone
}
DEFAULT_PLAN = Plan(3 * DAY, "normal")
GENERIC_TITLES = {
    "security": "Безопасность учётной записи",
    "applications": "Новости по заявлению",
    "reminders": "Напоминание",
}
GENERIC_TITLE = "Кабинет медработника"
BODY = "Откройте кабинет, чтобы узнать подробности."
_UNSAFE = re.compile(r"[0-9«»\"@\n]")  # numbers, dates, quoted names, addresses
TITLE_MAX = 60


def lock_screen_title(topic: str, title: str) -> str:
    """The notice's title when a lock screen may show it, else the topic's generic one.

    Reminder titles name specialties and dates, so reminders always get the generic title.
    Security and application titles are fixed phrases («Пароль изменён», «Заявление
    зарегистрировано») and pass unless they carry a number, a date or a quoted name."""
    generic = GENERIC_TITLES.get(topic, GENERIC_TITLE)
    if topic == "reminders" or len(title) > TITLE_MAX or _UNSAFE.search(title):
        return generic
    return title.strip() or generic


def local_path(path: str | None, link: str | None, origin: str) -> str:
    """Where a tap leads: the notice's path, else its link's path when the link is on this
    site, else the inbox."""
    if not path and link and link.startswith(origin.rstrip("/") + "/"):
        path = urlsplit(link).path
    return path if isinstance(path, str) and _LOCAL_PATH.fullmatch(path) else "/notifications"


def tag_for(topic: str, path: str) -> str:
    """What the device groups by: one application's news replace each other, else the topic."""
    match = re.fullmatch(r"/(applications|review)/(\d{1,18})(?:/.*)?", path)
    if match:
        return f"{'application' if match[1] == 'applications' else 'review'}-{match[2]}"
    return topic


@dataclass(frozen=True)
class Push:
    """One notice as a push: the JSON the service worker reads, and how it travels."""

    data: str  # {"title", "body", "url", "tag"}, at most MAX_PAYLOAD_BYTES in UTF-8
    ttl: int
    urgency: str
    topic: str | None  # the Topic header: a newer push with it replaces an undelivered one


def _json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def fit(payload: dict) -> str:
    """The payload as compact JSON of at most MAX_PAYLOAD_BYTES: the body, then the title, is
    shortened (ending in «…») until it fits; a tap then opens the inbox."""
    payload = dict(payload)
    for key in ("body", "title"):
        while len(_json(payload).encode()) > MAX_PAYLOAD_BYTES and payload[key]:
            text = payload[key]
            payload[key] = text[:-2] + "…" if len(text) > 1 else ""
    if len(_json(payload).encode()) > MAX_PAYLOAD_BYTES:
        payload.update(url="/notifications", tag=payload["tag"][:64])
    return _json(payload)


def push_for(topic: str, title: str, path: str | None, link: str | None, origin: str) -> Push:
    """The push for a notice: lock-screen title, a generic body (never the notice's text), the
    page a tap opens and the tag; TTL and urgency by topic."""
    url = local_path(path, link, origin)
    tag = tag_for(topic, url)
    plan = PLANS.get(topic, DEFAULT_PLAN)
    payload = {"title": lock_screen_title(topic, title), "body": BODY, "url": url, "tag": tag}
    return Push(fit(payload), plan.ttl, plan.urgency, tag if tag != topic else None)
