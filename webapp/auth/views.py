"""Registration with phone confirmation, sign-in, sign-out, email confirmation."""

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
from webapp.adapters.mail import MailError, send_mail
from webapp.auth import failures
from webapp.auth.factors import second_factors
from webapp.auth.flows import check_code, cipher, safe_next, send_code, sign_in
from webapp.auth.forms import CodeForm, LoginForm, RegistrationForm
from webapp.auth.passwords import hash_password, needs_rehash, verify_password
from webapp.auth.sessions import destroy_session
from webapp.auth.stepup import begin_check
from webapp.auth.store import factors
from webapp.auth.store import users as store
from webapp.auth.store.users import ROLE_TITLES
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.links import external_url, signer
from webapp.notifications.deliver import security_notice

bp = Blueprint("auth", __name__)

LOGIN_FAILED = (
    "Не удалось войти: неверные данные для входа, или вход временно ограничен после "
    "нескольких ошибок. Проверьте данные и попробуйте снова или восстановите пароль."
)


class _NothingSaved(Exception):
    """Raised inside db.atomic() to undo a registration whose code could not be sent."""


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _signup_limit():
    return current_app.config["RATELIMIT_SIGNUP"]


@bp.app_template_filter("role_titles")
def role_titles(roles: str | None) -> str:
    """'worker,admin' → 'Медработник, Администратор'."""
    return ", ".join(ROLE_TITLES.get(r, r) for r in (roles or "").split(",") if r)


def send_email_confirmation(user: dict) -> None:
    """Mail a link that confirms the account's email address."""
    token = signer("email-confirm").dumps({"u": user["id"], "e": user["email"]})
    link = external_url("auth.email_confirm", token=token)
    try:
        send_mail(
            user["email"],
            "Подтвердите адрес почты",
            f"Здравствуйте, {user['name']}!\n\nЧтобы подтвердить адрес почты в Кабинете "
            f"медработника, откройте ссылку:\n{link}\n\nСсылка действует 48 часов. "
            "Если вы не регистрировались, просто удалите это письмо.",
        )
    except MailError:
        current_app.logger.exception("confirmation email failed")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def register():
    """Sign-up form; a valid submission leads to the SMS confirmation step."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if not form.validate_on_submit():
        return htmx.form_page("auth/register.html", form=form)
    db = get_db()
    data = {
        k: form[k].data
        for k in ("surname", "name", "patronymic", "birth_date", "snils", "phone", "email")
    }
    existing = store.conflicts(
        db, cipher(), snils=data["snils"], phone=data["phone"], email=data["email"]
    )
    window = current_app.config["PENDING_REGISTRATION_SECONDS"]
    stale = [row for row in existing if store.is_stale_pending(row, window)]
    existing = [row for row in existing if row not in stale]
    if existing:
        return _answer_duplicate(db, data, existing, stale)
    try:
        with db.atomic():
            for row in stale:
                store.delete_pending(db, row["id"])
            user_id = store.create_user(
                db,
                cipher(),
                **data,
                password_hash=hash_password(current_app.config, form.password.data),
            )
            store.record_consent(
                db, user_id, current_app.config["CONSENT_VERSION"], request.remote_addr
            )
            audit.record(
                db,
                "register",
                actor_id=user_id,
                subject_user_id=user_id,
                object_type="user",
                object_id=user_id,
            )
            refusal = send_code(db, purpose="register", phone=data["phone"], user_id=user_id)
            if refusal:
                raise _NothingSaved(refusal)
    except _NothingSaved as undone:
        audit.record(db, "register", result="refused", details={"reason": str(undone)})
        form.phone.errors.append(str(undone))
        return render_template("auth/register.html", form=form), 422
    session["registration"] = {"phone": data["phone"], "user_id": user_id}
    return htmx.redirect_to(url_for("auth.register_confirm"))


def _answer_duplicate(db, data, existing, stale):
    """Same answer as success; the owners hear about the attempt (no account enumeration)."""
    for row in existing:
        security_notice(
            db,
            row,
            "Попытка регистрации с вашими данными",
            "Кто-то пытался зарегистрироваться в Кабинете медработника с вашим СНИЛС, "
            "телефоном или адресом почты. Если это были вы — просто войдите или "
            "восстановите пароль.",
            critical=row["phone"] == data["phone"],
        )
        audit.record(db, "register.duplicate", subject_user_id=row["id"], result="refused")
    phone_taken = any(row["phone"] == data["phone"] for row in existing)
    if not phone_taken:
        for row in stale:
            store.delete_pending(db, row["id"])
        send_code(db, purpose="register", phone=data["phone"], user_id=None)
    session["registration"] = {"phone": data["phone"], "user_id": None}
    return htmx.redirect_to(url_for("auth.register_confirm"))


@bp.route("/register/confirm", methods=["GET", "POST"])
def register_confirm():
    """Enter the SMS code that activates the new account."""
    pending = session.get("registration")
    if not pending:
        return redirect(url_for("auth.register"))
    form = CodeForm()
    if not form.validate_on_submit():
        return htmx.form_page("auth/register_confirm.html", form=form, phone=pending["phone"])
    db = get_db()
    verdict = check_code(
        db,
        purpose="register",
        phone=pending["phone"],
        code=form.code.data,
        user_id=pending["user_id"],
    )
    if not verdict.ok:
        form.code.errors.append(verdict.message)
        return render_template("auth/register_confirm.html", form=form, phone=pending["phone"]), 422
    session.pop("registration")
    if pending["user_id"] is None:
        return render_template("auth/register_duplicate.html")
    user_id = pending["user_id"]
    with db.atomic():
        store.activate(db, user_id)
        audit.record(db, "phone.confirm", actor_id=user_id, subject_user_id=user_id)
    send_email_confirmation(store.get_row(db, user_id))
    sign_in(db, user_id, factors=["password"])
    flash(
        "Телефон подтверждён. Добро пожаловать! Мы отправили письмо для подтверждения почты.",
        "success",
    )
    return htmx.redirect_to(url_for("main.index"))


@bp.post("/register/resend")
@limiter.limit(_signup_limit)
def register_resend():
    """Send the registration code again (within the per-number limits)."""
    pending = session.get("registration")
    if not pending:
        return redirect(url_for("auth.register"))
    db = get_db()
    user_id = pending["user_id"]
    if user_id is None and store.find_by_login(
        db, cipher(), pending["phone"], current_app.config["SMS_ALLOWED_REGIONS"]
    ):
        refusal = None  # the number belongs to an account: its owner was told, no code
    else:
        refusal = send_code(db, purpose="register", phone=pending["phone"], user_id=user_id)
    flash(refusal or "Новый код отправлен.", "error" if refusal else "success")
    return htmx.redirect_to(url_for("auth.register_confirm"))


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
    response = htmx.redirect_to(url_for("auth.login"))
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
