"""Rows of `sms_codes`: one-time codes sent by SMS (or by mail), stored as keyed hashes."""

from webapp.clock import now_iso


def _matching(purposes, phone, ip, user_id) -> tuple[str, list]:
    """A where clause (fixed text, `?` placeholders) for codes of these purposes to a number,
    from an address or for an account; empty filters match everything."""
    clauses, args = [], []
    if purposes is not None:
        clauses.append(f"purpose in ({', '.join('?' * len(purposes))})")
        args.extend(purposes)
    for column, value in (("phone", phone), ("ip", ip), ("user_id", user_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    return " and ".join(["1 = 1", *clauses]), args


def count_since(
    db,
    *,
    since: str,
    purposes: tuple[str, ...] | None = None,
    phone: str | None = None,
    ip: str | None = None,
    user_id: int | None = None,
) -> int:
    """Codes (decoys included) created after `since`: of these purposes, to this number, from
    this address, for this account."""
    where, args = _matching(purposes, phone, ip, user_id)
    sql = f"select count(*) from sms_codes where {where} and created_at > ?"  # noqa: S608
    return db.execute(sql, [*args, since]).fetchone()[0]


def count_from(db, start: str) -> int:
    """Every code (decoys included) created from `start` on: the site-wide daily budget."""
    return db.execute("select count(*) from sms_codes where created_at >= ?", [start]).fetchone()[0]


def last_sent_at(
    db, *, purposes: tuple[str, ...], phone: str | None = None, user_id: int | None = None
) -> str | None:
    """When the latest code of these purposes to this number (or for this account) was made."""
    where, args = _matching(purposes, phone, None, user_id)
    sql = f"select max(created_at) from sms_codes where {where}"  # noqa: S608
    return db.execute(sql, args).fetchone()[0]


def wrong_entries_since(db, *, since: str, purposes: tuple[str, ...], phone: str) -> int:
    """Wrong entries of codes of these purposes to this number created after `since`."""
    where, args = _matching(purposes, phone, None, None)
    sql = (
        f"select coalesce(sum(attempts), 0) from sms_codes where {where} "  # noqa: S608
        "and created_at > ?"
    )
    return db.execute(sql, [*args, since]).fetchone()[0]


def insert(db, *, purpose: str, phone: str, user_id, code_hash: str, ip, created_at, expires_at):
    """Store a code, superseding live ones of the same purpose and number; inside db.atomic()."""
    db.execute(
        "update sms_codes set used_at = ? where phone = ? and purpose = ? and used_at is null",
        [created_at, phone, purpose],
    )
    db.execute(
        "insert into sms_codes (purpose, phone, user_id, code_hash, ip, created_at, expires_at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [purpose, phone, user_id, code_hash, ip, created_at, expires_at],
    )


def live(db, *, purpose: str, phone: str) -> dict | None:
    """The newest unused code for this purpose and number."""
    return next(
        db.query(
            "select * from sms_codes where phone = ? and purpose = ? and used_at is null "
            "order by id desc limit 1",
            [phone, purpose],
        ),
        None,
    )


def count_attempt(db, code_id: int) -> None:
    """One more wrong entry of this code."""
    db.execute("update sms_codes set attempts = attempts + 1 where id = ?", [code_id])


def claim(db, code_id: int) -> bool:
    """Use the code up; False when a racing request used it first."""
    cursor = db.execute(
        "update sms_codes set used_at = ? where id = ? and used_at is null", [now_iso(), code_id]
    )
    return cursor.rowcount == 1
