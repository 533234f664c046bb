"""The reviewer's actions on an application taken by them: a verdict per file, the moves of the
machine, the exam dates. Each refusal flashes a Russian reason and changes nothing."""

from flask import flash, url_for
from flask_login import current_user

from webapp import audit
from webapp.applications import engine, states, store
from webapp.applications.kinds import KINDS
from webapp.auth.store import users
from webapp.db import get_db
from webapp.documents import store as documents
from webapp.links import external_url
from webapp.notifications.deliver import Notice, deliver
from webapp.review.forms import VERDICTS
from webapp.review.views import (
    DECISIONS,
    EXAM_STATES,
    back_to,
    bp,
    exams_form_for,
    move_form,
    refusal_for,
    refused,
    reviewer_required,
    screen,
    verdict_form,
)


@bp.post("/<int:application_id>/files/<int:file_id>/verdict")
@reviewer_required
def verdict(application_id, file_id):
    """«Принят» or «Требуется уточнение» (with a reason) on one file of the latest submission,
    by the assignee while the documents are checked; the worker's own document shows it."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    row = store.get_file_or_404(db, application_id, file_id)
    anchor = f"file-{file_id}"
    refusal = refusal_for(application)
    if refusal:
        return refused(application_id, refusal, anchor)
    if application["state"] != "under_check":
        return refused(
            application_id,
            "Решение по документам принимается, пока заявление «На проверке».",
            anchor,
        )
    if row["round"] != store.last_round(db, application_id):
        return refused(application_id, "Этот файл из прежней подачи заявления.", anchor)
    form = verdict_form(row, posted=True)
    if not form.validate_on_submit():
        return screen(db, application, 422, verdict_forms={file_id: form})
    choice = form.verdict.data
    reason = form.reason.data if choice == "needs_fix" else None
    with db.atomic():
        current = store.get(db, application_id)
        if current["state"] != "under_check" or current["assignee_id"] != current_user.id:
            changed = True
        else:
            changed = False
            store.set_verdict(db, file_id, choice, reason, current_user.id)
            if row["document_id"] and row["version"]:
                documents.set_review(db, row["document_id"], row["version"], choice, reason)
            audit.record(
                db,
                "application.verdict",
                subject_user_id=application["user_id"],
                object_type="application",
                object_id=application_id,
                details={"number": application["number"], "file": row["title"], "verdict": choice},
            )
    if changed:
        return refused(application_id, "Заявление уже изменилось. Обновите страницу.", anchor)
    flash(f"«{row['title']}»: {VERDICTS[choice].lower()}.", "success")
    return back_to(application_id, anchor)


# Moves --------------------------------------------------------------------------------------------


def _return_comment(db, application_id: int) -> str | None:
    """What to fix, from the files marked «Требуется уточнение», for the return's comment."""
    marked = [f for f in store.files(db, application_id) if f["verdict"] == "needs_fix"]
    if not marked:
        return None
    return "Требуется уточнение: " + "; ".join(f"{f['title']} — {f['reason']}" for f in marked)


@bp.post("/<int:application_id>/move/<action>")
@reviewer_required
def move(application_id, action):
    """One move of the machine by the reviewer (take, check, return, forward, review, pass,
    fail, confirm, refuse); the engine compares-and-sets, so a second take loses."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    kind = KINDS[application["kind"]]
    if application["user_id"] == current_user.id:
        return refused(application_id, "Своё заявление проверить нельзя.")
    try:
        states.target(application["state"], action, "reviewer", kind.actions)
    except states.MoveRefused as exc:
        return refused(application_id, str(exc))
    rule = states.MOVES[action]
    if action != "take":
        refusal = refusal_for(application)
        if refusal:
            return refused(application_id, refusal)
    form = move_form(rule, posted=True)
    if not form.validate_on_submit():
        return screen(db, application, 422, move_forms={action: form})
    comment = form.comment.data or None
    if action == "return":
        # The worker reads the remarks on the files in the notice too.
        comment = " ".join(filter(None, (comment, _return_comment(db, application_id)))) or None
        if not comment:
            form.comment.errors = [
                "Напишите, что исправить, или отметьте документы «Требуется уточнение»."
            ]
            return screen(db, application, 422, move_forms={action: form})
    elif rule.needs_comment and not comment:
        form.comment.errors = ["Напишите причину: её увидит заявитель."]
        return screen(db, application, 422, move_forms={action: form})
    columns = {}
    if action in DECISIONS:
        columns = {
            "decision_protocol": form.protocol_number.data,
            "decision_date": form.protocol_date.data,
        }
    try:
        target = engine.move(
            db, application, action, current_user, "reviewer", comment=comment, **columns
        )
    except engine.MoveRefused as exc:
        return refused(application_id, str(exc))
    flash(f"Заявление {application['number']}: {states.STATES[target].lower()}.", "success")
    return back_to(application_id)


# Exams --------------------------------------------------------------------------------------------


@bp.post("/<int:application_id>/exams")
@reviewer_required
def exams(application_id):
    """The dates of the kind's exam stages; the worker is told."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    kind = KINDS[application["kind"]]
    refusal = refusal_for(application)
    if refusal:
        return refused(application_id, refusal, "exams")
    if not kind.exams:
        return refused(application_id, "Для этого вида заявления экзамены не назначаются.")
    if application["state"] not in EXAM_STATES:
        return refused(
            application_id,
            "Даты экзаменов назначаются, пока заявление на проверке или в комиссии.",
            "exams",
        )
    form = exams_form_for(kind, application, posted=True)
    if not form.validate_on_submit():
        return screen(db, application, 422, exams=form)
    dates = {key: form[key].data for key, _ in kind.exams if form[key].data}
    text = "; ".join(
        f"{title} — {dates[key]:%d.%m.%Y}" for key, title in kind.exams if key in dates
    )
    state = application["state"]
    with db.atomic():
        current = store.get(db, application_id)
        saved = current["assignee_id"] == current_user.id and store.update(
            db, application_id, state=state, exams={k: d.isoformat() for k, d in dates.items()}
        )
        if saved:
            store.add_event(
                db, application_id, current_user.id, "reviewer", "exams", state, state, text
            )
            audit.record(
                db,
                "application.exams",
                subject_user_id=application["user_id"],
                object_type="application",
                object_id=application_id,
                details={"number": application["number"], "exams": text},
            )
    if not saved:
        return refused(application_id, "Заявление уже изменилось. Обновите страницу.", "exams")
    deliver(
        db,
        users.get_row(db, application["user_id"]),
        Notice(
            "applications",
            "Назначены даты экзаменов",
            f"Заявление {application['number']}: {text}.",
            link=external_url("applications.show", application_id=application_id),
            path=url_for("applications.show", application_id=application_id),
        ),
    )
    flash("Даты экзаменов сохранены, заявитель получил уведомление.", "success")
    return back_to(application_id, "exams")
