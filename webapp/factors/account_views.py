"""Account-level changes behind step-up: the phone number, the email and deleting the account."""

import sqlite3

from flask import Blueprint, current_app, flash, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from webapp import htmx
from webapp.auth import store as users
from webapp.auth.flows import check_code, send_code
from webapp.auth.forms import CodeForm
from webapp.auth.sessions import destroy_session
from webapp.clock import now_iso
from webapp.db import get_db
from webapp.factors.forms import DeleteAccountForm, EmailChangeForm, PhoneChangeForm
from webapp.factors.stepup import step_up_required
from webapp.notifications import notify_owner
from webapp.security import audit

bp = Blueprint("account_change", __name__, url_prefix="/security")


@bp.route("/phone", methods=["GET", "POST"])
@login_required
@step_up_required
def phone():
    """Ask for the new number and send it a code."""
    form = PhoneChangeForm()
    if not form.validate_on_submit():
        return render_template("factors/phone.html", form=form), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    taken = db.execute("select id from users where phone = ?", [form.phone.data]).fetchone()
    if taken:
        form.phone.errors.append("Этот номер уже привязан к другой учётной записи.")
        return render_template("factors/phone.html", form=form), 422
    problem = send_code(db, purpose="phone_change", phone=form.phone.data, user_id=current_user.id)
    if problem:
        form.phone.errors.append(problem)
        return render_template("factors/phone.html", form=form), 422
    session["phone_change"] = form.phone.data
    return htmx.redirect_to(url_for("account_change.phone_confirm"))


@bp.route("/phone/confirm", methods=["GET", "POST"])
@login_required
@step_up_required
def phone_confirm():
    """The code from the new number switches the account to it; the old number is told."""
    new_phone = session.get("phone_change")
    if not new_phone:
        return htmx.redirect_to(url_for("account_change.phone"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("factors/phone_confirm.html", form=form, phone=new_phone), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    verdict = check_code(
        db, purpose="phone_change", phone=new_phone, code=form.code.data, user_id=current_user.id
    )
    if not verdict.ok:
        form.code.errors.append(verdict.message)
        return render_template("factors/phone_confirm.html", form=form, phone=new_phone), 422
    old = users.get_row(db, current_user.id)
    try:
        with db.atomic():
            db.execute(
                "update users set phone = ?, phone_confirmed_at = ?, updated_at = ? where id = ?",
                [new_phone, now_iso(), now_iso(), current_user.id],
            )
            audit.record(db, "phone.change", object_type="user", object_id=current_user.id)
    except sqlite3.IntegrityError:
        form.code.errors.append("Этот номер уже привязан к другой учётной записи.")
        return render_template("factors/phone_confirm.html", form=form, phone=new_phone), 422
    session.pop("phone_change")
    notify_owner(
        old,
        "Телефон изменён",
        f"Номер телефона учётной записи изменён на …{new_phone[-4:]}.",
        sms=True,
    )
    flash("Телефон изменён.", "success")
    return htmx.redirect_to(url_for("account.profile"))


@bp.route("/email", methods=["GET", "POST"])
@login_required
@step_up_required
def email():
    """Ask for the new address and mail it a code."""
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return render_template("factors/email.html", form=form), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    taken = db.execute("select id from users where email = ?", [form.email.data]).fetchone()
    if taken:
        form.email.errors.append("Эта почта уже привязана к другой учётной записи.")
        return render_template("factors/email.html", form=form), 422
    problem = send_code(
        db, purpose="email_change", phone=form.email.data, user_id=current_user.id, by_email=True
    )
    if problem:
        form.email.errors.append(problem)
        return render_template("factors/email.html", form=form), 422
    session["email_change"] = form.email.data
    return htmx.redirect_to(url_for("account_change.email_confirm"))


@bp.route("/email/confirm", methods=["GET", "POST"])
@login_required
@step_up_required
def email_confirm():
    """The code from the new address switches the account to it; the old address is told."""
    new_email = session.get("email_change")
    if not new_email:
        return htmx.redirect_to(url_for("account_change.email"))
    form = CodeForm()
    page = "factors/email_confirm.html"
    if not form.validate_on_submit():
        return render_template(page, form=form, email=new_email), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    verdict = check_code(
        db, purpose="email_change", phone=new_email, code=form.code.data, user_id=current_user.id
    )
    if not verdict.ok:
        form.code.errors.append(verdict.message)
        return render_template(page, form=form, email=new_email), 422
    old = users.get_row(db, current_user.id)
    try:
        with db.atomic():
            db.execute(
                "update users set email = ?, email_confirmed_at = ?, updated_at = ? where id = ?",
                [new_email, now_iso(), now_iso(), current_user.id],
            )
            audit.record(db, "email.change", object_type="user", object_id=current_user.id)
    except sqlite3.IntegrityError:
        form.code.errors.append("Эта почта уже привязана к другой учётной записи.")
        return render_template(page, form=form, email=new_email), 422
    session.pop("email_change")
    notify_owner(old, "Почта изменена", f"Почта учётной записи изменена на {new_email}.")
    flash("Почта изменена и подтверждена.", "success")
    return htmx.redirect_to(url_for("profile.index", _anchor="contacts"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@step_up_required
def delete():
    """Delete the account and everything it owns; the audit log keeps the record of it."""
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("factors/delete.html", form=form), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    row = users.get_row(db, current_user.id)
    with db.atomic():
        audit.record(db, "account.delete", object_type="user", object_id=row["id"])
        db.execute("delete from users where id = ?", [row["id"]])
    try:
        from webapp.adapters.mail import MailError, send_mail

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
