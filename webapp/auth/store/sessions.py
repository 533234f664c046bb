"""Rows of the `sessions` table: one per signed-in (or form-holding) browser."""

from datetime import timedelta

from webapp.clock import now
from webapp.db import one_or_404

_COLUMNS = (
    "token_hash",
    "user_id",
    "last_seen_at",
    "ip",
    "user_agent",
    "auth_level",
    "auth_at",
    "data",
    "created_at",
)
_INSERT = (
    f"insert into sessions ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed names
    f"values ({', '.join('?' for _ in _COLUMNS)})"
)


def by_token_hash(db, token_hash: str) -> tuple[dict, dict | None] | None:
    """The session row with this token digest and, when it is signed in, its user's row with
    `role_list` and `unread_notices` (the bell in every page's header): one query, since every
    request starts with all of it; or None."""
    cursor = db.execute(
        "select s.*, null as _user_columns_follow, u.*, (select group_concat(role) "
        "from user_roles r where r.user_id = u.id) as role_list, (select count(*) "
        "from notifications n where n.user_id = u.id and n.read_at is null) as unread_notices "
        "from sessions s left join users u on u.id = s.user_id where s.token_hash = ?",
        [token_hash],
    )
    found = cursor.fetchone()
    if found is None:
        return None
    names = [c[0] for c in cursor.description]
    split = names.index("_user_columns_follow")
    session = dict(zip(names[:split], found[:split], strict=True))
    user = dict(zip(names[split + 1 :], found[split + 1 :], strict=True))
    return session, (user if user["id"] is not None else None)


def delete(db, session_id: int) -> None:
    """Remove one row (expired or replaced)."""
    db.execute("delete from sessions where id = ?", [session_id])


def delete_by_token_hash(db, token_hash: str) -> None:
    """Remove the row of a signed-out browser."""
    db.execute("delete from sessions where token_hash = ?", [token_hash])


def replace(db, old_hash: str | None, fields: dict) -> None:
    """Insert a new row and mark the old one replaced; call inside db.atomic()."""
    if old_hash:
        db.execute(
            "update sessions set replaced_at = ?, user_id = null, data = '{}' where token_hash = ?",
            [fields["created_at"], old_hash],
        )
    # plain SQL: sqlite-utils' insert() re-reads the schema every time
    db.execute(_INSERT, [fields[name] for name in _COLUMNS])


def add_for_visitor(db, fields: dict) -> None:
    """The row of a visitor's token; two requests making it at once leave the later one's data
    (as two saves of one row do)."""
    db.execute(
        f"{_INSERT} on conflict (token_hash) do update set "
        "data = excluded.data, last_seen_at = excluded.last_seen_at, ip = excluded.ip",
        [fields[name] for name in _COLUMNS],
    )


def save(db, token_hash: str, *, data: str, user_id, auth_level, auth_at, seen_at, ip) -> None:
    """Store changed session data and note the visit."""
    db.execute(
        "update sessions set data = ?, user_id = ?, auth_level = ?, auth_at = ?, "
        "last_seen_at = ?, ip = ? where token_hash = ?",
        [data, user_id, auth_level, auth_at, seen_at, ip, token_hash],
    )


def touch(db, token_hash: str, *, seen_at: str, ip) -> None:
    """Note a visit (at most once a minute per session)."""
    db.execute(
        "update sessions set last_seen_at = ?, ip = ? where token_hash = ?",
        [seen_at, ip, token_hash],
    )


def get_session_or_404(db, session_id: int, user) -> dict:
    """One of the user's own sessions; anybody else's answers 404 like a missing one."""
    return one_or_404(
        db, "select id, user_id from sessions where id = ? and user_id = ?", [session_id, user.id]
    )


def list_for_user(db, user_id: int) -> list[dict]:
    """Live sessions of a user, most recent first."""
    return list(
        db.query(
            "select id, created_at, last_seen_at, ip, user_agent, auth_level from sessions "
            "where user_id = ? order by last_seen_at desc limit 100",
            [user_id],
        )
    )


def end(db, user_id: int, session_id: int) -> bool:
    """End one of the user's sessions; False when it is already gone."""
    cursor = db.execute("delete from sessions where id = ? and user_id = ?", [session_id, user_id])
    return cursor.rowcount == 1


def end_all(db, user_id: int, *, keep_id: int | None = None) -> int:
    """End every session of the user (but `keep_id`, this device); return how many ended."""
    cursor = db.execute(
        "delete from sessions where user_id = ? and id is not ?", [user_id, keep_id]
    )
    return cursor.rowcount


def purge_expired(db, idle_seconds: int) -> int:
    """Delete rows idle past the timeout (run from the CLI or periodically)."""
    cutoff = (now() - timedelta(seconds=idle_seconds)).isoformat(timespec="seconds")
    return db.execute("delete from sessions where last_seen_at < ?", [cutoff]).rowcount
