"""Password reset by SMS code or email link."""

import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer

from webapp import htmx
from webapp.adapters.mail import MailError, send_mail
from webapp.auth import failures, store
from webapp.auth.flows import check_code, cipher, send_code
from webapp.auth.forms import CodeForm, NewPasswordForm, ResetRequestForm
from webapp.clock import now_iso
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.factors import store as factor_store
from webapp.factors import verify_views
from webapp.forms import email_problem
from webapp.notifications import notify_owner
from webapp.security import audit
from webapp.security.passwords import hash_password
from webapp.validators import normalize_phone

bp = Blueprint("reset", __name__, url_prefix="/reset")

LINK_MAX_AGE = 60 * 60


def second_factor_gate(user_id: int) -> str | None:
    """After the reset code or link: an enrolled second factor (or a recovery code) first.

    Returns the URL of the check, or None when the account has no second factor.
    """
    facts = factor_store.enrolled(get_db(), user_id)
    if not factor_store.second_factors(facts) and not facts["recovery_left"]:
        return None
    return verify_views.begin("reset", user_id)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(password_hash: str | None) -> str:
    """Ties a link to the current password, so it stops working once used."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _limit():
    return current_app.config["RATELIMIT_SIGNUP"]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def start():
    """Ask for the phone or email; the answer is the same whether an account exists or not."""
    form = ResetRequestForm()
    if not form.validate_on_submit():
        return render_template("reset/start.html", form=form), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    value = form.login.data
    if "@" in value:
        problem = email_problem(value)
        if problem:
            form.login.errors.append(problem)
            return render_template("reset/start.html", form=form), 422
        row = store.find_by_login(db, cipher(), value, current_app.config["SMS_ALLOWED_REGIONS"])
        if row and row["status"] == "active":
            send_reset_link(row)
        audit.record(
            db,
            "password.reset_request",
            subject_user_id=row["id"] if row else None,
            details={"channel": "email"},
        )
        return render_template("reset/link_sent.html", email=value.casefold())
    phone = normalize_phone(value, current_app.config["SMS_ALLOWED_REGIONS"])
    if phone is None:
        form.login.errors.append(
            "Введите российский мобильный номер (+7 и 10 цифр) или адрес почты."
        )
        return render_template("reset/start.html", form=form), 422
    row = store.find_by_login(db, cipher(), phone, current_app.config["SMS_ALLOWED_REGIONS"])
    user_id = row["id"] if row and row["status"] == "active" else None
    if user_id:
        refusal = send_code(db, purpose="reset", phone=phone, user_id=user_id)
        if refusal:
            flash(refusal, "error")
    audit.record(db, "password.reset_request", subject_user_id=user_id, details={"channel": "sms"})
    session["reset"] = {"phone": phone, "user_id": user_id}
    return htmx.redirect_to(url_for("reset.code"))


def send_reset_link(row) -> None:
    """Mail a one-hour link for choosing a new password."""
    token = _serializer().dumps({"u": row["id"], "f": _fingerprint(row["password_hash"])})
    link = url_for("reset.link", token=token, _external=True)
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


@bp.route("/code", methods=["GET", "POST"])
def code():
    """Enter the code from the SMS."""
    pending = session.get("reset")
    if not pending or "phone" not in pending:
        return redirect(url_for("reset.start"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("reset/code.html", form=form, phone=pending["phone"]), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    verdict = check_code(
        db, purpose="reset", phone=pending["phone"], code=form.code.data, user_id=pending["user_id"]
    )
    if not verdict.ok or pending["user_id"] is None:
        form.code.errors.append(verdict.message or "Код устарел. Запросите новый.")
        return render_template("reset/code.html", form=form, phone=pending["phone"]), 422
    return _proven(pending["user_id"])


@bp.post("/code/resend")
@limiter.limit(_limit)
def resend():
    """Send the reset code again."""
    pending = session.get("reset")
    if not pending or "phone" not in pending:
        return redirect(url_for("reset.start"))
    if pending["user_id"]:
        refusal = send_code(
            get_db(), purpose="reset", phone=pending["phone"], user_id=pending["user_id"]
        )
        if refusal:
            flash(refusal, "error")
            return htmx.redirect_to(url_for("reset.code"))
    flash("Если номер зарегистрирован, мы отправили новый код.", "success")
    return htmx.redirect_to(url_for("reset.code"))


@bp.get("/link/<token>")
def link(token):
    """Open the email link."""
    try:
        data = _serializer().loads(token, max_age=LINK_MAX_AGE)
    except BadSignature:
        data = None
    row = store.get_row(get_db(), data["u"]) if data else None
    if not row or row["status"] != "active" or _fingerprint(row["password_hash"]) != data["f"]:
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
    facts = factor_store.enrolled(db, pending["user_id"])
    has_factor = bool(factor_store.second_factors(facts) or facts["recovery_left"])
    if has_factor and not pending.get("second_factor"):
        audit.record(
            db,
            "password.reset",
            subject_user_id=pending["user_id"],
            result="refused",
            details={"reason": "second factor not passed"},
        )
        return htmx.redirect_to(verify_views.begin("reset", pending["user_id"]))
    row = store.get_row(db, pending["user_id"])
    personal = store.personal_words(row)
    min_length = factor_store.password_min_length(current_app.config, facts)
    form = NewPasswordForm(personal=personal, min_length=min_length)
    if not form.validate_on_submit():
        return render_template("reset/password.html", form=form, min_length=min_length), (
            422 if request.method == "POST" else 200
        )
    with db.atomic():
        store.set_password_hash(
            db, row["id"], hash_password(current_app.config, form.password.data)
        )
        store.unblock_password(db, row["id"])
        failures.reset(db, row["id"], "password")
        db.execute("delete from sessions where user_id = ?", [row["id"]])
        audit.record(db, "password.reset", subject_user_id=row["id"])
    session.pop("reset")
    notify_owner(
        row,
        "Пароль изменён",
        "Пароль к вашему Кабинету медработника изменён, все сеансы завершены.",
        sms=True,
    )
    flash("Пароль изменён. Войдите с новым паролем.", "success")
    return htmx.redirect_to(url_for("auth.login"))
