"""Rows of `factor_failures`: consecutive failures per user and factor."""

from webapp.clock import now_iso


def get(db, user_id: int, factor: str) -> dict | None:
    """The run of failures of this factor, or None."""
    return next(
        db.query(
            "select count, last_failure_at from factor_failures where user_id = ? and factor = ?",
            [user_id, factor],
        ),
        None,
    )


def add(db, user_id: int, factor: str) -> int:
    """Count one more failure; return the new consecutive count."""
    db.execute(
        "insert into factor_failures (user_id, factor, count, last_failure_at) values (?, ?, 1, ?) "
        "on conflict (user_id, factor) do update set count = count + 1, "
        "last_failure_at = excluded.last_failure_at",
        [user_id, factor, now_iso()],
    )
    return db.execute(
        "select count from factor_failures where user_id = ? and factor = ?", [user_id, factor]
    ).fetchone()[0]


def clear(db, user_id: int, factor: str) -> None:
    """End the run of failures of this factor."""
    db.execute("delete from factor_failures where user_id = ? and factor = ?", [user_id, factor])


def mark_notified(db, user_id: int, factor: str) -> bool:
    """Claim the right to tell the owner about this run of failures once."""
    cursor = db.execute(
        "update factor_failures set notified_at = ? where user_id = ? and factor = ? "
        "and notified_at is null",
        [now_iso(), user_id, factor],
    )
    return cursor.rowcount == 1
