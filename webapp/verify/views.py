"""The second-factor page, shared by sign-in, password reset and step-up."""

import functools

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from webapp import audit, htmx
from webapp.auth import failures, passkeys, recovery, totp
from webapp.auth.factors import TITLES, second_factors, strongest
from webapp.auth.flows import check_code, cipher, safe_next, send_code, sign_in
from webapp.auth.forms import AppCodeForm, CodeForm
from webapp.auth.passwords import verify_password
from webapp.auth.sessions import rotate_session
from webapp.auth.stepup import mark_factor
from webapp.auth.store import factors as store
from webapp.auth.store import users
from webapp.clock import now
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.notifications.deliver import security_notice
from webapp.verify.forms import PasswordCheckForm, RecoveryCodeForm

bp = Blueprint("verify", __name__, url_prefix="/verify")

PURPOSE_TITLES = {
    "login": "Подтвердите вход",
    "reset": "Подтвердите, что это вы",
    "stepup": "Подтвердите действие",
}


def allowed(pending: dict, facts: dict) -> list[str]:
    """Factors that may answer this check, strongest first."""
    if pending["purpose"] == "stepup":
        return [strongest(facts)]
    options = second_factors(facts)
    if pending.get("first") == "passkey":
        options = [f for f in options if f != "passkey"] + ["password"]
    if facts["recovery_left"]:
        options.append("recovery")
    return options


def _page(pending, facts, *, status=200, forms=None, sms_sent=False):
    forms = forms or {}
    user = users.get_row(get_db(), pending["user_id"])
    return render_template(
        "verify/index.html",
        title=PURPOSE_TITLES[pending["purpose"]],
        purpose=pending["purpose"],
        options=allowed(pending, facts),
        titles=TITLES,
        totp_form=forms.get("totp") or AppCodeForm(prefix="totp"),
        sms_form=forms.get("sms") or CodeForm(prefix="sms"),
        recovery_form=forms.get("recovery") or RecoveryCodeForm(),
        password_form=forms.get("password") or PasswordCheckForm(),
        sms_sent=sms_sent or pending.get("sms_sent"),
        phone=user["phone"],
        recovery_left=facts["recovery_left"],
    ), status


@bp.get("")
def index():
    """Choose and pass one of the allowed factors."""
    pending = session.get("verify")
    if not pending:
        return redirect(url_for("auth.login"))
    return _page(pending, store.enrolled(get_db(), pending["user_id"]))


def _guard(pending, facts, factor):
    """None when this factor may be tried now, else the refusal response."""
    if factor not in allowed(pending, facts):
        return _page(pending, facts, status=400)
    state = failures.state(get_db(), current_app.config, pending["user_id"], factor)
    if state.blocked:
        audit.record(
            get_db(), f"{factor}.blocked", subject_user_id=pending["user_id"], result="refused"
        )
        flash(
            "Слишком много неверных попыток. Попробуйте позже или выберите другой способ.", "error"
        )
        return _page(pending, facts, status=429)
    return None


def answers(factor: str):
    """View decorator: a check must be pending and this factor allowed and not blocked;
    the view gets the pending check and the user's enrolled factors."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper():
            pending = session.get("verify")
            if not pending:
                return redirect(url_for("auth.login"))
            facts = store.enrolled(get_db(), pending["user_id"])
            return _guard(pending, facts, factor) or view(pending, facts)

        return wrapper

    return decorate


def _failed(pending, facts, factor, form, message):
    db = get_db()
    failures.record_failure(db, pending["user_id"], factor)
    audit.record(
        db,
        f"{factor}.failure",
        subject_user_id=pending["user_id"],
        result="failure",
        details={"purpose": pending["purpose"]},
    )
    target = form.code if hasattr(form, "code") else form.password
    target.errors = [*target.errors, message]
    return _page(pending, facts, status=422, forms={factor: form})


@bp.post("/totp")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@answers("totp")
def with_totp(pending, facts):
    """Check a code from the authenticator app; a step is accepted once."""
    db = get_db()
    form = AppCodeForm(prefix="totp")
    if not form.validate_on_submit():
        return _page(pending, facts, status=422, forms={"totp": form})
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
        return _failed(
            pending,
            facts,
            "totp",
            form,
            "Этот код уже использован. Дождитесь следующего кода в приложении.",
        )
    if verdict != "ok":
        return _failed(
            pending,
            facts,
            "totp",
            form,
            "Неверный код. Проверьте время на телефоне и введите текущий код.",
        )
    return _complete(pending, "totp")


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
        return _page(pending, facts, status=422, forms={"sms": form})
    user = users.get_row(db, pending["user_id"])
    verdict = check_code(
        db, purpose="login", phone=user["phone"], code=form.code.data, user_id=user["id"]
    )
    if not verdict.ok:
        form.code.errors = [verdict.message]
        return _page(pending, facts, status=422, forms={"sms": form})
    return _complete(pending, "sms")


@bp.post("/recovery")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@answers("recovery")
def with_recovery(pending, facts):
    """Spend a recovery code; the owner hears about it on every channel."""
    db = get_db()
    form = RecoveryCodeForm()
    if not form.validate_on_submit():
        return _page(pending, facts, status=422, forms={"recovery": form})
    code = recovery.normalize(form.code.data)
    spent = code and store.use_recovery_code(
        db, pending["user_id"], cipher().code_hash("recovery", str(pending["user_id"]), code)
    )
    if not spent:
        return _failed(
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
    return _complete(pending, "recovery")


@bp.post("/password")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@answers("password")
def with_password(pending, facts):
    """The password, when it is the factor asked for."""
    db = get_db()
    form = PasswordCheckForm()
    if not form.validate_on_submit():
        return _page(pending, facts, status=422, forms={"password": form})
    row = users.get_row(db, pending["user_id"])
    if row["password_blocked_at"] or not verify_password(
        current_app.config, row["password_hash"], form.password.data
    ):
        return _failed(pending, facts, "password", form, "Неверный пароль.")
    return _complete(pending, "password")


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
    response = _complete(pending, "passkey")
    return jsonify(redirect=response.headers.get("HX-Redirect") or response.location)


@bp.post("/cancel")
def cancel():
    """Abandon the check."""
    pending = session.pop("verify", None)
    target = url_for("auth.login")
    if pending and pending["purpose"] == "stepup":
        target = safe_next(pending.get("next"), url_for("security.index"))
    return htmx.redirect_to(target)


def _complete(pending: dict, factor: str):
    """The factor passed: finish what the check was for."""
    db = get_db()
    session.pop("verify", None)
    failures.reset(db, pending["user_id"], factor)
    audit.record(
        db,
        f"{factor}.success",
        subject_user_id=pending["user_id"],
        details={"purpose": pending["purpose"]},
    )
    if pending["purpose"] == "login":
        sign_in(db, pending["user_id"], factors=[pending.get("first") or "password", factor])
        if factor == "recovery":
            flash(
                "Вы вошли с кодом восстановления. Проверьте способы входа и замените потерянный.",
                "info",
            )
            return htmx.redirect_to(url_for("security.index"))
        return htmx.redirect_to(safe_next(pending.get("next"), url_for("main.index")))
    if pending["purpose"] == "reset":
        reset = dict(session.get("reset") or {})
        if reset.get("user_id") == pending["user_id"]:
            reset["second_factor"] = factor
            session["reset"] = reset
        return htmx.redirect_to(url_for("reset.password"))
    mark_factor(factor)
    rotate_session()
    return htmx.redirect_to(safe_next(pending.get("next"), url_for("security.index")))
