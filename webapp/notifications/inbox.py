"""The in-app inbox: notices per user, unread count, mark read."""

from webapp.clock import now_iso


def add(db, user_id: int, *, kind: str, title: str, body: str, ip=None, user_agent=None) -> int:
    """Put a notice in the user's inbox."""
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
