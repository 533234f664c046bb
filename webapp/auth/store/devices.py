"""Rows of `known_devices`: browsers a user has signed in from, by a hashed cookie."""

from webapp.clock import now_iso


def remember(db, user_id: int, device_hash: str) -> tuple[int, bool]:
    """Note the device; return how many the user had before and whether this one was known."""
    known = db.execute(
        "select count(*), coalesce(sum(device_hash = ?), 0) from known_devices where user_id = ?",
        [device_hash, user_id],
    ).fetchone()
    stamp = now_iso()
    db.execute(
        "insert into known_devices (user_id, device_hash, first_seen_at, last_seen_at) "
        "values (?, ?, ?, ?) on conflict (user_id, device_hash) do update set "
        "last_seen_at = excluded.last_seen_at",
        [user_id, device_hash, stamp, stamp],
    )
    return known[0], bool(known[1])
