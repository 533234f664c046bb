"""The only SQL for `notifications` (the in-app inbox) and `notification_prefs`."""

from webapp.clock import now_iso
from webapp.db import one_or_404

TOPICS = ("reminders", "applications")
CHANNELS = ("email", "sms")
DEFAULT_PREFS = {("reminders", "email"): True, ("applications", "email"): True}


def add(
    db, user_id: int, *, kind: str, title: str, body: str, ip=None, user_agent=None, link=None
) -> int:
    """Put a notice in the user's inbox (`link`: the page it is about, a path on this site)."""
    return (
        db["notifications"]
        .insert(
            {
                "user_id": user_id,
                "kind": kind,
                "title": title,
                "body": body,
                "ip": ip,
                "user_agent": user_agent,
                "link": link,
                "created_at": now_iso(),
            }
        )
        .last_pk
    )


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
