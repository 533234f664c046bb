"""Account settings: «Мои сессии», «История входов», a new phone or e-mail, the time zone,
deleting the account."""

import sqlite3

from flask import Blueprint, current_app, flash, render_template, session, url_for
from flask_login import current_user, login_required, logout_user

from webapp import audit, htmx
from webapp.account.forms import DeleteAccountForm, EmailChangeForm, PhoneChangeForm, TimeZoneForm
from webapp.adapters.mail import MailError, send_mail
from webapp.auth.flows import check_code, send_code
from webapp.auth.forms import CodeForm
from webapp.auth.sessions import current_session_id, destroy_session
from webapp.auth.stepup import step_up_required
from webapp.auth.store import sessions, users
from webapp.clock import known_zones, now_iso
from webapp.db import get_db
from webapp.notifications.deliver import security_notice
from webapp.template_helpers import zone_title

bp = Blueprint("account", __name__, url_prefix="/account")

EVENT_TITLES = {
    "login.success": "Вход",
    "login.failure": "Неудачная попытка входа",
    "login.locked": "Попытка входа во время ограничения",
    "logout": "Выход",
    "session.revoke": "Завершение сессии",
    "password.reset": "Смена пароля через восстановление",
}


def _sessions_component():
    """«Мои сессии» as a page, or its self-refreshing list for htmx."""
    current_id = current_session_id()
    rows = sorted(
        sessions.list_for_user(get_db(), current_user.id), key=lambda s: s["id"] != current_id
    )
    return htmx.render(
        "account/sessions.html", "account/_sessions.html", sessions=rows, current_id=current_id
    )


@bp.get("/sessions")
@login_required
def sessions_index():
    """«Мои сессии»: where the account is signed in."""
    return _sessions_component()


@bp.post("/sessions/<int:session_id>/revoke")
@login_required
def sessions_revoke(session_id):
    """End one other session of this account."""
    db = get_db()
    if session_id == current_session_id():
        flash("Чтобы завершить текущую сессию, нажмите «Выйти».", "info")
    else:
        target = sessions.get_session_or_404(db, session_id, current_user)
        sessions.end(db, current_user.id, target["id"])
        audit.record(db, "session.revoke", object_type="session", object_id=session_id)
        flash("Сессия завершена.", "success")
    if htmx.wants_partial():
        return _sessions_component()
    return htmx.redirect_to(url_for("account.sessions_index"))


@bp.post("/sessions/revoke-others")
@login_required
def sessions_revoke_others():
    """End every session of this account except this one."""
    db = get_db()
    ended = sessions.end_all(db, current_user.id, keep_id=current_session_id())
    audit.record(db, "session.revoke", object_type="session", details={"others": ended})
    flash(f"Завершено сессий: {ended}." if ended else "Других сессий нет.", "success")
    if htmx.wants_partial():
        return _sessions_component()
    return htmx.redirect_to(url_for("account.sessions_index"))


@bp.get("/history")
@login_required
def history():
    """«История входов»: the last 50 sign-in events."""
    events = audit.login_history(get_db(), current_user.id)
    return render_template("account/history.html", events=events, event_titles=EVENT_TITLES)


@bp.route("/time-zone", methods=["GET", "POST"])
@login_required
def time_zone():
    """«Часовой пояс»: the zone times are shown and days counted in; the device's is offered."""
    saved = current_user.time_zone
    form = TimeZoneForm(saved=saved)
    if form.validate_on_submit():
        chosen = form.time_zone.data
        if chosen != saved:
            db = get_db()
            with db.atomic():
                users.change_time_zone(db, current_user.id, chosen)
                audit.record(
                    db,
                    "account.time_zone",
                    object_type="user",
                    object_id=current_user.id,
                    details={"from": saved, "to": chosen},
                )
        flash(f"Часовой пояс сохранён: {zone_title(chosen)}.", "success")
        return htmx.redirect_to(url_for("profile.index"))
    if form.time_zone.data not in known_zones():  # first visit, or something that is no zone
        form.time_zone.data = saved
    return htmx.form_page("account/time_zone.html", form=form, now=now_iso())


# One flow for both contacts: what differs between them is data.
CHANNELS = {
    "phone": {
        "form": PhoneChangeForm,
        "purpose": "phone_change",
        "by_email": False,
        "taken": "Этот номер уже привязан к другой учётной записи.",
        "title": "Смена телефона",
        "lead": "Мы отправим код на новый номер, а на старый — уведомление о смене.",
        "input": {
            "type": "tel",
            "autocomplete": "tel",
            "inputmode": "tel",
            "placeholder": "+7 900 000-00-00",
        },
        "notice": ("Телефон изменён", "Номер телефона учётной записи изменён на …{tail}.", True),
        "done": "Телефон изменён.",
        "back": ("profile.index", {}),
    },
    "email": {
        "form": EmailChangeForm,
        "purpose": "email_change",
        "by_email": True,
        "taken": "Эта почта уже привязана к другой учётной записи.",
        "title": "Смена почты",
        "lead": "Мы отправим код на новый адрес, а на старый — уведомление о смене.",
        "input": {
            "type": "email",
            "autocomplete": "email",
            "inputmode": "email",
            "placeholder": "name@example.ru",
        },
        "notice": ("Почта изменена", "Почта учётной записи изменена на {value}.", False),
        "done": "Почта изменена и подтверждена.",
        "back": ("profile.record", {"_anchor": "contacts"}),
    },
}


@bp.route("/<any(phone, email):channel>", methods=["GET", "POST"])
@login_required
@step_up_required
def change(channel):
    """Ask for the new phone or e-mail and send a code to it."""
    words = CHANNELS[channel]
    form = words["form"]()
    field = form[channel]
    context = {"form": form, "field": field, "channel": channel, "words": words}
    if not form.validate_on_submit():
        return htmx.form_page("account/change.html", **context)
    db = get_db()
    if users.contact_taken(db, channel, field.data):
        field.errors.append(words["taken"])
        return htmx.form_page("account/change.html", 422, **context)
    problem = send_code(
        db,
        purpose=words["purpose"],
        phone=field.data,
        user_id=current_user.id,
        by_email=words["by_email"],
    )
    if problem:
        field.errors.append(problem)
        return htmx.form_page("account/change.html", 422, **context)
    session[f"{channel}_change"] = field.data
    return htmx.redirect_to(url_for("account.change_confirm", channel=channel))


@bp.route("/<any(phone, email):channel>/confirm", methods=["GET", "POST"])
@login_required
@step_up_required
def change_confirm(channel):
    """The code from the new phone or e-mail switches the account to it; the old one is told."""
    words = CHANNELS[channel]
    value = session.get(f"{channel}_change")
    if not value:
        return htmx.redirect_to(url_for("account.change", channel=channel))
    form = CodeForm()
    context = {"form": form, "channel": channel, "value": value, "words": words}
    if not form.validate_on_submit():
        return htmx.form_page("account/change_confirm.html", **context)
    db = get_db()
    verdict = check_code(
        db, purpose=words["purpose"], phone=value, code=form.code.data, user_id=current_user.id
    )
    if not verdict.ok:
        form.code.errors.append(verdict.message)
        return htmx.form_page("account/change_confirm.html", 422, **context)
    old = users.get_row(db, current_user.id)
    try:
        with db.atomic():
            users.change_contact(db, current_user.id, channel, value)
            audit.record(db, f"{channel}.change", object_type="user", object_id=current_user.id)
    except sqlite3.IntegrityError:
        form.code.errors.append(words["taken"])
        return htmx.form_page("account/change_confirm.html", 422, **context)
    session.pop(f"{channel}_change")
    title, text, critical = words["notice"]
    security_notice(db, old, title, text.format(tail=value[-4:], value=value), critical=critical)
    flash(words["done"], "success")
    endpoint, args = words["back"]
    return htmx.redirect_to(url_for(endpoint, **args))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@step_up_required
def delete():
    """Delete the account and everything it owns; the audit log keeps the record of it."""
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return htmx.form_page("account/delete.html", form=form)
    db = get_db()
    row = users.get_row(db, current_user.id)
    with db.atomic():
        audit.record(db, "account.delete", object_type="user", object_id=row["id"])
        users.delete_user(db, row["id"])
    try:
        send_mail(
            row["email"],
            "Учётная запись удалена",
            "Ваша учётная запись в Кабинете медработника удалена по вашей просьбе.",
        )
    except MailError:
        current_app.logger.exception("deletion email failed")
    logout_user()
    destroy_session()
    flash("Учётная запись удалена.", "success")
    return htmx.redirect_to(url_for("auth.login"))
