"""«Составить отчёт»: the activity report in a guided form, made into a PDF and added to «Мои
документы», then picked for the draft it was made from."""

from flask import flash, request, url_for
from flask_login import current_user

from webapp import audit, htmx
from webapp.applications import engine, forms, report, store
from webapp.applications.views import bp, worker_required
from webapp.applications.wizard_views import editable_or_redirect
from webapp.auth.store import users
from webapp.clock import today
from webapp.db import get_db
from webapp.documents import ingest
from webapp.documents import store as documents
from webapp.documents.uploads import UploadRefused

REPORT_TITLE = "Отчёт о профессиональной деятельности"


@bp.route("/<int:application_id>/report", methods=["GET", "POST"])
@worker_required
def report_form(application_id):
    application, away = editable_or_redirect(application_id)
    if away:
        return away
    db = get_db()
    form = forms.ReportForm()
    if request.method == "POST" and form.validate():
        person = users.get_row(db, current_user.id)
        pdf = report.render(
            report.Report(
                full_name=" ".join(
                    p for p in (person["surname"], person["name"], person["patronymic"]) if p
                ),
                specialty=application["specialty"] or "",
                workplace=form.workplace.data,
                position=form.position.data,
                period=form.period.data,
                duties=form.duties.data,
                achievements=form.achievements.data,
                proposals=form.proposals.data,
                written_on=today(current_user.time_zone),
            )
        )
        try:
            stored = ingest.store(engine.storage(), ingest.assemble([("report.pdf", pdf)]))
        except UploadRefused as exc:
            form.form_errors.append(str(exc))
        else:
            with db.atomic():
                document_id = documents.create_with_version(
                    db,
                    current_user.id,
                    {"doc_type": "activity_report", "title": REPORT_TITLE},
                    stored,
                )
                # The draft as it is now (an autosave may have moved it on), plus the report.
                latest = store.get(db, application_id)
                data = dict(latest["data"])
                data["documents"] = [*data.get("documents", []), document_id]
                store.save_draft(db, application_id, data, latest["revision"])
                audit.record(
                    db, "documents.generate", object_type="document", object_id=document_id
                )
            flash("Отчёт сохранён в «Мои документы» и приложен к заявлению.", "success")
            return htmx.redirect_to(
                url_for("applications.step", application_id=application_id, step="documents")
            )
    return htmx.form_page("applications/report.html", application=application, form=form)
