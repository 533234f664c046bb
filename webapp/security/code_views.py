"""The code factors on «Безопасность»: an authenticator app (TOTP) and SMS codes."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from webapp import htmx
from webapp.auth import totp
from webapp.auth.flows import check_code, cipher, send_code
from webapp.auth.forms import AppCodeForm, CodeForm
from webapp.auth.stepup import mark_factor, step_up_required
from webapp.auth.store import factors as store
from webapp.auth.store import users
from webapp.clock import now
from webapp.db import get_db
from webapp.security.views import after_first_factor, bp, changed, would_leave_none


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
            changed(
                "Подключено приложение-аутентификатор",
                "К вашей учётной записи подключено приложение для кодов входа.",
                "totp.add",
            )
            flash("Приложение подключено.", "success")
            return htmx.redirect_to(after_first_factor())
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
    """Disconnect the authenticator app (an unfinished setup is just dropped, without a notice)."""
    enrolled = store.enrolled(get_db(), current_user.id)["totp"]
    if not enrolled:
        store.delete_totp(get_db(), current_user.id)
        flash("Приложение не подключено.", "info")
    elif would_leave_none("totp"):
        flash("Это ваш единственный способ подтверждения входа. Сначала добавьте другой.", "error")
    else:
        store.delete_totp(get_db(), current_user.id)
        changed(
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
    changed("Включены коды по SMS", "Для входа теперь можно использовать коды из SMS.", "sms.add")
    flash("Коды по SMS включены.", "success")
    return htmx.redirect_to(after_first_factor())


@bp.post("/sms/delete")
@login_required
@step_up_required
def sms_delete():
    """Stop using SMS codes as a second factor."""
    if not store.enrolled(get_db(), current_user.id)["sms"]:
        flash("Коды по SMS и так выключены.", "info")
    elif would_leave_none("sms"):
        flash("Это ваш единственный способ подтверждения входа. Сначала добавьте другой.", "error")
    else:
        store.set_sms_factor(get_db(), current_user.id, False)
        changed(
            "Выключены коды по SMS", "Коды из SMS больше не используются для входа.", "sms.delete"
        )
        flash("Коды по SMS выключены.", "success")
    return htmx.redirect_to(url_for("security.index"))
