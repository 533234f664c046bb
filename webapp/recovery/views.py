"""Assisted recovery: a person who lost every factor asks for help. An admin checks their
identity out of band and, after a waiting period during which every known address was told,
resets the factors (the queue is on the admin pages)."""

from datetime import timedelta

from flask import Blueprint, current_app, render_template, request

from webapp import audit, htmx
from webapp.auth.flows import cipher
from webapp.auth.store import users
from webapp.clock import now
from webapp.db import get_db
from webapp.extensions import limiter
from webapp.notifications.deliver import security_notice
from webapp.recovery import store
from webapp.recovery.forms import RecoveryRequestForm
from webapp.validators import normalize_snils

bp = Blueprint("recovery", __name__, url_prefix="/recovery")


@bp.route("/assisted", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"], methods=["POST"])
def request_help():
    """File a request; the same answer whether an account matched or not."""
    form = RecoveryRequestForm()
    if not form.validate_on_submit():
        return htmx.form_page("recovery/request.html", form=form)
    db = get_db()
    row = users.find_by_snils(db, cipher(), normalize_snils(form.snils.data))
    if row and row["surname"].casefold() != form.surname.data.casefold():
        row = None
    hours = current_app.config["RECOVERY_WAITING_HOURS"]
    with db.atomic():
        request_id = store.add(
            db,
            user_id=row["id"] if row else None,
            surname=form.surname.data,
            name=form.name.data,
            patronymic=form.patronymic.data or None,
            contact=form.contact.data,
            details=form.details.data or None,
            ip=request.remote_addr,
            not_before=now() + timedelta(hours=hours),
        )
        audit.record(
            db,
            "recovery.request",
            subject_user_id=row["id"] if row else None,
            object_type="recovery_request",
            object_id=request_id,
        )
    if row:
        security_notice(
            db,
            row,
            "Запрос на восстановление доступа",
            f"Поступил запрос на восстановление доступа к вашей учётной записи без "
            f"пароля и ключей. Если его подали не вы, нажмите «Это был не я» — через "
            f"{hours} ч администратор может сбросить способы входа.",
            critical=True,
        )
    return render_template("recovery/sent.html", hours=hours)
