"""The audit log: who did what to which record, when, from where, with what result."""

import json

from flask import has_request_context, request
from flask_login import current_user

from webapp.clock import now_iso

LOGIN_ACTIONS = (
    "login.success",
    "login.failure",
    "login.locked",
    "logout",
    "session.revoke",
    "password.reset",
)


def record(
    db,
    action: str,
    *,
    subject_user_id: int | None = None,
    object_type: str | None = None,
    object_id=None,
    result: str = "ok",
    actor_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Append one audit row. Never pass secrets or codes in details."""
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        user_agent = (request.user_agent.string or "")[:300]
        if actor_id is None and current_user and current_user.is_authenticated:
            actor_id = current_user.id
    db["audit_log"].insert(
        {
            "at": now_iso(),
            "actor_id": actor_id,
            "subject_user_id": subject_user_id if subject_user_id is not None else actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "result": result,
            "ip": ip,
            "user_agent": user_agent,
            "details": json.dumps(details, ensure_ascii=False) if details else None,
        }
    )


def login_history(db, user_id: int, limit: int = 50) -> list[dict]:
    """The user's last sign-in events, newest first."""
    marks = ",".join("?" for _ in LOGIN_ACTIONS)
    return list(
        db.query(
            f"select * from audit_log where subject_user_id = ? and action in ({marks}) "  # noqa: S608
            "order by id desc limit ?",
            [user_id, *LOGIN_ACTIONS, limit],
        )
    )


def search(
    db, *, action=None, user_id=None, date_from=None, date_to=None, before_id=None, limit=50
) -> list[dict]:
    """Admin view: filtered, keyset-paginated by id descending."""
    where, params = [], []
    if action:
        where.append("action like ?")
        params.append(action.replace("%", "") + "%")
    if user_id:
        where.append("(actor_id = ? or subject_user_id = ?)")
        params += [user_id, user_id]
    if date_from:
        where.append("at >= ?")
        params.append(date_from.isoformat())
    if date_to:
        where.append("at < date(?, '+1 day')")
        params.append(date_to.isoformat())
    if before_id:
        where.append("id < ?")
        params.append(before_id)
    clause = ("where " + " and ".join(where)) if where else ""
    return list(
        db.query(
            f"select * from audit_log {clause} order by id desc limit ?",  # noqa: S608
            [*params, limit],
        )
    )


def about_user(db, user_id: int, *, before_id: int | None = None, limit: int = 30) -> list[dict]:
    """Who read or changed this person's data (sign-ins are in «История входов»), newest first."""
    marks = ",".join("?" for _ in LOGIN_ACTIONS)
    keyset = "and a.id < ?" if before_id else ""
    return list(
        db.query(
            "select a.*, u.surname as actor_surname, u.name as actor_name, "  # noqa: S608
            "u.patronymic as actor_patronymic, "
            "(select group_concat(role) from user_roles r where r.user_id = a.actor_id) "
            "as actor_roles "
            "from audit_log a left join users u on u.id = a.actor_id "
            f"where a.subject_user_id = ? and a.action not in ({marks}) "
            f"and a.action not like 'sms.%' {keyset} order by a.id desc limit ?",
            [user_id, *LOGIN_ACTIONS, *([before_id] if before_id else []), limit],
        )
    )
