"""Telling people things: security notices in the inbox, by email and (when critical) by SMS."""

import logging

from flask import current_app, has_request_context, request, url_for
from itsdangerous import URLSafeTimedSerializer

from webapp.adapters.mail import MailError, send_mail
from webapp.adapters.sms import SmsError, send_sms
from webapp.clock import now
from webapp.db import get_db
from webapp.notifications import inbox

log = logging.getLogger("medkab.notifications")


def not_me_serializer() -> URLSafeTimedSerializer:
    """Signs the «Это был не я» links."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="not-me")


def not_me_link(user_id: int) -> str:
    """A link that ends all sessions, blocks password sign-in and starts recovery."""
    token = not_me_serializer().dumps({"u": user_id})
    return url_for("security_notice.not_me", token=token, _external=True)


def _where() -> tuple[str, str | None, str | None]:
    if not has_request_context():
        return "", None, None
    device = (request.user_agent.string or "неизвестное устройство")[:300]
    from webapp.template_helpers import device_name

    text = (
        f"\n\nВремя: {now():%d.%m.%Y %H:%M} UTC\nIP-адрес: {request.remote_addr}"
        f"\nУстройство: {device_name(device)}"
    )
    return text, request.remote_addr, device


def notify_owner(
    user: dict, subject: str, text: str, *, sms: bool = False, kind: str = "security"
) -> None:
    """A security notice: inbox + email (+ SMS when critical); never fails the request."""
    where, ip, device = _where()
    inbox.add(get_db(), user["id"], kind=kind, title=subject, body=text, ip=ip, user_agent=device)
    body = (
        f"{text}{where}\n\nЕсли это были не вы, нажмите «Это был не я»: {not_me_link(user['id'])}"
    )
    try:
        send_mail(user["email"], subject, body)
    except MailError:
        log.exception("security email to user %s failed", user["id"])
    if sms:
        try:
            send_sms(user["phone"], f"Кабинет медработника: {text}")
        except SmsError:
            log.exception("security SMS to user %s failed", user["id"])
