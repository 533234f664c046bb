"""Rows of `sms_codes`: one-time codes sent by SMS (or by mail), stored as keyed hashes."""

from webapp.clock import now_iso


def count_since(db, *, since: str, phone: str | None = None, ip: str | None = None) -> int:
    """Codes created after `since`: to this number, from this address, or (neither) at all."""
    if phone is not None:
        sql, args = "select count(*) from sms_codes where phone = ? and created_at > ?", [phone]
    elif ip is not None:
        sql, args = "select count(*) from sms_codes where ip = ? and created_at > ?", [ip]
    else:
        sql, args = "select count(*) from sms_codes where created_at >= ?", []
    return db.execute(sql, [*args, since]).fetchone()[0]


def last_sent_at(db, phone: str) -> str | None:
    """When the latest code to this number was made."""
    return db.execute("select max(created_at) from sms_codes where phone = ?", [phone]).fetchone()[
        0
    ]


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
