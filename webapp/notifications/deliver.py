"""One way to tell a person something: the inbox first, then e-mail, SMS and push as the topic
allows.

Security notices always go to the inbox, by e-mail (with time, place, device and «Это был не
я») and by push to the person's devices, and by SMS when critical. Other topics follow the
person's channel choices (`notification_prefs`, defaults in `store.DEFAULT_PREFS`). A new channel
is one more entry in `CHANNELS` below.
"""

import logging
from dataclasses import dataclass, field

from flask import current_app, has_request_context, request

from webapp.adapters import push
from webapp.adapters.mail import MailError, send_mail
from webapp.adapters.sms import SmsError, send_sms
from webapp.clock import DEFAULT_ZONE, now
from webapp.links import external_url, signer, site_origin
from webapp.notifications import push_rules, store
from webapp.template_helpers import device_name, numeric_datetime

log = logging.getLogger("medkab.notifications")

SECURITY = "security"
KINDS = {"reminders": "reminder"}  # the inbox's `kind` where it differs from the topic
REMINDER_FOOTER = (
    "Это автоматическое напоминание Кабинета медработника. Письма с напоминаниями можно "
    "отключить в настройках уведомлений профиля."
)


@dataclass(frozen=True)
class Notice:
    """What to tell: the topic decides the channels; `critical` adds SMS to a security notice."""

    topic: str  # security | reminders | applications | record
    title: str
    body: str
    link: str | None = None  # an absolute URL to open the matter
    path: str | None = None  # the same page as a path, for the inbox
    critical: bool = False


@dataclass
class Delivery:
    """The inbox row and the channels that failed (channel → error text)."""

    inbox_id: int
    errors: dict[str, str] = field(default_factory=dict)


def not_me_link(user_id: int) -> str:
    """A link that ends all sessions, blocks password sign-in and starts recovery."""
    token = signer("not-me").dumps({"u": user_id})
    return external_url("security.not_me", token=token)


def _where(user: dict) -> tuple[str, str | None, str | None]:
    """Time (in the person's zone, Moscow when the dict has none), address and device of the
    request that caused a security notice."""
    if not has_request_context():
        return "", None, None
    device = (request.user_agent.string or "неизвестное устройство")[:300]
    moment = numeric_datetime(now(), user.get("time_zone") or DEFAULT_ZONE)
    text = (
        f"\n\nВремя: {moment}\nIP-адрес: {request.remote_addr}\nУстройство: {device_name(device)}"
    )
    return text, request.remote_addr, device


def _email(db, user: dict, notice: Notice, where: str) -> str | None:
    if notice.topic == SECURITY:
        body = (
            f"{notice.body}{where}\n\nЕсли это были не вы, нажмите «Это был не я»: "
            f"{not_me_link(user['id'])}"
        )
    else:
        opener = f"\n\nОткрыть кабинет: {notice.link}" if notice.link else ""
        footer = f"\n\n{REMINDER_FOOTER}" if notice.topic == "reminders" else ""
        body = f"{notice.body}{opener}{footer}"
    try:
        send_mail(user["email"], notice.title, body)
    except MailError as exc:
        log.warning("%s e-mail to user %s failed: %s", notice.topic, user["id"], exc)
        return str(exc)[:500] or exc.__class__.__name__
    return None


def _sms(db, user: dict, notice: Notice, where: str) -> str | None:
    if notice.topic == SECURITY:
        text = f"Кабинет медработника: {notice.body}"
    else:
        text = f"{notice.title}. {notice.link}" if notice.link else notice.title
    try:
        send_sms(user["phone"], text)
    except SmsError as exc:
        log.warning("%s SMS to user %s failed: %s", notice.topic, user["id"], exc)
        return str(exc)[:500] or exc.__class__.__name__
    return None


def _push(db, user: dict, notice: Notice, where: str) -> str | None:
    """Push to every device of the person's; a device whose push service says it is gone
    (404/410) is forgotten at once. Lock-screen text only: see `push_rules.push_for`."""
    devices = store.push_subscriptions(db, user["id"])
    if not devices:
        return None
    message = push_rules.push_for(
        notice.topic, notice.title, notice.path, notice.link, site_origin(current_app.config)
    )
    errors = []
    for device in devices:
        try:
            push.send(
                device["endpoint"],
                device["p256dh"],
                device["auth"],
                message.data,
                ttl=message.ttl,
                urgency=message.urgency,
                topic=message.topic,
            )
        except push.PushGone:
            store.delete_push_subscription(db, device["id"])
            log.info("push subscription %s of user %s is gone", device["id"], user["id"])
        except push.PushError as exc:
            log.warning("%s push to user %s failed: %s", notice.topic, user["id"], exc)
            errors.append(str(exc) or exc.__class__.__name__)
        else:
            store.push_used(db, device["id"])
    return "; ".join(errors)[:500] or None


CHANNELS = {"email": _email, "sms": _sms, "push": _push}
# Channels bound to the person's own devices rather than a contact: an application's own
# contacts step (`deliver(..., channels=)`) picks e-mail and SMS, never these.
DEVICE_CHANNELS = ("push",)


def channels_for(db, user_id: int, notice: Notice) -> list[str]:
    """Outside channels this notice goes by (the inbox always gets it)."""
    if notice.topic == SECURITY:
        return ["email", "sms", "push"] if notice.critical else ["email", "push"]
    chosen = store.prefs(db, user_id)
    return [c for c in CHANNELS if chosen.get((notice.topic, c), False)]


def deliver(db, user: dict, notice: Notice, channels: list[str] | None = None) -> Delivery:
    """Put the notice in the inbox, then send it by every channel it goes by; never raises for
    a failed channel (the failure is logged and returned). `channels` replaces the person's
    general e-mail and SMS choices for this one matter (an application's own contacts step);
    push follows the general choice; a security notice always goes by its own rule."""
    where, ip, device = _where(user) if notice.topic == SECURITY else ("", None, None)
    inbox_id = store.add(
        db,
        user["id"],
        kind=KINDS.get(notice.topic, notice.topic),
        title=notice.title,
        body=notice.body,
        ip=ip,
        user_agent=device,
        link=notice.path,
    )
    delivery = Delivery(inbox_id)
    chosen = channels_for(db, user["id"], notice)
    if channels is not None and notice.topic != SECURITY:
        chosen = [c for c in CHANNELS if (c in chosen if c in DEVICE_CHANNELS else c in channels)]
    for channel in chosen:
        error = CHANNELS[channel](db, user, notice, where)
        if error:
            delivery.errors[channel] = error
    return delivery


def security_notice(db, user: dict, title: str, text: str, *, critical: bool = False) -> Delivery:
    """Shorthand for the commonest notice: something happened to the account's security."""
    return deliver(db, user, Notice(SECURITY, title, text, critical=critical))
