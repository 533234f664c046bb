"""Steps shared by registration, sign-in and reset: sending codes, signing in, access checks."""

import functools
from urllib.parse import urlsplit

from flask import abort, current_app, flash, request, session, url_for
from flask_login import current_user, login_user

from webapp import audit, htmx
from webapp.adapters.mail import MailError, send_mail
from webapp.adapters.sms import SmsError, send_sms
from webapp.auth import codes, failures
from webapp.auth.devices import remember_device
from webapp.auth.passwords import hash_password
from webapp.auth.sessions import rotate_session
from webapp.auth.stepup import mark_factor
from webapp.auth.store import sessions, users
from webapp.clock import now_iso
from webapp.links import external_url, signer
from webapp.notifications.deliver import security_notice


def cipher():
    """The app's field cipher (identifiers, blind indexes, code hashes)."""
    return current_app.extensions["cipher"]


def send_code(
    db,
    *,
    purpose: str,
    phone: str,
    user_id,
    by_email: bool = False,
    decoy: bool = False,
    about: str | None = None,
) -> str | None:
    """Create and send a code; return a Russian reason when it cannot be sent now.

    With `by_email` the recipient in `phone` is an email address and the code goes by mail
    (same table, limits and checks: the recipient column holds whichever address it went to).
    With `decoy` nothing is sent: a row that no code matches takes the same limits and answers
    wrong guesses the same way, for a number that must not be told apart from an account's.
    """
    config = current_app.config
    refusal = codes.send_refusal(
        db, config, purpose=purpose, phone=phone, ip=request.remote_addr, user_id=user_id
    )
    if refusal:
        audit.record(
            db,
            "sms.refused",
            subject_user_id=user_id,
            result="refused",
            details={"purpose": purpose, "reason": refusal},
        )
        return refusal
    if decoy:
        codes.store_decoy(
            db, cipher(), config, purpose=purpose, phone=phone, ip=request.remote_addr
        )
        audit.record(db, "sms.decoy", subject_user_id=user_id, details={"purpose": purpose})
        return None
    try:
        with db.atomic():
            code = codes.store_code(
                db,
                cipher(),
                config,
                purpose=purpose,
                phone=phone,
                user_id=user_id,
                ip=request.remote_addr,
            )
            text = codes.sms_text(purpose, code, config["SITE_DOMAIN"], about)
            if by_email:
                send_mail(phone, f"Код {code} — Кабинет медработника", text)
            else:
                send_sms(phone, text)
    except SmsError:
        current_app.logger.exception("SMS gateway failed")
        return "Не удалось отправить SMS. Попробуйте ещё раз через минуту."
    except MailError:
        current_app.logger.exception("mail server failed")
        return "Не удалось отправить письмо. Попробуйте ещё раз через минуту."
    audit.record(db, "sms.sent", subject_user_id=user_id, details={"purpose": purpose})
    return None


def check_code(db, *, purpose: str, phone: str, code: str, user_id) -> codes.Verdict:
    """Verify a code. Wrong guesses count against the account's SMS factor only for codes to
    its own phone (sign-in, step-up, turning SMS on): reset and registration codes can be
    asked for by anybody, so their guesses are capped per number instead (codes.too_many_wrong)
    and a stranger's probes neither reveal nor lock the owner's sign-in."""
    config = current_app.config
    counted = user_id is not None and purpose in codes.OWN_PHONE
    if counted:
        factor = failures.state(db, config, user_id, "sms")
        if factor.blocked:
            audit.record(
                db,
                "sms.blocked",
                subject_user_id=user_id,
                result="refused",
                details={"purpose": purpose},
            )
            return codes.Verdict(False, "Слишком много неверных кодов. Попробуйте позже.")
    verdict = codes.check_code(db, cipher(), config, purpose=purpose, phone=phone, code=code)
    if counted:
        if verdict.ok:
            failures.reset(db, user_id, "sms")
        elif verdict.counted:
            failures.record_failure(db, user_id, "sms")
    audit.record(
        db,
        "sms.check",
        subject_user_id=user_id,
        result="ok" if verdict.ok else "failure",
        details={"purpose": purpose},
    )
    return verdict


def sign_in(db, user_id: int, *, factors: list[str]) -> None:
    """Start an authenticated session under a fresh id, note the factors passed, audit it."""
    login_user(users.get_user(db, user_id))
    rotate_session()
    session.pop("verify", None)
    multi = len(set(factors)) > 1 or factors == ["passkey"]  # a passkey with UV is two factors
    session["auth_level"] = "mfa" if multi else factors[0]
    session["auth_at"] = now_iso()
    for factor in factors:
        mark_factor(factor)
    audit.record(
        db, "login.success", actor_id=user_id, subject_user_id=user_id, details={"factors": factors}
    )
    remember_device(db, user_id)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def role_required(*roles):
    """View decorator: signed in and holding one of the roles, else 403."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


PASSWORD_SET = {
    # how: (audit action, notice text, SMS too)
    "reset": (
        "password.reset",
        "Пароль к вашему Кабинету медработника изменён, все сеансы завершены.",
        True,
    ),
    "change": ("password.change", "Пароль к вашей учётной записи изменён.", False),
}


def set_password(db, row: dict, password: str, *, how: str, keep_session_id=None) -> int:
    """Store a new password (reset or change): lift a «не я» block, clear the failure count,
    end every other session, audit and tell the owner. Returns how many sessions ended."""
    action, text, critical = PASSWORD_SET[how]
    with db.atomic():
        users.set_password_hash(db, row["id"], hash_password(current_app.config, password))
        users.unblock_password(db, row["id"])
        failures.reset(db, row["id"], "password")
        ended = sessions.end_all(db, row["id"], keep_id=keep_session_id)
        audit.record(
            db,
            action,
            subject_user_id=row["id"],
            object_type="factor",
            details={"sessions_ended": ended},
        )
    security_notice(db, row, "Пароль изменён", text, critical=critical)
    return ended


def unauthorized():
    """Flask-Login's answer to a signed-out request: the sign-in page, then back here.

    An htmx fragment request (say «Показать ещё» after the idle timeout) gets `HX-Redirect`, so
    the browser loads the sign-in page instead of swapping it into the list.
    """
    flash(current_app.login_manager.login_message, "info")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return htmx.redirect_to(url_for("auth.login", next=back), code=302)


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
