"""«Безопасность»: enrolment, passkeys, authenticator app, SMS, recovery codes, password, and
«Это был не я» from a security notice."""

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
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature
from webauthn.helpers import bytes_to_base64url

from webapp import audit, htmx
from webapp.auth import passkeys, recovery, totp
from webapp.auth.factors import TITLES, password_min_length, second_factors
from webapp.auth.flows import check_code, cipher, send_code, set_password
from webapp.auth.forms import AppCodeForm, CodeForm, NewPasswordForm
from webapp.auth.gate import must_enrol
from webapp.auth.sessions import current_session_id, destroy_session
from webapp.auth.stepup import mark_factor, step_up_required
from webapp.auth.store import factors as store
from webapp.auth.store import sessions, users
from webapp.clock import now
from webapp.db import get_db
from webapp.links import signer
from webapp.notifications.deliver import security_notice
from webapp.security import score
from webapp.security.forms import PasskeyNameForm

bp = Blueprint("security", __name__, url_prefix="/security")


def _changed(title: str, text: str, action: str, **details) -> None:
    """Audit a factor change and tell the owner on every channel they read."""
    db = get_db()
    audit.record(db, action, object_type="factor", details=details or None)
    security_notice(db, users.get_row(db, current_user.id), title, text)


def _after_first_factor():
    """Right after the first second factor, suggest a backup one."""
    facts = store.enrolled(get_db(), current_user.id)
    if len(second_factors(facts)) == 1 and not facts["recovery_left"]:
        return url_for("security.enrol", backup=1)
    return url_for("security.index")


@bp.get("")
@login_required
def index():
    """Factors, recovery codes, sessions, sign-in history and the protection score."""
    db = get_db()
    facts = store.enrolled(db, current_user.id)
    keys = store.passkeys(db, current_user.id)
    return render_template(
        "security/index.html",
        facts=facts,
        protection=score.protection(facts),
        keys=keys,
        totp_row=store.totp_row(db, current_user.id),
        account=users.get_row(db, current_user.id),
        sessions=sessions.list_for_user(db, current_user.id),
        current_id=current_session_id(),
        events=audit.login_history(db, current_user.id, limit=10),
        name_forms={k["id"]: passkey_name_form(k["id"], k["name"]) for k in keys},
        titles=TITLES,
    )


def passkey_name_form(passkey_id: int, name: str | None = None) -> PasskeyNameForm:
    """Each passkey has its own rename form (its own field ids on one page)."""
    data = {"name": name} if name is not None else None
    return PasskeyNameForm(prefix=f"key{passkey_id}", data=data)


@bp.get("/enrol")
@login_required
def enrol():
    """Choose a second factor: passkey first, then the app, then SMS (the weakest)."""
    facts = store.enrolled(get_db(), current_user.id)
    backup = request.args.get("backup") == "1" and second_factors(facts)
    return render_template(
        "security/enrol.html", facts=facts, backup=backup, required=must_enrol(current_user)
    )


@bp.post("/passkeys/options")
@login_required
@step_up_required
def passkey_options():
    """Creation options for a new passkey, excluding the ones already registered."""
    db = get_db()
    options = passkeys.registration_options(
        session,
        current_app.config,
        handle=store.webauthn_handle(db, current_user.id),
        name=users.get_row(db, current_user.id)["phone"],
        display_name=current_user.full_name,
        existing=[p["credential_id"] for p in store.passkeys(db, current_user.id)],
    )
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkeys")
@login_required
@step_up_required
def passkey_add():
    """Verify and store a new passkey."""
    db = get_db()
    try:
        credential = passkeys.parse_json(request.get_data())
        result = passkeys.verify_registration(session, current_app.config, credential)
    except passkeys.CeremonyError as exc:
        audit.record(db, "passkey.register", result="refused")
        return jsonify(error=str(exc)), 400
    credential_id = bytes_to_base64url(result.credential_id)
    if store.passkey_by_credential(db, credential_id):
        return jsonify(error="Этот ключ доступа уже добавлен."), 400
    transports = credential.get("response", {}).get("transports") or []
    store.add_passkey(
        db,
        current_user.id,
        credential_id=credential_id,
        public_key=result.credential_public_key,
        sign_count=result.sign_count,
        transports=",".join(t for t in transports if isinstance(t, str))[:100],
        aaguid=result.aaguid,
        backed_up=result.credential_backed_up,
        name=passkeys.default_name(request.user_agent.string),
    )
    mark_factor("passkey")
    session["enrolled"] = True
    _changed(
        "Добавлен ключ доступа",
        "К вашей учётной записи добавлен новый ключ доступа.",
        "passkey.add",
    )
    return jsonify(redirect=_after_first_factor())


@bp.post("/passkeys/<int:passkey_id>/rename")
@login_required
def passkey_rename(passkey_id):
    """Give a passkey a recognisable name."""
    form = passkey_name_form(passkey_id)
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors), "error")
    else:
        db = get_db()
        store.get_passkey_or_404(db, passkey_id, current_user)
        store.rename_passkey(db, current_user.id, passkey_id, form.name.data)
        audit.record(db, "passkey.rename", object_type="passkey", object_id=passkey_id)
        flash("Название сохранено.", "success")
    return htmx.redirect_to(url_for("security.index"))


def _would_leave_none(factor: str) -> bool:
    """Removing this factor would leave a mandatory account without a second factor."""
    facts = store.enrolled(get_db(), current_user.id)
    remaining = [
        f
        for f in second_factors(facts)
        if f != factor or (factor == "passkey" and facts["passkey"] > 1)
    ]
    if remaining:
        return False
    optional = current_app.config["SECOND_FACTOR_OPTIONAL_FOR_WORKERS"]
    return not (optional and current_user.roles <= {"worker"})


@bp.post("/passkeys/<int:passkey_id>/delete")
@login_required
@step_up_required
def passkey_delete(passkey_id):
    """Delete a passkey (after step-up); the page then tells password managers."""
    db = get_db()
    store.get_passkey_or_404(db, passkey_id, current_user)
    if _would_leave_none("passkey"):
        flash("Это ваш единственный способ подтверждения входа. Сначала добавьте другой.", "error")
    elif store.delete_passkey(db, current_user.id, passkey_id):
        _changed(
            "Удалён ключ доступа",
            "Из вашей учётной записи удалён ключ доступа.",
            "passkey.delete",
            passkey_id=passkey_id,
        )
        flash("Ключ доступа удалён.", "success")
        session["signal_passkeys"] = True
    else:
        flash("Такого ключа нет.", "error")
    return htmx.redirect_to(url_for("security.index"))


@bp.get("/passkeys/accepted")
@login_required
def passkeys_accepted():
    """For the WebAuthn Signal API: the credential ids this account still accepts."""
    db = get_db()
    return jsonify(
        rpId=current_app.config["WEBAUTHN_RP_ID"],
        userId=bytes_to_base64url(store.webauthn_handle(db, current_user.id)),
        allAcceptedCredentialIds=[p["credential_id"] for p in store.passkeys(db, current_user.id)],
        name=users.get_row(db, current_user.id)["phone"],
        displayName=current_user.full_name,
    )


@bp.route("/totp", methods=["GET", "POST"])
@login_required
@step_up_required
def totp_setup():
    """Show the QR code and key; bind the secret after one correct code."""
    db = get_db()
    row = store.totp_row(db, current_user.id)
    if row and row["confirmed_at"]:
        flash("Приложение уже подключено. Чтобы заменить его, сначала отключите.", "info")
        return redirect(url_for("security.index"))
    if row is None or request.method == "GET" and request.args.get("new") == "1":
        store.start_totp(db, current_user.id, cipher().encrypt("totp", totp.new_secret()))
        row = store.totp_row(db, current_user.id)
    secret = cipher().decrypt("totp", row["secret_enc"])
    form = AppCodeForm(prefix="totp")
    status = 200
    if form.validate_on_submit():
        verdict, step = totp.check(secret, form.code.data, now(), 0)
        if verdict == "ok":
            store.confirm_totp(db, current_user.id, step)
            mark_factor("totp")
            session["enrolled"] = True
            _changed(
                "Подключено приложение-аутентификатор",
                "К вашей учётной записи подключено приложение для кодов входа.",
                "totp.add",
            )
            flash("Приложение подключено.", "success")
            return htmx.redirect_to(_after_first_factor())
        form.code.errors = ["Код не подошёл. Введите текущий код из приложения."]
        status = 422
    elif request.method == "POST":
        status = 422
    account = users.get_row(db, current_user.id)["phone"]
    uri = totp.provisioning_uri(secret, account, current_app.config["WEBAUTHN_RP_NAME"])
    return render_template(
        "security/totp.html", form=form, key=totp.grouped(secret), uri=uri, qr=totp.qr_svg(uri)
    ), status


@bp.post("/totp/delete")
@login_required
@step_up_required
def totp_delete():
    """Disconnect the authenticator app."""
    if _would_leave_none("totp"):
        flash("Это ваш единственный способ подтверждения входа. Сначала добавьте другой.", "error")
    else:
        store.delete_totp(get_db(), current_user.id)
        _changed(
            "Отключено приложение-аутентификатор",
            "Приложение для кодов входа отключено от вашей учётной записи.",
            "totp.delete",
        )
        flash("Приложение отключено.", "success")
    return htmx.redirect_to(url_for("security.index"))


@bp.route("/sms", methods=["GET", "POST"])
@login_required
@step_up_required
def sms_setup():
    """Turn on SMS codes: send one to the confirmed phone and check it."""
    db = get_db()
    phone = users.get_row(db, current_user.id)["phone"]
    form = CodeForm(prefix="sms")
    if request.method == "GET":
        if request.args.get("send") == "1":
            problem = send_code(db, purpose="login", phone=phone, user_id=current_user.id)
            flash(problem or "Код отправлен.", "error" if problem else "success")
            return redirect(url_for("security.sms_setup"))
        return render_template("security/sms.html", form=form, phone=phone)
    if not form.validate_on_submit():
        return render_template("security/sms.html", form=form, phone=phone), 422
    verdict = check_code(
        db, purpose="login", phone=phone, code=form.code.data, user_id=current_user.id
    )
    if not verdict.ok:
        form.code.errors = [verdict.message]
        return render_template("security/sms.html", form=form, phone=phone), 422
    store.set_sms_factor(db, current_user.id, True)
    mark_factor("sms")
    session["enrolled"] = True
    _changed("Включены коды по SMS", "Для входа теперь можно использовать коды из SMS.", "sms.add")
    flash("Коды по SMS включены.", "success")
    return htmx.redirect_to(_after_first_factor())


@bp.post("/sms/delete")
@login_required
@step_up_required
def sms_delete():
    """Stop using SMS codes as a second factor."""
    if _would_leave_none("sms"):
        flash("Это ваш единственный способ подтверждения входа. Сначала добавьте другой.", "error")
    else:
        store.set_sms_factor(get_db(), current_user.id, False)
        _changed(
            "Выключены коды по SMS", "Коды из SMS больше не используются для входа.", "sms.delete"
        )
        flash("Коды по SMS выключены.", "success")
    return htmx.redirect_to(url_for("security.index"))


@bp.post("/recovery-codes")
@login_required
@step_up_required
def recovery_codes():
    """Make ten new recovery codes; they are shown once and stored only as hashes."""
    db = get_db()
    codes = recovery.new_codes()
    hashes = [cipher().code_hash("recovery", str(current_user.id), c) for c in codes]
    with db.atomic():
        store.replace_recovery_codes(db, current_user.id, hashes)
    _changed(
        "Созданы новые коды восстановления",
        "Для вашей учётной записи созданы новые коды восстановления; старые больше не действуют.",
        "recovery.generate",
    )
    return render_template(
        "security/recovery_codes.html", codes=codes, next_url=url_for("security.index")
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
@step_up_required
def password():
    """Change the password; other sessions end."""
    db = get_db()
    row = users.get_row(db, current_user.id)
    min_length = password_min_length(current_app.config, store.enrolled(db, current_user.id))
    form = NewPasswordForm(personal=users.personal_words(row), min_length=min_length)
    if not form.validate_on_submit():
        return htmx.form_page("security/password.html", form=form, min_length=min_length)
    set_password(db, row, form.password.data, how="change", keep_session_id=current_session_id())
    flash("Пароль изменён. Другие сеансы завершены.", "success")
    return htmx.redirect_to(url_for("security.index"))


@bp.route("/not-me/<token>", methods=["GET", "POST"])
def not_me(token):
    """«Это был не я»: end all sessions, block password sign-in and send the person to recovery."""
    db = get_db()
    try:
        data = signer("not-me").loads(token, max_age=current_app.config["NOT_ME_LINK_MAX_AGE"])
    except BadSignature:
        data = None
    row = users.get_row(db, data["u"]) if data else None
    if row is None:
        flash("Ссылка недействительна или устарела.", "error")
        return htmx.redirect_to(url_for("auth.login"))
    if request.method == "GET":
        return render_template("security/not_me.html", token=token)
    with db.atomic():
        sessions.end_all(db, row["id"])
        users.block_password(db, row["id"])
        audit.record(db, "security.not_me", subject_user_id=row["id"])
    security_notice(
        db,
        row,
        "Все сеансы завершены",
        "По вашей просьбе все сеансы завершены, а вход по паролю заблокирован. "
        "Задайте новый пароль через восстановление доступа.",
        critical=True,
    )
    if current_user.is_authenticated:
        logout_user()
    destroy_session()
    flash("Все сеансы завершены, вход по паролю заблокирован. Задайте новый пароль.", "success")
    return htmx.redirect_to(url_for("reset.start"))
