"""Known devices: a long-lived random cookie; a sign-in from a new one is reported."""

import hashlib
import secrets
from datetime import timedelta

from flask import after_this_request, current_app, request

from webapp.auth.store import devices, users
from webapp.notifications.deliver import security_notice

COOKIE = "medkab_device"


def remember_device(db, user_id: int) -> None:
    """Note this browser for the user; tell them when it is new (but not on the first one)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 64:
        token = secrets.token_urlsafe(16)
    digest = hashlib.sha256(token.encode()).hexdigest()
    before, known = devices.remember(db, user_id, digest)
    if before and not known:
        security_notice(
            db,
            users.get_row(db, user_id),
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
