"""Telling people things: security notices to the account owner through every channel."""

import logging

from flask import has_request_context, request

from webapp.adapters.mail import MailError, send_mail
from webapp.adapters.sms import SmsError, send_sms
from webapp.clock import now

log = logging.getLogger("medkab.notifications")


def _where() -> str:
    if not has_request_context():
        return ""
    device = (request.user_agent.string or "неизвестное устройство")[:120]
    return (
        f"\n\nВремя: {now():%d.%m.%Y %H:%M} UTC\nIP-адрес: {request.remote_addr}"
        f"\nУстройство: {device}"
    )


def notify_owner(user: dict, subject: str, text: str, *, sms: bool = False) -> None:
    """Send a security notice by email (and SMS when critical); never fails the request."""
    body = (
        text
        + _where()
        + (
            "\n\nЕсли это были не вы, восстановите пароль и завершите все сеансы "
            "в разделе «Мои сессии»."
        )
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
