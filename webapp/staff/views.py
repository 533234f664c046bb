"""«Сотрудники»: the HR admin's queue of declared employment, confirm or reject with a reason."""

from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import Length

from webapp import htmx
from webapp.auth.flows import role_required
from webapp.db import get_db
from webapp.forms import Form, no_control_chars, strip
from webapp.notifications import inbox
from webapp.profile.forms import plain_text
from webapp.profile.record_forms import EMPLOYMENT_DOCUMENTS, EMPLOYMENT_KINDS
from webapp.security import audit
from webapp.staff import store

bp = Blueprint("staff", __name__, url_prefix="/staff")
STATUSES = {"declared": "Ждут проверки", "confirmed": "Подтверждены", "rejected": "Отклонены"}


class DecisionForm(Form):
    """The reason is required to reject."""

    reason = TextAreaField(
        "Причина отказа",
        filters=[strip],
        description="Работник увидит её в профиле",
        validators=[Length(max=500), no_control_chars, plain_text],
    )


@bp.get("")
@role_required("orgadmin")
def index():
    """Employment declared at the admin's organisations, by status."""
    db = get_db()
    inns = store.organisations(db, current_user.id)
    status = request.args.get("status", "declared")
    if status not in STATUSES:
        status = "declared"
    rows = store.queue(
        db, inns, status=status, before_id=request.args.get("before", type=int), limit=31
    )
    context = {"rows": rows[:30], "more": len(rows) > 30, "status": status, "inns": inns}
    if htmx.wants_partial():
        return render_template("staff/_rows.html", **context)
    return render_template("staff/index.html", statuses=STATUSES, **context)


@bp.route("/employment/<int:employment_id>", methods=["GET", "POST"])
@role_required("orgadmin")
def employment(employment_id):
    """One declared job: look, then confirm or reject; every look is in the worker's log."""
    db = get_db()
    row = store.get_employment_or_404(db, employment_id, store.organisations(db, current_user.id))
    form = DecisionForm()
    if request.method == "GET":
        audit.record(
            db,
            "profile.view",
            subject_user_id=row["user_id"],
            object_type="employment",
            object_id=employment_id,
        )
    elif form.validate_on_submit():
        confirmed = request.form.get("decision") == "confirm"
        if not confirmed and not form.reason.data:
            form.reason.errors = ["Напишите, что не так: работник исправит запись."]
        else:
            with db.atomic():
                store.decide(
                    db, employment_id, confirmed=confirmed, reason=form.reason.data or None
                )
                audit.record(
                    db,
                    f"profile.employment.{'confirm' if confirmed else 'reject'}",
                    subject_user_id=row["user_id"],
                    object_type="employment",
                    object_id=employment_id,
                )
                inbox.add(
                    db,
                    row["user_id"],
                    kind="record",
                    title="Место работы подтверждено" if confirmed else "Место работы отклонено",
                    body=f"{row['position']}, {row['org_name']}"
                    + ("" if confirmed else f". Причина: {form.reason.data}"),
                )
            flash("Запись подтверждена." if confirmed else "Запись отклонена.", "success")
            return htmx.redirect_to(url_for("staff.index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "staff/employment.html",
        row=row,
        form=form,
        kinds=dict(EMPLOYMENT_KINDS),
        documents=dict(EMPLOYMENT_DOCUMENTS),
    ), status
