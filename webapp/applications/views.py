"""«Заявления»: the worker's list, an application's page with its timeline, withdrawing, and the
files (attached copies, the выписка). The wizard is in `wizard_views`, signing in `sign_views`."""

import io
import zipfile
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from webapp import htmx
from webapp.applications import engine, signing, states, store
from webapp.applications.deadlines import deadline_facts
from webapp.applications.forms import ActionForm, FilterForm
from webapp.applications.kinds import KINDS
from webapp.auth.flows import role_required
from webapp.clock import today
from webapp.db import get_db
from webapp.documents.preview import file_response
from webapp.documents.types import TYPES
from webapp.documents.uploads import format_size
from webapp.paging import keyset
from webapp.workdays import load_overrides

bp = Blueprint("applications", __name__, url_prefix="/applications")

VERDICTS = {"pending": "Не проверен", "accepted": "Принят", "needs_fix": "Требуется уточнение"}


@bp.context_processor
def _words():
    return {
        "kinds": KINDS,
        "state_titles": states.STATES,
        "tones": states.TONES,
        "doc_types": TYPES,
        "verdicts": VERDICTS,
        "format_size": format_size,
        "grouped": signing.grouped,
    }


worker_required = role_required("worker")  # signed in (else to /login) and holding the role


@bp.get("")
@worker_required
def index():
    """«Мои заявления»: filters, newest (or oldest) first, keyset pages."""
    db = get_db()
    form = FilterForm(request.args)
    form.validate()
    values = {f: getattr(form, f).data if not getattr(form, f).errors else None for f in form.data}
    oldest = values["sort"] == "old"
    after = request.args.get("after", type=int)
    rows = store.for_user(
        db,
        current_user.id,
        kind=values["kind"] or None,
        state=values["state"] or None,
        since=values["since"],
        until=values["until"],
        oldest_first=oldest,
        after=after,
    )
    page = keyset(rows, store.PAGE)
    day = today(current_user.time_zone)
    overrides = load_overrides(db)
    deadlines = {row["id"]: deadline_facts(row, day, overrides) for row in page.rows}
    more_args = {k: v for k, v in request.args.items() if k != "after"}
    context = dict(
        page=page,
        form=form,
        deadlines=deadlines,
        filtered=any(values[f] for f in ("kind", "state", "since", "until")),
        more_url=url_for("applications.index", after=page.next_before, **more_args),
    )
    if after is not None:
        return htmx.render("applications/index.html", "applications/_rows.html", **context)
    return htmx.render("applications/index.html", "applications/index.html", **context)


@bp.get("/<int:application_id>")
@login_required
def show(application_id):
    """One application: status, deadline, timeline, files with remarks, the actions its state
    allows."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if application["user_id"] != current_user.id:
        return redirect(url_for("review.show", application_id=application_id))
    if application["state"] == "draft":
        return redirect(url_for("applications.step", application_id=application_id, step="review"))
    kind = KINDS[application["kind"]]
    day = today(current_user.time_zone)
    return htmx.render(
        "applications/show.html",
        "applications/show.html",
        application=application,
        kind=kind,
        events=store.events(db, application_id),
        files=store.files(db, application_id),
        deadline=deadline_facts(application, day, load_overrides(db)),
        moves=states.available(application["state"], "worker", kind.actions),
        action_form=ActionForm(),
    )


@bp.post("/<int:application_id>/withdraw")
@worker_required
def withdraw(application_id):
    """Withdraw a submitted application (until it is registered)."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if not ActionForm().validate_on_submit() or application["user_id"] != current_user.id:
        flash("Обновите страницу и попробуйте ещё раз.", "error")
        return htmx.redirect_to(url_for("applications.show", application_id=application_id))
    try:
        engine.move(db, application, "withdraw", current_user, "worker")
        flash("Заявление отозвано.", "success")
    except engine.MoveRefused as exc:
        flash(str(exc), "error")
    return htmx.redirect_to(url_for("applications.show", application_id=application_id))


@bp.post("/<int:application_id>/delete")
@worker_required
def delete(application_id):
    """Delete a draft that was never sent."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if not ActionForm().validate_on_submit() or application["user_id"] != current_user.id:
        flash("Обновите страницу и попробуйте ещё раз.", "error")
    elif store.delete_draft(db, application_id):
        flash("Черновик удалён.", "success")
    else:
        flash("Отправленное заявление удалить нельзя — его можно отозвать.", "error")
    return htmx.redirect_to(url_for("applications.index"))


def attached_file(db, application_id: int, file_id: int) -> Response:
    """An attached copy for the owner or a reviewer; a reviewer's view is in the worker's
    «Журнал доступа»."""
    application = store.get_application_or_404(db, application_id, current_user)
    row = store.get_file_or_404(db, application_id, file_id)
    if application["user_id"] != current_user.id:
        engine.audit_look(db, application, "application.file_view", row["title"])
    body = engine.storage().get(row["file_key"])
    return file_response(body, row["mime"], f"{application['number']} {row['title']}.pdf")


@bp.get("/<int:application_id>/files/<int:file_id>")
@login_required
def file(application_id, file_id):
    """Download one attached file."""
    return attached_file(get_db(), application_id, file_id)


@bp.get("/<int:application_id>/files.zip")
@login_required
def files_zip(application_id):
    """Every file of the latest submission in one archive («Скачать вложения»)."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    rows = store.files(db, application_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        seen: set[str] = set()
        for row in rows:
            name = f"{row['title']}.pdf"
            while name in seen:
                name = f"{row['title']} ({len(seen)}).pdf"
            seen.add(name)
            archive.writestr(name, engine.storage().get(row["file_key"]))
    if application["user_id"] != current_user.id:
        engine.audit_look(db, application, "application.file_view", "все вложения")
    response = file_response(buffer.getvalue(), "application/zip")
    response.headers["Content-Disposition"] = (
        "attachment; filename=\"attachments.zip\"; filename*=UTF-8''"
        + quote(f"{application['number']} вложения.zip")
    )
    return response


@bp.get("/<int:application_id>/extract.pdf")
@login_required
def extract(application_id):
    """The signed выписка of a decided application («Скачать выписку»)."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if not application["result_key"]:
        flash("Выписки по этому заявлению нет.", "error")
        return redirect(url_for("applications.show", application_id=application_id))
    body = engine.storage().get(application["result_key"])
    return file_response(body, "application/pdf", f"Выписка {application['number']}.pdf")


@bp.get("/record/<int:certificate_id>/extract.pdf")
@worker_required
def record_extract(certificate_id):
    """«Получить выписку» from the profile: the выписка of the decision that added the record."""
    application = store.with_result_for_record(get_db(), current_user.id, certificate_id)
    if application is None:
        abort(404)
    body = engine.storage().get(application["result_key"])
    return file_response(body, "application/pdf", f"Выписка {application['number']}.pdf")
