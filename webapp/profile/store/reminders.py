"""SQL of the reminder runner: the records it looks at and the `reminders` claims."""

from datetime import date

from webapp.clock import now_iso


def active_workers(db) -> list[dict]:
    """Every active account with the worker role: id, email, phone, time zone."""
    return list(
        db.query(
            """select id, email, phone, time_zone from users
            where status = 'active'
            and id in (select user_id from user_roles where role = 'worker')
            order by id"""
        )
    )


def live_certificates(db, since: date) -> list[dict]:
    """Certificates and accreditations that ended on or after `since`, not rejected."""
    return list(
        db.query(
            """select id, user_id, kind, specialty, number, issued_on, valid_until
            from certificates where valid_until >= ? and verification != 'rejected'""",
            [since.isoformat()],
        )
    )


def live_categories(db, since: date) -> list[dict]:
    """Qualification categories that ended on or after `since`, not rejected."""
    return list(
        db.query(
            """select id, user_id, specialty, category, valid_until from categories
            where valid_until >= ? and verification != 'rejected'""",
            [since.isoformat()],
        )
    )


def nmo_between(db, first: date, last: date) -> list[dict]:
    """Every worker's НМО entries in a period, not rejected."""
    return list(
        db.query(
            """select user_id, specialty, day, zet from nmo_entries
            where day between ? and ? and verification != 'rejected'""",
            [first.isoformat(), last.isoformat()],
        )
    )


def claimed_keys(db, since: date) -> set[tuple[int, str]]:
    """Keys already claimed whose stage began on or after `since` (older ones cannot be due)."""
    return {
        (row["user_id"], row["reminder_key"])
        for row in db.query(
            "select user_id, reminder_key from reminders where due_on >= ?", [since.isoformat()]
        )
    }


def claim(db, user_id: int, key: str, due_on: date, runner_id: str) -> int | None:
    """Claim one reminder; None when another runner (or an earlier run) has it."""
    cursor = db.execute(
        """insert into reminders (user_id, reminder_key, due_on, claimed_at, claimed_by)
        values (?, ?, ?, ?, ?) on conflict (user_id, reminder_key) do nothing""",
        [user_id, key, due_on.isoformat(), now_iso(), runner_id],
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


def finish(db, reminder_id: int, error: str | None) -> None:
    """Note that the reminder went out, or why a channel failed."""
    if error:
        db.execute("update reminders set error = ? where id = ?", [error, reminder_id])
    else:
        db.execute("update reminders set sent_at = ? where id = ?", [now_iso(), reminder_id])
