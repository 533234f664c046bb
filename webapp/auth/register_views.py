"""Registration: the form, the SMS code that activates the account, the e-mail confirmation
letter. The same answer whether an identifier is taken or not (docs/decisions.md)."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from webapp import audit, htmx
from webapp.auth.flows import check_code, cipher, send_code, send_email_confirmation, sign_in
from webapp.auth.forms import CodeForm, RegistrationForm
from webapp.auth.passwords import hash_password
from webapp.auth.store import users as store
from webapp.auth.views import NothingSaved, bp, signup_limit
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.notifications.deliver import security_notice


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(signup_limit, methods=["POST"])
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
    # Every path spends this one argon2 hash, so a taken identifier answers as slowly as a free one.
    password_hash = hash_password(current_app.config, form.password.data)
    existing = store.conflicts(
        db, cipher(), snils=data["snils"], phone=data["phone"], email=data["email"]
    )
    window = current_app.config["PENDING_REGISTRATION_SECONDS"]
    stale = [row for row in existing if store.is_stale_pending(row, window)]
    existing = [row for row in existing if row not in stale]
    if existing:
        return _answer_duplicate(db, form, data, existing, stale)
    try:
        with db.atomic():
            for row in stale:
                store.delete_pending(db, row["id"])
            user_id = store.create_user(db, cipher(), **data, password_hash=password_hash)
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
                raise NothingSaved(refusal)
    except NothingSaved as undone:
        return _refused(db, form, str(undone))
    session["registration"] = {"phone": data["phone"], "user_id": user_id}
    return htmx.redirect_to(url_for("auth.register_confirm"))


def _refused(db, form, reason: str):
    """No code could be sent now: the same form and words whatever was taken."""
    audit.record(db, "register", result="refused", details={"reason": reason})
    form.phone.errors.append(reason)
    return render_template("auth/register.html", form=form), 422


def _answer_duplicate(db, form, data, existing, stale):
    """Same answers as a free registration, refusals included; the owners hear about it.

    A free phone gets a real code (entering it leads to «Регистрация не завершена»). A taken
    phone gets a decoy: nothing is sent but the owner's notice, the number's limits count it,
    and wrong guesses answer as for a real code. When the limits refuse, nobody is told."""
    phone_taken = any(row["phone"] == data["phone"] for row in existing)
    refusal = send_code(
        db, purpose="register", phone=data["phone"], user_id=None, decoy=phone_taken
    )
    if refusal:
        return _refused(db, form, refusal)
    if not phone_taken:
        for row in stale:
            store.delete_pending(db, row["id"])
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
@limiter.limit(signup_limit)
def register_resend():
    """Send the registration code again (within the per-number limits)."""
    pending = session.get("registration")
    if not pending:
        return redirect(url_for("auth.register"))
    db = get_db()
    user_id = pending["user_id"]
    # A number that belongs to an account gets a decoy again: same limits, nothing sent.
    taken = user_id is None and bool(
        store.find_by_login(
            db, cipher(), pending["phone"], current_app.config["SMS_ALLOWED_REGIONS"]
        )
    )
    refusal = send_code(
        db, purpose="register", phone=pending["phone"], user_id=user_id, decoy=taken
    )
    flash(refusal or "Новый код отправлен.", "error" if refusal else "success")
    return htmx.redirect_to(url_for("auth.register_confirm"))
