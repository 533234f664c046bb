"""Password reset by SMS code or e-mail link; the second factor still stands in the way."""

from flask import Blueprint, current_app, flash, redirect, session, url_for

from webapp import audit, htmx
from webapp.auth.factors import has_second_factor, password_min_length
from webapp.auth.flows import check_code, cipher, send_code, set_password
from webapp.auth.forms import CodeForm, NewPasswordForm, ResetRequestForm
from webapp.auth.stepup import begin_check
from webapp.auth.store import factors, users
from webapp.clock import now_iso
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.forms import email_problem
from webapp.reset.tokens import account_from, send_reset_link
from webapp.validators import normalize_phone

bp = Blueprint("reset", __name__, url_prefix="/reset")


def second_factor_gate(user_id: int) -> str | None:
    """After the reset code or link: an enrolled second factor (or a recovery code) first.

    Returns the URL of the check, or None when the account has no second factor.
    """
    if not has_second_factor(factors.enrolled(get_db(), user_id)):
        return None
    return begin_check("reset", user_id)


def _limit():
    return current_app.config["RATELIMIT_SIGNUP"]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def start():
    """Ask for the phone or email; the answer is the same whether an account exists or not."""
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return htmx.form_page("reset/start.html", form=form)
    db = get_db()
    value = form.login.data
    if "@" in value:
        problem = email_problem(value)
        if problem:
            form.login.errors.append(problem)
            return htmx.form_page("reset/start.html", 422, form=form)
        row = users.find_by_login(db, cipher(), value, current_app.config["SMS_ALLOWED_REGIONS"])
        if row and row["status"] == "active":
            send_reset_link(row)
        audit.record(
            db,
            "password.reset_request",
            subject_user_id=row["id"] if row else None,
            details={"channel": "email"},
        )
        return htmx.form_page("reset/link_sent.html", 200, email=value.casefold())
    phone = normalize_phone(value, current_app.config["SMS_ALLOWED_REGIONS"])
    if phone is None:
        form.login.errors.append(
            "Введите российский мобильный номер (+7 и 10 цифр) или адрес почты."
        )
        return htmx.form_page("reset/start.html", 422, form=form)
    row = users.find_by_login(db, cipher(), phone, current_app.config["SMS_ALLOWED_REGIONS"])
    user_id = row["id"] if row and row["status"] == "active" else None
    refusal = _send(db, phone, user_id)
    if refusal:
        flash(refusal, "error")
    audit.record(db, "password.reset_request", subject_user_id=user_id, details={"channel": "sms"})
    session["reset"] = {"phone": phone, "user_id": user_id}
    return htmx.redirect_to(url_for("reset.code"))


def _send(db, phone: str, user_id: int | None) -> str | None:
    """A code to an account's phone, or a decoy (never sent) to a number without one: both
    take the same limits and answer guesses alike, so the answers do not tell them apart."""
    return send_code(db, purpose="reset", phone=phone, user_id=user_id, decoy=user_id is None)


@bp.route("/code", methods=["GET", "POST"])
def code():
    """Enter the code from the SMS."""
    pending = session.get("reset")
    if not pending or "phone" not in pending:
        return redirect(url_for("reset.start"))
    form = CodeForm()
    if not form.validate_on_submit():
        return htmx.form_page("reset/code.html", form=form, phone=pending["phone"])
    db = get_db()
    verdict = check_code(
        db, purpose="reset", phone=pending["phone"], code=form.code.data, user_id=pending["user_id"]
    )
    if not verdict.ok or pending["user_id"] is None:
        form.code.errors.append(verdict.message or "Код устарел. Запросите новый.")
        return htmx.form_page("reset/code.html", 422, form=form, phone=pending["phone"])
    return _proven(pending["user_id"])


@bp.post("/code/resend")
@limiter.limit(_limit)
def resend():
    """Send the reset code again."""
    pending = session.get("reset")
    if not pending or "phone" not in pending:
        return redirect(url_for("reset.start"))
    refusal = _send(get_db(), pending["phone"], pending["user_id"])
    if refusal:
        flash(refusal, "error")
        return htmx.redirect_to(url_for("reset.code"))
    flash("Если номер зарегистрирован, мы отправили новый код.", "success")
    return htmx.redirect_to(url_for("reset.code"))


@bp.get("/link/<token>")
def link(token):
    """Open the email link."""
    row = account_from(token, lambda user_id: users.get_row(get_db(), user_id))
    if row is None:
        flash("Ссылка недействительна или устарела. Запросите восстановление ещё раз.", "error")
        return redirect(url_for("reset.start"))
    return _proven(row["id"])


def _proven(user_id: int):
    """The person controls the phone or mailbox: pass the gate, then choose a password."""
    session["reset"] = {"user_id": user_id, "proven_at": now_iso()}
    gate = second_factor_gate(user_id)
    return htmx.redirect_to(gate or url_for("reset.password"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Choose the new password; every session of the account ends."""
    pending = session.get("reset")
    if not pending or "proven_at" not in pending:
        return redirect(url_for("reset.start"))
    db = get_db()
    facts = factors.enrolled(db, pending["user_id"])
    if has_second_factor(facts) and not pending.get("second_factor"):
        audit.record(
            db,
            "password.reset",
            subject_user_id=pending["user_id"],
            result="refused",
            details={"reason": "second factor not passed"},
        )
        return htmx.redirect_to(begin_check("reset", pending["user_id"]))
    row = users.get_row(db, pending["user_id"])
    min_length = password_min_length(current_app.config, facts)
    form = NewPasswordForm(personal=users.personal_words(row), min_length=min_length)
    if not form.validate_on_submit():
        return htmx.form_page("reset/password.html", form=form, min_length=min_length)
    set_password(db, row, form.password.data, how="reset")
    session.pop("reset")
    flash("Пароль изменён. Войдите с новым паролем.", "success")
    return htmx.redirect_to(url_for("auth.login"))
