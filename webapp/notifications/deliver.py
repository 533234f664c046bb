"""One way to tell a person something: the inbox first, then e-mail, SMS and push as the topic
allows, sent by the job queue.

Security notices always go to the inbox, by e-mail (with time, place, device and «Это был не
я») and by push to the person's devices, and by SMS when critical. Other topics follow the
person's channel choices (`notification_prefs`, defaults in `store.DEFAULT_PREFS`). A new channel
is one more entry in `CHANNELS` below.
"""

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, has_request_context, request

from webapp import jobs
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


@dataclass(frozen=True)
class Delivery:
    """The inbox row and the outside messages queued for it (`deliveries` rows)."""

    inbox_id: int
    message_ids: list[int] = field(default_factory=list)


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


def _email(db, user: dict, notice: Notice, where: str) -> list[dict]:
    if notice.topic == SECURITY:
        body = (
            f"{notice.body}{where}\n\nЕсли это были не вы, нажмите «Это был не я»: "
            f"{not_me_link(user['id'])}"
        )
    else:
        opener = f"\n\nОткрыть кабинет: {notice.link}" if notice.link else ""
        footer = f"\n\n{REMINDER_FOOTER}" if notice.topic == "reminders" else ""
        body = f"{notice.body}{opener}{footer}"
    return [{"recipient": user["email"], "subject": notice.title, "body": body}]


def _sms(db, user: dict, notice: Notice, where: str) -> list[dict]:
    if notice.topic == SECURITY:
        text = f"Кабинет медработника: {notice.body}"
    else:
        text = f"{notice.title}. {notice.link}" if notice.link else notice.title
    return [{"recipient": user["phone"], "body": text}]


def _push(db, user: dict, notice: Notice, where: str) -> list[dict]:
    """One message per device of the person's. Lock-screen text only: see
    `push_rules.push_for`."""
    devices = store.push_subscriptions(db, user["id"])
    if not devices:
        return []
    message = push_rules.push_for(
        notice.topic, notice.title, notice.path, notice.link, site_origin(current_app.config)
    )
    meta = json.dumps({"ttl": message.ttl, "urgency": message.urgency, "topic": message.topic})
    return [
        {"recipient": str(device["id"]), "body": message.data, "meta": meta} for device in devices
    ]


def _send_email(db, row: dict) -> None:
    try:
        send_mail(row["recipient"], row["subject"], row["body"])
    except MailError as exc:
        raise SendError(str(exc) or exc.__class__.__name__) from exc


def _send_sms(db, row: dict) -> None:
    try:
        send_sms(row["recipient"], row["body"])
    except SmsError as exc:
        raise SendError(str(exc) or exc.__class__.__name__) from exc


def _send_push(db, row: dict) -> None:
    """A device whose push service says it is gone (404/410) is forgotten at once."""
    device = store.push_subscription(db, int(row["recipient"]))
    if device is None:
        raise Gone("push turned off on the device")
    meta = json.loads(row["meta"])
    try:
        push.send(
            device["endpoint"],
            device["p256dh"],
            device["auth"],
            row["body"],
            ttl=meta["ttl"],
            urgency=meta["urgency"],
            topic=meta["topic"],
        )
    except push.PushGone as exc:
        store.delete_push_subscription(db, device["id"])
        log.info("push subscription %s of user %s is gone", device["id"], row["user_id"])
        raise Gone(str(exc) or "gone") from exc
    except push.PushError as exc:
        raise SendError(str(exc) or exc.__class__.__name__) from exc
    store.push_used(db, device["id"])


class SendError(Exception):
    """A channel could not send now (its text says why); tried again later."""


class Gone(Exception):
    """The message's recipient no longer exists (a push subscription): nothing to send."""


@dataclass(frozen=True)
class Channel:
    """How a notice becomes this channel's messages, and how one message is sent."""

    render: Callable[[object, dict, Notice, str], list[dict]]
    send: Callable[[object, dict], None]


CHANNELS = {
    "email": Channel(_email, _send_email),
    "sms": Channel(_sms, _send_sms),
    "push": Channel(_push, _send_push),
}
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
    """Put the notice in the inbox and its outside messages in the queue, in one transaction:
    the job queue sends them once it commits (`tasks.send_deliveries`), each exactly once.
    `channels` replaces the person's general e-mail and SMS choices for this one matter (an
    application's own contacts step); push follows the general choice; a security notice
    always goes by its own rule."""
    from webapp.notifications import tasks

    where, ip, device = _where(user) if notice.topic == SECURITY else ("", None, None)
    chosen = channels_for(db, user["id"], notice)
    if channels is not None and notice.topic != SECURITY:
        chosen = [c for c in CHANNELS if (c in chosen if c in DEVICE_CHANNELS else c in channels)]
    messages = [
        {"channel": name, **message}
        for name in chosen
        for message in CHANNELS[name].render(db, user, notice, where)
    ]
    with db.atomic() if not db.conn.in_transaction else contextlib.nullcontext():
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
        ids = store.add_deliveries(db, inbox_id, user["id"], messages)
        jobs.after_commit(db, tasks.send_deliveries, *ids)
    return Delivery(inbox_id, ids)


RETRY_MINUTES = (1, 5, 30, 120)  # the wait after a message's 1st, 2nd, … failure
FINISH_EVERY = 100  # messages whose outcome is written in one transaction


@dataclass
class Sent:
    """What one sending run did with the messages it was given."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    gone: int = 0
    skipped: int = 0  # claimed by another run, or done already


def _outcome(db, row: dict) -> tuple[int, str, str | None, str | None]:
    """Send one claimed message: (id, status, error, next try)."""
    try:
        CHANNELS[row["channel"]].send(db, row)
    except Gone as exc:
        return row["id"], "gone", str(exc)[:500], None
    except Exception as exc:  # a failing channel must not stop the other messages
        error = str(exc)[:500] or exc.__class__.__name__
        if isinstance(exc, SendError):
            log.warning("%s message %s failed: %s", row["channel"], row["id"], error)
        else:
            log.exception("%s message %s failed", row["channel"], row["id"])
        if row["attempts"] >= store.MAX_ATTEMPTS:
            return row["id"], "failed", error, None
        wait = timedelta(minutes=RETRY_MINUTES[min(row["attempts"], len(RETRY_MINUTES)) - 1])
        return row["id"], "pending", error, (now() + wait).isoformat(timespec="seconds")
    return row["id"], "sent", None, None


def send_messages(db, ids: list[int], runner: str) -> Sent:
    """Claim the pending ones of these messages and send them; a failed one waits for its next
    try (`RETRY_MINUTES`), then is given up after `store.MAX_ATTEMPTS`."""
    rows = store.claim_deliveries(db, ids, runner)
    result = Sent(skipped=len(ids) - len(rows))
    outcomes = []
    for row in rows:
        outcome = _outcome(db, row)
        status = outcome[1]
        if status == "pending":
            result.retry += 1
        else:
            setattr(result, status, getattr(result, status) + 1)
        outcomes.append(outcome)
        if len(outcomes) >= FINISH_EVERY:
            store.finish_deliveries(db, outcomes)
            outcomes = []
    if outcomes:
        store.finish_deliveries(db, outcomes)
    return result


def security_notice(db, user: dict, title: str, text: str, *, critical: bool = False) -> Delivery:
    """Shorthand for the commonest notice: something happened to the account's security."""
    return deliver(db, user, Notice(SECURITY, title, text, critical=critical))
