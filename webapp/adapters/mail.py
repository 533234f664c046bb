"""Email: one function, a dev backend (outbox) and an SMTP backend."""

import smtplib
from email.message import EmailMessage

from flask import current_app

from webapp.adapters import outbox


class MailError(Exception):
    """The SMTP server refused or could not be reached."""


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text email through the configured backend."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "dev":
        outbox.store("email", to, body, subject=subject)
        return
    if config["MAIL_BACKEND"] != "smtp":
        raise MailError(f"unknown mail backend {config['MAIL_BACKEND']!r}")
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(
            config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
        ) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(str(exc)) from exc
