"""«Подать заявление»: a wizard over a server-side draft, so it resumes on any device. Each step
saves on «Далее» and autosaves on every change; a save over a newer revision (another tab or
device) is refused and says so."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import audit, htmx
from webapp.applications import engine, forms, signing, store
from webapp.applications.kinds import KINDS, documents_of
from webapp.applications.views import bp, worker_required
from webapp.auth.factors import strongest
from webapp.auth.store import factors as factor_store
from webapp.auth.store import users
from webapp.clock import now, today
from webapp.db import get_db
from webapp.documents import store as documents
from webapp.profile import store as profile
from webapp.profile.certificates import current_certificates
from webapp.profile.readiness import shift_months
from webapp.profile.store import regulator

STEPS = {
    "applicant": "Заявитель",
    "contacts": "Контакты",
    "details": None,  # the kind's own step, titled by the kind
    "documents": "Документы",
    "review": "Проверка и подпись",
}
EDITABLE = ("draft", "returned")
NEEDS_DRAFT = ("details", "documents", "review")


def steps_of(kind) -> list[tuple[str, str]]:
    return [
        (slug, title or kind.step_title)
        for slug, title in STEPS.items()
        if slug != "details" or kind.fields
    ]


def current_specialties(records: dict) -> list[str]:
    return [c["specialty"] for c in current_certificates(records.get("certificate", [])).values()]


def _starting_data(db, user_id: int, kind, day: date, records: dict) -> tuple[dict, str | None]:
    """A new draft's data: contacts from the account, the last region used, the newest
    document of each required type and, for a portfolio, the training of the last 5 years."""
    user = users.get_row(db, user_id)
    data = {
        "contacts": {
            "phone": user["phone"],
            "email": user["email"],
            "by_sms": False,
            "by_email": True,
        },
        "fields": {},
        "documents": [],
    }
    mine = documents.for_user(db, user_id)
    for doc_type in kind.required_docs:
        newest = next((d for d in mine if d["doc_type"] == doc_type), None)
        if newest:
            data["documents"].append(newest["id"])
    if any(f.type == "hours" for f in kind.fields):
        since = shift_months(day, -60)
        items = engine.hour_items(records, profile.nmo_entries(db, user_id))
        data["hours"] = [i["key"] for i in items if i["day"] >= since]
    earlier = store.for_user(db, user_id, size=1)
    region = None
    if earlier:
        region = (store.get(db, earlier[0]["id"]) or {}).get("region")
    return data, region


@bp.route("/new", methods=["GET", "POST"])
@worker_required
def new():
    """Step 1: the kind and the specialty. A draft of the same kind and specialty is reopened
    rather than duplicated."""
    db = get_db()
    form = forms.NewForm(request.form if request.method == "POST" else request.args)
    records = profile.records(db, current_user.id)
    specialties = current_specialties(records)
    if request.method == "POST" and form.validate():
        kind = KINDS[form.kind.data]
        specialty = form.specialty.data or None
        problem = None
        if kind.specialty == "current" and specialty not in specialties:
            problem = (
                "Выберите специальность из действующих в профиле."
                if specialties
                else "В профиле нет действующей аккредитации или сертификата: добавьте их "
                "или выберите первичную специализированную аккредитацию."
            )
        elif kind.specialty == "any" and not specialty:
            problem = "Укажите специальность."
        if kind.specialty == "none":
            specialty = None
        if problem:
            form.specialty.errors = [problem]
        else:
            existing = store.open_draft(db, current_user.id, kind.slug, specialty)
            if existing:
                flash("Продолжаем ваш черновик.", "info")
                return htmx.redirect_to(
                    url_for("applications.step", application_id=existing, step="applicant")
                )
            day = today(current_user.time_zone)
            data, region = _starting_data(db, current_user.id, kind, day, records)
            with db.atomic():
                application_id = store.create_draft(db, current_user.id, kind.slug, specialty, data)
                if region:
                    store.save_draft(db, application_id, data, 1, region=region)
            return htmx.redirect_to(
                url_for("applications.step", application_id=application_id, step="applicant")
            )
    return htmx.form_page(
        "applications/new.html",
        None if request.method == "POST" else 200,
        form=form,
        specialties=specialties,
    )


def editable_or_redirect(application_id: int):
    """The worker's own draft (or returned application), else a response to go back."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if application["user_id"] != current_user.id:
        abort(404)
    if application["state"] not in EDITABLE:
        flash("Заявление уже отправлено: изменить его нельзя.", "info")
        return None, htmx.redirect_to(url_for("applications.show", application_id=application_id))
    return application, None


def _step_form(step: str, application: dict, draft: engine.Draft | None, db):
    """The step's form with the worker's own choices; posted values when there are any."""
    kind = KINDS[application["kind"]]
    formdata = request.form if request.method == "POST" else None
    data = application["data"]
    if step == "contacts":
        contacts = data.get("contacts", {})
        return forms.ContactsForm(
            formdata,
            revision=application["revision"],
            region=application["region"] or "",
            **contacts,
        )
    if step == "details":
        form = forms.DetailsForm(
            formdata,
            revision=application["revision"],
            employer_agreed=data.get("fields", {}).get("employer_agreed") or "yes",
            hours=data.get("hours", []),
            record=data.get("record"),
        )
        names = {f.name for f in kind.fields}
        for name in ("employer_agreed", "hours", "record"):
            if name not in names:
                delattr(form, name)
        if "hours" in names:
            form.hours.choices = [(i["key"], i["title"]) for i in draft.hours]
        if "record" in names:
            form.record.choices = [
                (f"{r['kind']}:{r['id']}", r["title"])
                for r in regulator.confirmable(db, application["user_id"])
            ]
        return form
    if step == "documents":
        chosen = [str(i) for i in data.get("documents", [])]
        added = request.args.get("added", type=int)  # just captured for this step
        if added and str(added) not in chosen:
            chosen.append(str(added))
        form = forms.DocumentsForm(formdata, revision=application["revision"], documents=chosen)
        types = documents_of(kind)
        form.documents.choices = [
            (str(d["id"]), d["title"] or d["doc_type"])
            for d in documents.for_user(db, application["user_id"])
            if d["doc_type"] in types
        ]
        return form
    return forms.ReviewForm(formdata, revision=application["revision"])


def _saved(step: str, application: dict, form) -> tuple[dict, dict]:
    """The draft's data and columns after this step's form."""
    data = dict(application["data"])
    columns = {}
    if step == "contacts":
        data["contacts"] = {
            "phone": form.phone.data,
            "email": form.email.data,
            "by_sms": bool(form.by_sms.data),
            "by_email": bool(form.by_email.data),
        }
        columns["region"] = form.region.data
    elif step == "details":
        fields = dict(data.get("fields", {}))
        if getattr(form, "employer_agreed", None) is not None:
            fields["employer_agreed"] = form.employer_agreed.data
            data["hours"] = list(form.hours.data or [])
        if getattr(form, "record", None) is not None:
            data["record"] = form.record.data or None
        data["fields"] = fields
    elif step == "documents":
        data["documents"] = [int(i) for i in form.documents.data or []]
    return data, columns


def _step_page(application, step, form, draft, status=None):
    kind = KINDS[application["kind"]]
    steps = steps_of(kind)
    slugs = [s for s, _ in steps]
    db = get_db()
    context = dict(
        application=application,
        kind=kind,
        step=step,
        steps=steps,
        position=slugs.index(step),
        form=form,
        draft=draft,
        next_step=slugs[slugs.index(step) + 1] if step != slugs[-1] else None,
        previous_step=slugs[slugs.index(step) - 1] if slugs.index(step) else None,
    )
    if step == "applicant":
        summary_user = users.get_row(db, application["user_id"])
        context["person"] = summary_user
        context["jobs"] = profile.records(db, application["user_id"]).get("employment", [])
    if step == "documents":
        context["available"] = [
            d
            for d in documents.for_user(db, application["user_id"])
            if d["doc_type"] in documents_of(kind)
        ]
    if step == "review":
        context["signature"] = _signature_context(db, draft)
    return htmx.form_page(f"applications/step_{step}.html", status, **context)


def _signature_context(db, draft: engine.Draft) -> dict:
    """The hash to sign and the factor that signs it (passkey when the worker has one, else
    an SMS code: an app code cannot carry what is signed)."""
    if draft.missing or draft.blocking:
        return {"ready": False}
    digest, facts, _ = engine.signed_form(db, draft)
    enrolled = factor_store.enrolled(db, current_user.id)
    factor = "passkey" if strongest(enrolled) == "passkey" else "sms"
    return {
        "ready": True,
        "digest": digest,
        "grouped": signing.grouped(digest),
        "facts": facts,
        "factor": factor,
        "sms_form": forms.SignSmsForm(digest=digest),
        "send_form": forms.SignSmsSendForm(digest=digest),
    }


@bp.route("/<int:application_id>/step/<step>", methods=["GET", "POST"])
@worker_required
def step(application_id, step):
    """One step of the wizard; POST saves it and goes to the next («Далее»)."""
    if step not in STEPS:
        abort(404)
    application, away = editable_or_redirect(application_id)
    if away:
        return away
    kind = KINDS[application["kind"]]
    if step == "details" and not kind.fields:
        return redirect(
            url_for("applications.step", application_id=application_id, step="documents")
        )
    db = get_db()
    day = today(current_user.time_zone)
    # Only the steps that show documents, hours or readiness load what the draft refers to.
    draft = engine.assemble(db, application, day) if step in NEEDS_DRAFT else None
    if draft and draft.missing and request.method == "GET" and step in ("documents", "review"):
        flash(
            "Часть выбранных документов удалена. Выберите документы заново.",
            "error",
        )
    form = _step_form(step, application, draft, db)
    autosave = request.args.get("autosave") == "1"
    if request.method == "GET":
        return _step_page(application, step, form, draft)
    if not form.validate():
        if autosave:
            return render_template("applications/_autosave.html", state="invalid"), 200
        return _step_page(application, step, form, draft, 422)
    data, columns = _saved(step, application, form)
    revision = store.save_draft(db, application_id, data, form.revision.data, **columns)
    if revision is None:
        # An autosave of this very change may have landed first (a slow network): if the
        # draft already holds what this form says, it is saved, not a conflict.
        latest = store.get(db, application_id)
        if latest["state"] in EDITABLE and _saved(step, latest, form) == (
            latest["data"],
            {k: latest[k] for k in columns},
        ):
            revision = latest["revision"]
    if revision is None:
        message = (
            "Черновик изменён в другой вкладке или на другом устройстве. Обновите страницу, "
            "чтобы увидеть последнюю версию."
        )
        if autosave:
            return render_template("applications/_autosave.html", state="conflict"), 409
        form.form_errors.append(message)
        return _step_page(application, step, form, draft, 409)
    audit.record(
        db,
        "application.draft_save",
        object_type="application",
        object_id=application_id,
        details={"step": step},
    )
    if autosave:
        return render_template(
            "applications/_autosave.html", state="saved", revision=revision, at=now()
        )
    slugs = [s for s, _ in steps_of(kind)]
    following = slugs[min(slugs.index(step) + 1, len(slugs) - 1)]
    target = request.form.get("go")
    if target in slugs:
        following = target
    return htmx.redirect_to(
        url_for("applications.step", application_id=application_id, step=following)
    )
