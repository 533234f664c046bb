"""Sign-in, sign-out, e-mail confirmation and the consent text; registration is in
`register_views`, passkey sign-in in `passkey_views` (all on this blueprint)."""

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
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature

from webapp import audit, htmx
from webapp.auth import failures
from webapp.auth.factors import second_factors
from webapp.auth.flows import cipher, safe_next, send_code, send_email_confirmation, sign_in
from webapp.auth.forms import LoginForm
from webapp.auth.passwords import hash_password, needs_rehash, verify_password
from webapp.auth.sessions import destroy_session
from webapp.auth.stepup import begin_check
from webapp.auth.store import factors
from webapp.auth.store import users as store
from webapp.auth.store.users import ROLE_TITLES
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.links import signer
from webapp.notifications.deliver import security_notice

bp = Blueprint("auth", __name__)

LOGIN_FAILED = (
    "Не удалось войти: неверные данные для входа, или вход временно ограничен после "
    "нескольких ошибок. Проверьте данные и попробуйте снова или восстановите пароль."
)


class NothingSaved(Exception):
    """Raised inside db.atomic() to undo a registration whose code could not be sent."""


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def signup_limit():
    return current_app.config["RATELIMIT_SIGNUP"]


@bp.app_template_filter("role_titles")
def role_titles(roles: str | None) -> str:
    """'worker,admin' → 'Медработник, Администратор'."""
    return ", ".join(ROLE_TITLES.get(r, r) for r in (roles or "").split(",") if r)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Password sign-in by phone, email or СНИЛС; one answer for every failure."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return htmx.form_page("auth/login.html", form=form)
    db = get_db()
    config = current_app.config
    row = store.find_by_login(db, cipher(), form.login.data, config["SMS_ALLOWED_REGIONS"])
    factor = failures.state(db, config, row["id"], "password") if row else None
    if factor and factor.blocked:
        verify_password(config, None, form.password.data)
        audit.record(db, "login.locked", subject_user_id=row["id"], result="refused")
        return _login_failed(form)
    password_ok = verify_password(config, row["password_hash"] if row else None, form.password.data)
    if not row:
        audit.record(db, "login.failure", result="unknown-user")
        return _login_failed(form)
    if not password_ok:
        _count_password_failure(db, row)
        return _login_failed(form)
    failures.reset(db, row["id"], "password")
    if row["status"] == "pending":
        session["registration"] = {"phone": row["phone"], "user_id": row["id"]}
        refusal = send_code(db, purpose="register", phone=row["phone"], user_id=row["id"])
        flash(refusal or "Подтвердите телефон: мы отправили код в SMS.", "info")
        return htmx.redirect_to(url_for("auth.register_confirm"))
    if row["status"] != "active" or row["password_blocked_at"]:
        audit.record(db, "login.failure", subject_user_id=row["id"], result="blocked")
        return _login_failed(form)
    if needs_rehash(config, row["password_hash"]):
        store.set_password_hash(db, row["id"], hash_password(config, form.password.data))
    next_url = safe_next(request.args.get("next"), url_for("main.index"))
    if second_factors(factors.enrolled(db, row["id"])):
        audit.record(
            db, "password.success", subject_user_id=row["id"], details={"purpose": "login"}
        )
        return htmx.redirect_to(
            begin_check("login", row["id"], next_url=next_url, first="password")
        )
    sign_in(db, row["id"], factors=["password"])
    return htmx.redirect_to(next_url)


def _count_password_failure(db, row) -> None:
    """Count a wrong password; tell the owner once when sign-in starts being slowed."""
    config = current_app.config
    count = failures.record_failure(db, row["id"], "password")
    audit.record(
        db,
        "login.failure",
        subject_user_id=row["id"],
        result="wrong-password",
        details={"consecutive": count},
    )
    if count >= config["FAILURE_DELAY_FROM"] and failures.mark_notified(db, row["id"], "password"):
        audit.record(db, "login.lockout", subject_user_id=row["id"], result="locked")
        security_notice(
            db,
            row,
            "Вход в ваш кабинет приостановлен",
            f"Пароль к вашей учётной записи ввели неверно {count} раз подряд. "
            "Вход по паролю временно замедлен.",
            critical=True,
        )


def _login_failed(form):
    form.form_errors.append(LOGIN_FAILED)
    return render_template("auth/login.html", form=form), 422


@bp.post("/logout")
@login_required
def logout():
    """End this session; the service worker's caches are cleared too."""
    db = get_db()
    audit.record(db, "logout", subject_user_id=current_user.id)
    logout_user()
    destroy_session()
    # The session (and with it any flash) is gone: the sign-in page says it from the address.
    response = htmx.redirect_to(url_for("auth.login", signed_out=1))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.get("/email/confirm/<token>")
def email_confirm(token):
    """Confirm an email address from the link in the letter."""
    try:
        data = signer("email-confirm").loads(
            token, max_age=current_app.config["EMAIL_TOKEN_MAX_AGE"]
        )
    except BadSignature:
        flash("Ссылка недействительна или устарела. Запросите новое письмо в кабинете.", "error")
        return redirect(url_for("main.index"))
    db = get_db()
    if store.confirm_email(db, data["u"], data["e"]):
        audit.record(db, "email.confirm", subject_user_id=data["u"])
        flash("Адрес почты подтверждён.", "success")
    else:
        flash("Этот адрес больше не привязан к учётной записи.", "error")
    return redirect(url_for("main.index"))


@bp.post("/email/resend")
@login_required
@limiter.limit("5/hour")
def email_resend():
    """Send the email confirmation link again."""
    db = get_db()
    row = store.get_row(db, current_user.id)
    if row["email_confirmed_at"]:
        flash("Адрес почты уже подтверждён.", "info")
    else:
        send_email_confirmation(row)
        flash(f"Письмо отправлено на {row['email']}.", "success")
    return htmx.redirect_to(url_for("main.index"))


@bp.get("/consent")
def consent():
    """The current personal-data consent text (152-ФЗ)."""
    version = current_app.config["CONSENT_VERSION"]
    return render_template(f"auth/consent_{version}.html", version=version)
