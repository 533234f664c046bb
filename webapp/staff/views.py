"""«Сотрудники»: the HR admin's queue of declared employment, confirm or reject with a reason."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from webapp import audit, htmx
from webapp.auth.flows import role_required
from webapp.auth.store import users
from webapp.db import get_db
from webapp.notifications.deliver import Notice, deliver
from webapp.paging import keyset
from webapp.profile import store as profile
from webapp.profile.forms.records import EMPLOYMENT_DOCUMENTS, EMPLOYMENT_KINDS
from webapp.profile.kinds import KINDS
from webapp.profile.store import employment as store
from webapp.staff.forms import DecisionForm

bp = Blueprint("staff", __name__, url_prefix="/staff")
STATUSES = {"declared": "Ждут проверки", "confirmed": "Подтверждены", "rejected": "Отклонены"}
PAGE = 30


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
        db, inns, status=status, before_id=request.args.get("before", type=int), limit=PAGE + 1
    )
    return htmx.render(
        "staff/index.html",
        "staff/_rows.html",
        page=keyset(rows, PAGE),
        status=status,
        inns=inns,
        statuses=STATUSES,
    )


@bp.route("/employment/<int:employment_id>", methods=["GET", "POST"])
@role_required("orgadmin")
def employment(employment_id):
    """One declared job: look, then confirm or reject; every look is in the worker's log."""
    db = get_db()
    job = profile.get_record_or_404(
        db, KINDS["employment"], employment_id, current_user, profile.DECIDE
    )
    worker = users.get_row(db, job["user_id"])
    row = {**job, **{k: worker[k] for k in ("surname", "name", "patronymic")}}
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
            reason = "" if confirmed else f". Причина: {form.reason.data}"
            deliver(
                db,
                worker,
                Notice(
                    "record",
                    "Место работы подтверждено" if confirmed else "Место работы отклонено",
                    f"{row['position']}, {row['org_name']}{reason}",
                ),
            )
            flash("Запись подтверждена." if confirmed else "Запись отклонена.", "success")
            return htmx.redirect_to(url_for("staff.index"))
    return htmx.form_page(
        "staff/employment.html",
        row=row,
        form=form,
        kinds=dict(EMPLOYMENT_KINDS),
        documents=dict(EMPLOYMENT_DOCUMENTS),
    )
