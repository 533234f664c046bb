"""The public check of a выписка by the link in its QR code.

Anybody may open it, signed in or not. It tells only what the выписка itself shows to whoever
holds it — initials and surname, specialty, dates, kind, whether it is in force — and the
SHA-256 of the signed PDF to compare a copy with: never the number, the birth date, СНИЛС or any
identifier. A token that is not ours (malformed, forged, altered) is «not found».
"""

import re
from datetime import date, datetime

from flask import Blueprint, render_template

from webapp.applications import store
from webapp.applications.kinds import KINDS
from webapp.auth.store import users
from webapp.clock import local, today
from webapp.db import get_db
from webapp.names import initials

bp = Blueprint("check", __name__, url_prefix="/check")

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def public_name(surname: str, name: str | None, patronymic: str | None) -> str:
    """«А. В. Смирнова»: initials, then the surname."""
    parts = [initials(name), initials(patronymic), (surname or "").strip()]
    return " ".join(part for part in parts if part)


def standing(application: dict, day: date) -> tuple[str, str]:
    """(tone, words): in force, revoked on a day, or expired."""
    if application["revoked_at"]:
        stamp = application["revoked_at"]
        revoked = (
            local(datetime.fromisoformat(stamp), None).date()
            if len(stamp) > 10
            else date.fromisoformat(stamp)
        )
        return "bad", f"Недействительна (отозвана {revoked:%d.%m.%Y})"
    if application["result_valid_until"] and application["result_valid_until"] < day:
        return "bad", "Срок действия истёк"
    return "good", "Действительна"


def _answer(body: str, status: int = 200):
    return body, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


@bp.get("/<token>")
def show(token):
    """What a выписка with this token says, and whether it is in force today."""
    application = store.by_result_token(get_db(), token) if TOKEN.fullmatch(token) else None
    if application is None:
        return _answer(render_template("check/show.html", found=False), 404)
    person = users.get_row(get_db(), application["user_id"])
    tone, words = standing(application, today(None))
    return _answer(
        render_template(
            "check/show.html",
            found=True,
            name=public_name(person["surname"], person["name"], person["patronymic"]),
            specialty=application["specialty"],
            kind_title=KINDS[application["kind"]].title,
            decided_on=application["decision_date"],
            valid_until=application["result_valid_until"],
            tone=tone,
            words=words,
            sha256=application["result_sha256"],
        )
    )
