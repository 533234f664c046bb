"""SQL of the reminder runner: the records it looks at and the `reminders` claims."""

from datetime import date

from webapp.clock import now_iso

EVERYONE = (0, 2**63 - 1)  # a range of user ids that holds every user


def active_workers(db, users: tuple[int, int] = EVERYONE) -> list[dict]:
    """Active accounts with the worker role whose ids are in `users` (first, last): id, email,
    phone, time zone."""
    return list(
        db.query(
            """select id, email, phone, time_zone from users
            where status = 'active' and id between ? and ?
            and id in (select user_id from user_roles where role = 'worker')
            order by id""",
            users,
        )
    )


def worker_id_bounds(db, size: int) -> list[tuple[int, int]]:
    """The ids of active workers cut into consecutive ranges of `size` workers (first, last)."""
    ids = [
        row[0]
        for row in db.execute(
            """select id from users where status = 'active'
            and id in (select user_id from user_roles where role = 'worker') order by id"""
        )
    ]
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def live_certificates(db, since: date, users: tuple[int, int] = EVERYONE) -> list[dict]:
    """Certificates and accreditations that ended on or after `since`, not rejected."""
    return list(
        db.query(
            """select id, user_id, kind, specialty, number, issued_on, valid_until
            from certificates where valid_until >= ? and verification != 'rejected'
            and user_id between ? and ?""",
            [since.isoformat(), *users],
        )
    )


def live_categories(db, since: date, users: tuple[int, int] = EVERYONE) -> list[dict]:
    """Qualification categories that ended on or after `since`, not rejected."""
    return list(
        db.query(
            """select id, user_id, specialty, category, valid_until from categories
            where valid_until >= ? and verification != 'rejected' and user_id between ? and ?""",
            [since.isoformat(), *users],
        )
    )


def nmo_between(db, first: date, last: date, users: tuple[int, int] = EVERYONE) -> list[dict]:
    """Workers' НМО entries in a period, not rejected."""
    return list(
        db.query(
            """select user_id, specialty, day, zet from nmo_entries
            where day between ? and ? and verification != 'rejected'
            and user_id between ? and ?""",
            [first.isoformat(), last.isoformat(), *users],
        )
    )


def claimed_keys(db, since: date, users: tuple[int, int] = EVERYONE) -> set[tuple[int, str]]:
    """Keys already claimed whose stage began on or after `since` (older ones cannot be due)."""
    return {
        (row["user_id"], row["reminder_key"])
        for row in db.query(
            "select user_id, reminder_key from reminders where due_on >= ? "
            "and user_id between ? and ?",
            [since.isoformat(), *users],
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
    """Note that the reminder was handed to `deliver()` (its messages are in `deliveries`), or
    why it could not be."""
    if error:
        db.execute("update reminders set error = ? where id = ?", [error, reminder_id])
    else:
        db.execute("update reminders set sent_at = ? where id = ?", [now_iso(), reminder_id])
