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


@bp.app_context_processor
def _waiting():
    """The «Сотрудники» tab shows how many jobs wait for this HR admin."""
    if not (current_user.is_authenticated and current_user.has_role("orgadmin")):
        return {}
    db = get_db()
    return {"staff_pending": store.waiting_count(db, store.organisation_rows(db, current_user.id))}


@bp.get("")
@role_required("orgadmin")
def index():
    """Employment declared at the admin's organisations, by status."""
    db = get_db()
    orgs = store.organisation_rows(db, current_user.id)
    status = request.args.get("status", "declared")
    if status not in STATUSES:
        status = "declared"
    rows = store.queue(
        db, orgs, status=status, before_id=request.args.get("before", type=int), limit=PAGE + 1
    )
    return htmx.render(
        "staff/index.html",
        "staff/_rows.html",
        page=keyset(rows, PAGE),
        status=status,
        orgs=orgs,
        statuses=STATUSES,
    )


def _organisation_of(job: dict, orgs: list[dict]) -> dict:
    """Which of the admin's organisations the job is at: by ИНН, else by name, else the
    first (the access rule already let only those jobs through)."""
    key = store.organisation_key(job["org_name"])
    return next(
        (o for o in orgs if o["org_inn"] == job["org_inn"]),
        next((o for o in orgs if store.organisation_key(o["org_name"]) == key), orgs[0]),
    )


@bp.route("/employment/<int:employment_id>", methods=["GET", "POST"])
@role_required("orgadmin")
def employment(employment_id):
    """One declared job: look, then confirm (completing the organisation's ИНН and ОКТМО) or
    reject; every look is in the worker's log."""
    db = get_db()
    job = profile.get_record_or_404(
        db, KINDS["employment"], employment_id, current_user, profile.DECIDE
    )
    worker = users.get_row(db, job["user_id"])
    row = {**job, **{k: worker[k] for k in ("surname", "name", "patronymic")}}
    orgs = store.organisation_rows(db, current_user.id)
    org = _organisation_of(job, orgs)
    form = DecisionForm(
        data={
            "org_inn": job["org_inn"] or org["org_inn"],
            "org_oktmo": job["org_oktmo"] or org["org_oktmo"],
        }
    )
    confirmed = request.form.get("decision") == "confirm"
    if request.method == "GET":
        audit.record(
            db,
            "profile.view",
            subject_user_id=row["user_id"],
            object_type="employment",
            object_id=employment_id,
        )
    elif form.validate_decision(confirmed, [o["org_inn"] for o in orgs]):
        filled = {"org_inn": form.org_inn.data, "org_oktmo": form.org_oktmo.data}
        changed = [k for k, v in filled.items() if confirmed and job[k] != v]
        with db.atomic():
            store.decide(
                db,
                employment_id,
                confirmed=confirmed,
                reason=form.reason.data or None,
                **(filled if confirmed else {}),
            )
            audit.record(
                db,
                f"profile.employment.{'confirm' if confirmed else 'reject'}",
                subject_user_id=row["user_id"],
                object_type="employment",
                object_id=employment_id,
                details={"fields": changed} if changed else None,
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
        org=org,
        form=form,
        kinds=dict(EMPLOYMENT_KINDS),
        documents=dict(EMPLOYMENT_DOCUMENTS),
    )
