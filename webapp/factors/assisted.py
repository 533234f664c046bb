"""Assisted recovery: a person who lost every factor asks; an admin checks identity and,
after a waiting period during which all known addresses were told, resets the factors."""

from datetime import datetime, timedelta

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp import htmx
from webapp.auth import store as users
from webapp.auth.flows import cipher, role_required
from webapp.auth.forms import REQUIRED
from webapp.auth.reset_views import send_reset_link
from webapp.clock import now, now_iso
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.factors import store
from webapp.forms import Form, no_control_chars, strip
from webapp.notifications import notify_owner
from webapp.security import audit
from webapp.validators import normalize_snils, snils_is_valid

bp = Blueprint("assisted", __name__)


class RecoveryRequestForm(Form):
    """Who is asking and how to reach them."""

    surname = StringField(
        "Фамилия",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars],
    )
    name = StringField(
        "Имя",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars],
    )
    patronymic = StringField(
        "Отчество", filters=[strip], validators=[Optional(), Length(max=60), no_control_chars]
    )
    snils = StringField(
        "СНИЛС", filters=[strip], validators=[DataRequired(REQUIRED), Length(max=20)]
    )
    contact = StringField(
        "Как с вами связаться",
        filters=[strip],
        description="Телефон или почта, к которым у вас сейчас есть доступ",
        validators=[DataRequired(REQUIRED), Length(max=120), no_control_chars],
    )
    details = TextAreaField(
        "Что случилось",
        filters=[strip],
        validators=[Optional(), Length(max=2000), no_control_chars],
    )

    def validate_snils(self, field):
        if not snils_is_valid(field.data):
            raise ValidationError("СНИЛС не прошёл проверку контрольного числа.")


@bp.route("/recovery/assisted", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"], methods=["POST"])
def request_help():
    """File a request; the same answer whether an account matched or not."""
    form = RecoveryRequestForm()
    if not form.validate_on_submit():
        return render_template("factors/assisted.html", form=form), (
            422 if request.method == "POST" else 200
        )
    db = get_db()
    index = cipher().blind_index("snils", normalize_snils(form.snils.data))
    row = next(db.query("select * from users where snils_bidx = ?", [index]), None)
    if row and row["surname"].casefold() != form.surname.data.casefold():
        row = None
    hours = current_app.config["RECOVERY_WAITING_HOURS"]
    with db.atomic():
        request_id = (
            db["recovery_requests"]
            .insert(
                {
                    "user_id": row["id"] if row else None,
                    "surname": form.surname.data,
                    "name": form.name.data,
                    "patronymic": form.patronymic.data or None,
                    "contact": form.contact.data,
                    "details": form.details.data or None,
                    "ip": request.remote_addr,
                    "created_at": now_iso(),
                    "not_before": (now() + timedelta(hours=hours)).isoformat(timespec="seconds"),
                }
            )
            .last_pk
        )
        audit.record(
            db,
            "recovery.request",
            subject_user_id=row["id"] if row else None,
            object_type="recovery_request",
            object_id=request_id,
        )
    if row:
        notify_owner(
            row,
            "Запрос на восстановление доступа",
            f"Поступил запрос на восстановление доступа к вашей учётной записи без "
            f"пароля и ключей. Если его подали не вы, нажмите «Это был не я» — через "
            f"{hours} ч администратор может сбросить способы входа.",
            sms=True,
        )
    return render_template("factors/assisted_sent.html", hours=hours)


@bp.get("/admin/recovery")
@role_required("admin")
def queue():
    """Requests waiting for an identity check, oldest first."""
    rows = list(
        get_db().query(
            "select r.*, u.phone, u.email from recovery_requests r left join users u "
            "on u.id = r.user_id where r.status = 'waiting' order by r.id limit 100"
        )
    )
    return render_template("factors/assisted_queue.html", rows=rows, now=now().isoformat())


@bp.post("/admin/recovery/<int:request_id>/<any(approve, reject):decision>")
@role_required("admin")
def decide(request_id, decision):
    """Approve (after the waiting period) or reject a request."""
    db = get_db()
    row = next(
        db.query(
            "select * from recovery_requests where id = ? and status = 'waiting'", [request_id]
        ),
        None,
    )
    if row is None:
        flash("Запрос уже обработан.", "info")
        return htmx.redirect_to(url_for("assisted.queue"))
    if decision == "approve":
        if row["user_id"] is None:
            flash("Запрос не совпал ни с одной учётной записью — одобрить нельзя.", "error")
            return htmx.redirect_to(url_for("assisted.queue"))
        if datetime.fromisoformat(row["not_before"]) > now():
            flash("Период ожидания ещё не закончился.", "error")
            return htmx.redirect_to(url_for("assisted.queue"))
    note = (request.form.get("note") or "").strip()[:500] or None
    with db.atomic():
        db.execute(
            "update recovery_requests set status = ?, handled_by = ?, handled_at = ?, "
            "note = ? where id = ?",
            [
                "approved" if decision == "approve" else "rejected",
                current_user.id,
                now_iso(),
                note,
                request_id,
            ],
        )
        if decision == "approve":
            store.remove_all_factors(db, row["user_id"])
            users.unblock_password(db, row["user_id"])
            db.execute("delete from sessions where user_id = ?", [row["user_id"]])
        audit.record(
            db,
            f"recovery.{decision}",
            subject_user_id=row["user_id"],
            object_type="recovery_request",
            object_id=request_id,
        )
    if decision == "approve":
        account = users.get_row(db, row["user_id"])
        send_reset_link(account)
        notify_owner(
            account,
            "Способы входа сброшены",
            "По запросу на восстановление администратор сбросил способы входа. "
            "Задайте новый пароль по ссылке из письма и добавьте ключ доступа.",
            sms=True,
        )
    flash("Запрос одобрен." if decision == "approve" else "Запрос отклонён.", "success")
    return htmx.redirect_to(url_for("assisted.queue"))
