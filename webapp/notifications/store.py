"""The only SQL for `notifications` (the in-app inbox), `notification_prefs` and
`push_subscriptions` (the devices Web Push reaches)."""

from datetime import timedelta

from flask import g, has_app_context

from webapp.clock import now, now_iso
from webapp.db import one_or_404

TOPICS = ("reminders", "applications")
CHANNELS = ("email", "sms", "push")
DEFAULT_PREFS = {
    ("reminders", "email"): True,
    ("applications", "email"): True,
    ("reminders", "push"): True,  # push reaches only devices the person turned it on for
    ("applications", "push"): True,
}


def add(
    db, user_id: int, *, kind: str, title: str, body: str, ip=None, user_agent=None, link=None
) -> int:
    """Put a notice in the user's inbox (`link`: the page it is about, a path on this site)."""
    _forget_count()
    return db.execute(
        "insert into notifications (user_id, kind, title, body, ip, user_agent, link, "
        "created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [user_id, kind, title, body, ip, user_agent, link, now_iso()],
    ).lastrowid


def _forget_count() -> None:
    """The inbox changed: the count the session's query brought along is stale."""
    if has_app_context():
        g.pop("unread_notices", None)


def unread_count(db, user_id: int) -> int:
    """How many notices the user has not read."""
    return db.execute(
        "select count(*) from notifications where user_id = ? and read_at is null", [user_id]
    ).fetchone()[0]


def page(db, user_id: int, *, before_id: int | None = None, limit: int = 20) -> list[dict]:
    """Newest notices first, keyset-paginated."""
    return list(
        db.query(
            "select * from notifications where user_id = ? and id < ? order by id desc limit ?",
            [user_id, before_id or 2**62, limit],
        )
    )


def get_notification_or_404(db, notification_id: int, user) -> dict:
    """One of the user's own notices; anybody else's answers 404 like a missing one."""
    return one_or_404(
        db, "select * from notifications where id = ? and user_id = ?", [notification_id, user.id]
    )


def mark_read(db, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notice (or, with None, all) as read."""
    _forget_count()
    if notification_id is None:
        return db.execute(
            "update notifications set read_at = ? where user_id = ? and read_at is null",
            [now_iso(), user_id],
        ).rowcount
    return db.execute(
        "update notifications set read_at = coalesce(read_at, ?) where id = ? and user_id = ?",
        [now_iso(), notification_id, user_id],
    ).rowcount


def prefs(db, user_id: int) -> dict[tuple[str, str], bool]:
    """Channel choices per (topic, channel), defaults filled in."""
    result = {(t, c): DEFAULT_PREFS.get((t, c), False) for t in TOPICS for c in CHANNELS}
    for row in db.query(
        "select topic, channel, enabled from notification_prefs where user_id = ?", [user_id]
    ):
        result[(row["topic"], row["channel"])] = bool(row["enabled"])
    return result


def save_prefs(db, user_id: int, chosen: dict[tuple[str, str], bool]) -> None:
    """Store every (topic, channel) choice."""
    db["notification_prefs"].upsert_all(
        [
            {"user_id": user_id, "topic": t, "channel": c, "enabled": int(on)}
            for (t, c), on in chosen.items()
        ],
        pk=("user_id", "topic", "channel"),
    )


def push_subscriptions(db, user_id: int) -> list[dict]:
    """The user's devices that take pushes, oldest first."""
    return list(
        db.query("select * from push_subscriptions where user_id = ? order by id", [user_id])
    )


def get_push_subscription_or_404(db, subscription_id: int, user) -> dict:
    """One of the user's own devices; anybody else's answers 404 like a missing one."""
    return one_or_404(
        db,
        "select * from push_subscriptions where id = ? and user_id = ?",
        [subscription_id, user.id],
    )


def save_push_subscription(
    db, user_id: int, *, endpoint: str, p256dh: str, auth: str, device: str
) -> tuple[int, str]:
    """Store a browser's subscription for the user: (id, what happened) where what happened is
    'added', 'renewed' (the same endpoint again: keys and device refreshed, no second row) or
    'moved' (the endpoint was another user's: the browser now belongs to this one)."""
    known = next(
        db.query("select id, user_id from push_subscriptions where endpoint = ?", [endpoint]), None
    )
    if known is None:
        added = db["push_subscriptions"].insert(
            {
                "user_id": user_id,
                "endpoint": endpoint,
                "p256dh": p256dh,
                "auth": auth,
                "device": device,
                "created_at": now_iso(),
            }
        )
        return added.last_pk, "added"
    db.execute(
        "update push_subscriptions set user_id = ?, p256dh = ?, auth = ?, device = ?, "
        "created_at = case when user_id = ? then created_at else ? end, "
        "last_used_at = case when user_id = ? then last_used_at end where id = ?",
        [user_id, p256dh, auth, device, user_id, now_iso(), user_id, known["id"]],
    )
    return known["id"], "renewed" if known["user_id"] == user_id else "moved"


def count_push_subscriptions(db, user_id: int, *, besides_endpoint: str | None = None) -> int:
    """How many devices take the user's pushes (not counting one endpoint, when given)."""
    return db.execute(
        "select count(*) from push_subscriptions where user_id = ? and endpoint is not ?",
        [user_id, besides_endpoint],
    ).fetchone()[0]


def push_used(db, subscription_id: int) -> None:
    """A push reached the device's push service."""
    db.execute(
        "update push_subscriptions set last_used_at = ? where id = ?", [now_iso(), subscription_id]
    )


def delete_push_subscription(db, subscription_id: int) -> int:
    """Forget one device (rows deleted: 0 when it was already gone)."""
    return db.execute("delete from push_subscriptions where id = ?", [subscription_id]).rowcount


# Deliveries: a notice's outside messages, sent by the job queue (notifications/tasks.py) ----

MAX_ATTEMPTS = 5  # a message that failed this often is given up (the inbox still has it)
SWEEP_AFTER = timedelta(minutes=2)  # a new message still pending then lost its enqueue


def add_deliveries(db, notification_id: int, user_id: int, messages: list[dict]) -> list[int]:
    """Store a notice's rendered messages (channel, recipient, subject, body, meta), pending;
    the sweep looks at them only after SWEEP_AFTER (they are enqueued at commit)."""
    stamp = now_iso()
    sweep_at = (now() + SWEEP_AFTER).isoformat(timespec="seconds")
    ids = []
    for message in messages:
        cursor = db.execute(
            "insert into deliveries (notification_id, user_id, channel, recipient, subject, "
            "body, meta, next_at, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                notification_id,
                user_id,
                message["channel"],
                message["recipient"],
                message.get("subject"),
                message["body"],
                message.get("meta"),
                sweep_at,
                stamp,
            ],
        )
        ids.append(cursor.lastrowid)
    return ids


def claim_deliveries(db, ids: list[int], runner: str) -> list[dict]:
    """Take the still pending ones of these messages for sending, in one statement: of two
    runners given the same ids each message goes to exactly one."""
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    return list(
        db.query(
            f"update deliveries set status = 'sending', claimed_by = ?, claimed_at = ?, "  # noqa: S608
            f"attempts = attempts + 1 where status = 'pending' and id in ({marks}) "
            "returning id, notification_id, user_id, channel, recipient, subject, body, meta, "
            "attempts",
            [runner, now_iso(), *ids],
        )
    )


def finish_deliveries(db, outcomes: list[tuple[int, str, str | None, str | None]]) -> None:
    """Record (id, status, error, next_at) for claimed messages, in one transaction."""
    stamp = now_iso()
    with db.atomic():
        db.conn.executemany(
            "update deliveries set status = ?, error = ?, next_at = coalesce(?, next_at), "
            "sent_at = case when ? = 'sent' then ? end where id = ? and status = 'sending'",
            [
                (status, error, next_at, status, stamp, id_)
                for id_, status, error, next_at in outcomes
            ],
        )


def due_deliveries(db, limit: int) -> list[int]:
    """Pending messages whose time has come (a retry's, or one whose enqueue was lost)."""
    return [
        row["id"]
        for row in db.query(
            "select id from deliveries where status = 'pending' and next_at <= ? "
            "order by next_at limit ?",
            [now_iso(), limit],
        )
    ]


def give_up_interrupted(db, claimed_before: str) -> int:
    """Messages claimed long ago and never finished (their consumer died while sending): they
    are not sent again, since they may have gone; marked failed. Returns how many."""
    return db.execute(
        "update deliveries set status = 'failed', error = 'прервано: исход неизвестен' "
        "where status = 'sending' and claimed_at < ?",
        [claimed_before],
    ).rowcount


def deliveries_of(db, notification_id: int) -> list[dict]:
    """A notice's messages with their state (tests, support)."""
    return list(
        db.query(
            "select id, channel, recipient, status, attempts, error, sent_at from deliveries "
            "where notification_id = ? order by id",
            [notification_id],
        )
    )


def push_subscription(db, subscription_id: int) -> dict | None:
    """One device's subscription, or None when it was turned off meanwhile."""
    return next(db.query("select * from push_subscriptions where id = ?", [subscription_id]), None)
