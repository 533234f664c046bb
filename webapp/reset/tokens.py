"""The e-mailed reset link: its signed token, tied to the current password, and the letter."""

import hashlib

from flask import current_app
from itsdangerous import BadData

from webapp.adapters.mail import MailError, send_mail
from webapp.links import external_url, signer

LINK_MAX_AGE = 60 * 60


def fingerprint(password_hash: str | None) -> str:
    """Ties a link to the current password, so it stops working once used."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def account_from(token: str, row_of) -> dict | None:
    """The account a live token was made for (its password unchanged since), or None."""
    try:
        data = signer("password-reset").loads(token, max_age=LINK_MAX_AGE)
    except BadData:
        return None
    row = row_of(data["u"])
    if not row or row["status"] != "active" or fingerprint(row["password_hash"]) != data["f"]:
        return None
    return row


def send_reset_link(row: dict) -> None:
    """Mail a one-hour link for choosing a new password."""
    token = signer("password-reset").dumps({"u": row["id"], "f": fingerprint(row["password_hash"])})
    link = external_url("reset.link", token=token)
    try:
        send_mail(
            row["email"],
            "Восстановление доступа",
            f"Чтобы задать новый пароль, откройте ссылку (действует 1 час):\n{link}\n\n"
            "Если вы не запрашивали восстановление, ничего не делайте — пароль "
            "останется прежним.",
        )
    except MailError:
        current_app.logger.exception("reset email failed")
