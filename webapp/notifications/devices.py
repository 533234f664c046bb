"""Known devices: a long-lived random cookie; a sign-in from a new one is reported."""

import hashlib
import secrets
from datetime import timedelta

from flask import after_this_request, current_app, request

from webapp.auth.store import get_row
from webapp.clock import now_iso

COOKIE = "medkab_device"


def remember_device(db, user_id: int) -> None:
    """Note this browser for the user; tell them when it is new (but not on the first one)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 64:
        token = secrets.token_urlsafe(16)
    digest = hashlib.sha256(token.encode()).hexdigest()
    known = db.execute(
        "select count(*), sum(device_hash = ?) from known_devices where user_id = ?",
        [digest, user_id],
    ).fetchone()
    stamp = now_iso()
    db.execute(
        "insert into known_devices (user_id, device_hash, first_seen_at, last_seen_at) "
        "values (?, ?, ?, ?) on conflict (user_id, device_hash) do update set "
        "last_seen_at = excluded.last_seen_at",
        [user_id, digest, stamp, stamp],
    )
    if known[0] and not known[1]:
        from webapp.notifications import notify_owner

        notify_owner(
            get_row(db, user_id),
            "Вход с нового устройства",
            "В ваш Кабинет медработника выполнен вход с устройства, с которого вы "
            "раньше не входили.",
        )

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            COOKIE,
            token,
            max_age=timedelta(days=current_app.config["DEVICE_COOKIE_DAYS"]),
            secure=current_app.config["HTTPS"],
            httponly=True,
            samesite="Lax",
            path="/",
        )
        return response
