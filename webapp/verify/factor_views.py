"""One view per factor that can answer the pending check: app code, SMS, recovery code,
password, passkey."""

from flask import (
    current_app,
    flash,
    jsonify,
    request,
    session,
    url_for,
)

from webapp import audit, htmx
from webapp.auth import passkeys, recovery, totp
from webapp.auth.flows import check_code, cipher, send_code
from webapp.auth.forms import AppCodeForm, CodeForm
from webapp.auth.passwords import verify_password
from webapp.auth.store import factors as store
from webapp.auth.store import users
from webapp.clock import now
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.notifications.deliver import security_notice
from webapp.verify.forms import PasswordCheckForm, RecoveryCodeForm
from webapp.verify.views import allowed, answers, bp, complete, failed, verify_page


@bp.post("/totp")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@answers("totp")
def with_totp(pending, facts):
    """Check a code from the authenticator app; a step is accepted once."""
    db = get_db()
    form = AppCodeForm(prefix="totp")
    if not form.validate_on_submit():
        return verify_page(pending, facts, status=422, forms={"totp": form})
    row = store.totp_row(db, pending["user_id"])
    secret = cipher().decrypt("totp", row["secret_enc"])
    verdict, step = totp.check(secret, form.code.data, now(), row["last_step"])
    if verdict == "reused" or (
        verdict == "ok" and not store.claim_totp_step(db, pending["user_id"], step)
    ):
        audit.record(db, "totp.replay", subject_user_id=pending["user_id"], result="refused")
        security_notice(
            db,
            users.get_row(db, pending["user_id"]),
            "Повторно введён код",
            "Код из приложения-аутентификатора, который уже был использован, "
            "ввели повторно. Вход по нему отклонён.",
        )
        return failed(
            pending,
            facts,
            "totp",
            form,
            "Этот код уже использован. Дождитесь следующего кода в приложении.",
        )
    if verdict != "ok":
        return failed(
            pending,
            facts,
            "totp",
            form,
            "Неверный код. Проверьте время на телефоне и введите текущий код.",
        )
    return complete(pending, "totp")


@bp.post("/sms/send")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"])
@answers("sms")
def send_sms_code(pending, facts):
    """Send a sign-in code to the confirmed phone."""
    db = get_db()
    user = users.get_row(db, pending["user_id"])
    problem = send_code(db, purpose="login", phone=user["phone"], user_id=user["id"])
    if problem:
        flash(problem, "error")
    else:
        session["verify"] = {**pending, "sms_sent": True}
        flash("Код отправлен.", "success")
    return htmx.redirect_to(url_for("verify.index"))


@bp.post("/sms")
@answers("sms")
def with_sms(pending, facts):
    """Check the SMS code."""
    db = get_db()
    form = CodeForm(prefix="sms")
    if not form.validate_on_submit():
        return verify_page(pending, facts, status=422, forms={"sms": form})
    user = users.get_row(db, pending["user_id"])
    verdict = check_code(
        db, purpose="login", phone=user["phone"], code=form.code.data, user_id=user["id"]
    )
    if not verdict.ok:
        form.code.errors = [verdict.message]
        return verify_page(pending, facts, status=422, forms={"sms": form})
    return complete(pending, "sms")


@bp.post("/recovery")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@answers("recovery")
def with_recovery(pending, facts):
    """Spend a recovery code; the owner hears about it on every channel."""
    db = get_db()
    form = RecoveryCodeForm()
    if not form.validate_on_submit():
        return verify_page(pending, facts, status=422, forms={"recovery": form})
    code = recovery.normalize(form.code.data)
    spent = code and store.use_recovery_code(
        db, pending["user_id"], cipher().code_hash("recovery", str(pending["user_id"]), code)
    )
    if not spent:
        return failed(
            pending, facts, "recovery", form, "Код не подошёл: он неверный или уже использован."
        )
    left = store.enrolled(db, pending["user_id"])["recovery_left"]
    security_notice(
        db,
        users.get_row(db, pending["user_id"]),
        "Использован код восстановления",
        f"Для входа использован код восстановления. Осталось кодов: {left} из 10. "
        "Если вы потеряли устройство, удалите его ключ и добавьте новый способ входа.",
        critical=True,
    )
    return complete(pending, "recovery")


@bp.post("/password")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@answers("password")
def with_password(pending, facts):
    """The password, when it is the factor asked for."""
    db = get_db()
    form = PasswordCheckForm()
    if not form.validate_on_submit():
        return verify_page(pending, facts, status=422, forms={"password": form})
    row = users.get_row(db, pending["user_id"])
    if row["password_blocked_at"] or not verify_password(
        current_app.config, row["password_hash"], form.password.data
    ):
        return failed(pending, facts, "password", form, "Неверный пароль.")
    return complete(pending, "password")


@bp.post("/passkey/options")
def passkey_options():
    """WebAuthn request options limited to this user's passkeys."""
    pending = session.get("verify")
    if not pending:
        return jsonify(error="Запрос устарел. Начните заново."), 400
    db = get_db()
    allow = [p["credential_id"] for p in store.passkeys(db, pending["user_id"])]
    options = passkeys.authentication_options(
        session,
        current_app.config,
        purpose="verify",
        allow=allow,
        require_uv=pending["purpose"] == "stepup",
    )
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkey")
def with_passkey():
    """Check a passkey assertion for the pending user."""
    pending = session.get("verify")
    if not pending:
        return jsonify(error="Запрос устарел. Начните заново."), 400
    db = get_db()
    facts = store.enrolled(db, pending["user_id"])
    if "passkey" not in allowed(pending, facts):
        return jsonify(error="Этот способ здесь недоступен."), 400
    try:
        credential = passkeys.parse_json(request.get_data())
        stored = store.passkey_by_credential(db, passkeys.credential_id_of(credential))
        if stored is None or stored["user_id"] != pending["user_id"]:
            session.pop("webauthn", None)
            raise passkeys.CeremonyError("Этот ключ доступа не относится к вашей учётной записи.")
        result = passkeys.verify_authentication(
            session, current_app.config, purpose="verify", credential=credential, stored=stored
        )
    except passkeys.CeremonyError as exc:
        audit.record(
            db,
            "passkey.failure",
            subject_user_id=pending["user_id"],
            result="refused",
            details={"purpose": pending["purpose"]},
        )
        return jsonify(error=str(exc)), 400
    store.touch_passkey(db, stored["id"], result.new_sign_count)
    response = complete(pending, "passkey")
    return jsonify(redirect=response.headers.get("HX-Redirect") or response.location)
