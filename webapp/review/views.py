"""The reviewers of the accreditation body: the queue and the review screen.

Only a reviewer opens these pages; only the reviewer an application is assigned to acts on it
(moves are checked again by the engine, verdicts and exam dates here). Every look at an
application or one of its files is in the worker's «Журнал доступа». A refused action flashes
a Russian reason and changes nothing.
"""

import re
from datetime import date

import pypdfium2
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from webapp import htmx
from webapp.applications import engine, states, store
from webapp.applications.deadlines import deadline_facts
from webapp.applications.kinds import KINDS
from webapp.auth.flows import role_required
from webapp.clock import today
from webapp.db import get_db
from webapp.documents.preview import file_response, jpeg, render_page
from webapp.documents.types import TYPES
from webapp.documents.uploads import format_size
from webapp.forms import options
from webapp.names import short_name
from webapp.paging import keyset
from webapp.profile import store as profile
from webapp.profile.forms.records import CATEGORIES, CERTIFICATE_KINDS, EDUCATION_KINDS
from webapp.review.forms import VERDICTS, MoveForm, QueueFilterForm, VerdictForm, exams_form
from webapp.workdays import load_overrides

bp = Blueprint("review", __name__, url_prefix="/review")

PREVIEW_WIDTH = 1000
DECISIONS = ("pass", "fail")  # moves that record the commission's protocol
EXAM_STATES = ("under_check", "forwarded", "under_review")
RECORDS_SHOWN = 6  # per group of the applicant's record; the rest are counted
CURSOR = re.compile(r"(\d{4}-\d{2}-\d{2})_(\d{1,15})")
VERDICT_BADGES = {"pending": "neutral", "accepted": "ok", "needs_fix": "warn"}
VERDICT_TITLES = {"pending": "Не проверен", **VERDICTS}
EVENT_TITLES = {
    **{m.action: m.title for m in states.MOVES.values()},
    "submit": "Подано",
    "resubmit": "Подано повторно",
    "exams": "Назначены даты экзаменов",
}
ROLE_WORDS = {"worker": "заявитель", "reviewer": "эксперт", "system": "система"}


def working_days(count: int) -> str:
    """«1 рабочий день», «3 рабочих дня», «5 рабочих дней» (the sign is dropped)."""
    n = abs(count)
    if n % 10 == 1 and n % 100 != 11:
        word = "рабочий день"
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = "рабочих дня"
    else:
        word = "рабочих дней"
    return f"{n} {word}"


@bp.context_processor
def _words():
    return {
        "working_days": working_days,
        "kinds": KINDS,
        "state_titles": states.STATES,
        "tones": states.TONES,
        "doc_types": TYPES,
        "verdict_titles": VERDICT_TITLES,
        "verdict_badges": VERDICT_BADGES,
        "format_size": format_size,
    }


reviewer_required = role_required("reviewer")  # signed in (else to /login) and holding the role


# The queue ----------------------------------------------------------------------------------------


def parse_cursor(value: str | None) -> tuple[str, int] | None:
    """`after=<deadline>_<id>` as (ГГГГ-ММ-ДД, id); anything else is ignored."""
    match = CURSOR.fullmatch(value or "")
    if not match:
        return None
    try:
        date.fromisoformat(match[1])
    except ValueError:
        return None
    return match[1], int(match[2])


def _queue_row(row: dict, day: date, me: int) -> dict:
    deadline = date.fromisoformat(row["queue_deadline"])
    holder = {None: "free", me: "me"}.get(row["assignee_id"], "other")
    return {
        **row,
        "applicant": short_name(row["surname"], row["name"], row["patronymic"]),
        "deadline": deadline,
        "overdue": deadline < day,
        "holder": holder,
    }


@bp.get("")
@reviewer_required
def index():
    """The queue of open applications by deadline, with filters and «Показать ещё»."""
    db = get_db()
    form = QueueFilterForm(request.args)
    form.specialty.choices = options(
        [("", "Все специальности"), *((s, s) for s in store.specialties_in_queue(db))]
    )
    form.validate()

    def value(field):
        return None if field.errors else (field.data or None)

    filters = {
        "state": value(form.status),
        "kind": value(form.kind),
        "specialty": value(form.specialty),
        "region": value(form.region),
        "overdue": bool(value(form.overdue)),
    }
    if value(form.mine):
        filters["assignee_id"] = current_user.id
    day = today(current_user.time_zone)
    after = parse_cursor(request.args.get("after"))
    rows = store.queue(
        db, filters={**filters, "not_user_id": current_user.id}, today=day, after=after
    )
    page = keyset(rows, store.PAGE, key=lambda r: (r["queue_deadline"], r["id"]))
    args = {k: v for k, v in request.args.items() if k in form.data and v}
    more_url = None
    if page.more:
        more_url = url_for("review.index", after="{}_{}".format(*page.next_before), **args)
    context = dict(
        page=page,
        items=[_queue_row(row, day, current_user.id) for row in page.rows],
        form=form,
        filtered=any(filters.values()),
        # «Показать ещё» swaps rows only: the counts are for the whole page.
        counts=None
        if after is not None and htmx.wants_partial()
        else store.queue_counts(db, current_user.id, day),
        count_cap=store.COUNT_CAP,
        more_url=more_url,
    )
    if after is not None:
        return htmx.render("review/index.html", "review/_rows.html", **context)
    return htmx.render("review/index.html", "review/index.html", **context)


# The review screen --------------------------------------------------------------------------------


def _names(people: dict[int, dict]) -> dict[int, str]:
    return {i: short_name(r["surname"], r["name"], r["patronymic"]) for i, r in people.items()}


def _shown(rows: list, limit: int = RECORDS_SHOWN) -> dict:
    return {"rows": rows[:limit], "more": max(0, len(rows) - limit)}


def _applicant(db, application: dict, person: dict, day: date) -> dict:
    """The worker's record, read-only and compact: who, contacts, education, certificates,
    categories, current jobs; and the kind's own answers (hours, the record to confirm)."""
    data = application["data"]
    contacts = data.get("contacts") or {}
    records = profile.records(db, application["user_id"])
    jobs = [
        j for j in records.get("employment", []) if j["end_date"] is None or j["end_date"] >= day
    ]
    chosen = set(data.get("hours") or [])
    hours = []
    if chosen:
        items = engine.hour_items(records, profile.nmo_entries(db, application["user_id"]))
        hours = [i for i in items if i["key"] in chosen]
    record_title = engine.record_title(
        db, application["user_id"], data.get("record"), "запись удалена из профиля"
    )
    birth = person["birth_date"]
    return {
        "full_name": " ".join(
            p for p in (person["surname"], person["name"], person["patronymic"]) if p
        ),
        "short_name": short_name(person["surname"], person["name"], person["patronymic"]),
        "birth_date": date.fromisoformat(birth) if isinstance(birth, str) else birth,
        "phone": contacts.get("phone") or person["phone"],
        "email": contacts.get("email") or person["email"],
        "education": _shown(records.get("education", [])),
        "certificates": _shown(records.get("certificate", [])),
        "categories": _shown(records.get("category", [])),
        "jobs": _shown(jobs),
        "fields": data.get("fields") or {},
        "hours": hours,
        "hours_total": sum(i["hours"] for i in hours),
        "record_title": record_title,
    }


def _timeline(events: list[dict], names: dict[int, str]) -> list[dict]:
    return [
        {
            **e,
            "title": EVENT_TITLES.get(e["action"], e["action"]),
            "who": (
                f"{names[e['actor_id']]} ({ROLE_WORDS.get(e['actor_role'], e['actor_role'])})"
                if e["actor_id"] in names
                else ROLE_WORDS.get(e["actor_role"], "—")
            ),
        }
        for e in reversed(events)
    ]


def move_form(move: states.Move, *, posted: bool = False) -> MoveForm:
    """The move's form: bound to the POST when `posted`, else empty."""
    form = MoveForm(prefix=move.action, **({} if posted else {"formdata": None}))
    if move.action not in DECISIONS:
        del form.protocol_number
        del form.protocol_date
    return form


def verdict_form(row: dict, *, posted: bool = False) -> VerdictForm:
    """The file's verdict form: bound to the POST when `posted`, else showing the verdict."""
    if posted:
        return VerdictForm(prefix=f"file{row['id']}")
    data = {"verdict": None if row["verdict"] == "pending" else row["verdict"]}
    return VerdictForm(
        prefix=f"file{row['id']}", formdata=None, data={**data, "reason": row["reason"]}
    )


def exams_form_for(kind, application: dict, *, posted: bool = False):
    """The exam dates: bound to the POST when `posted`, else showing the dates set."""
    stored = {k: date.fromisoformat(v) for k, v in application["exams"].items()}
    if posted:
        return exams_form(kind.exams, stored, prefix="exams")
    return exams_form(kind.exams, stored, prefix="exams", formdata=None, data=stored)


def screen(db, application: dict, status: int = 200, *, verdict_forms=None, move_forms=None,
            exams=None):  # fmt: skip
    """The review screen; a refused form comes back in place with its errors (422)."""
    kind = KINDS[application["kind"]]
    day = today(current_user.time_zone)
    mine = application["assignee_id"] == current_user.id
    facts = store.screen_facts(db, application)
    files = facts["files"]
    names = _names(facts["people"])
    verdict_forms = verdict_forms or {}
    moves = states.available(application["state"], "reviewer", kind.actions)
    move_forms = move_forms or {}
    assignee = names.get(application["assignee_id"])
    context = dict(
        application=application,
        kind=kind,
        applicant=_applicant(db, application, facts["people"][application["user_id"]], day),
        deadline=deadline_facts(application, day, load_overrides(db)),
        assignee=assignee,
        mine=mine,
        own=application["user_id"] == current_user.id,
        files=files,
        verdict_forms={f["id"]: verdict_forms.get(f["id"]) or verdict_form(f) for f in files},
        can_judge=mine and application["state"] == "under_check",
        needs_fix=[f for f in files if f["verdict"] == "needs_fix"],
        not_accepted=[f for f in files if f["verdict"] != "accepted"],
        moves=moves,
        move_forms={m.action: move_forms.get(m.action) or move_form(m) for m in moves},
        decisions=DECISIONS,
        exams_form=(
            exams or exams_form_for(kind, application)
            if kind.exams and application["state"] in EXAM_STATES
            else None
        ),
        exam_titles=dict(kind.exams),
        events=_timeline(facts["events"], names),
        education_kinds=dict(EDUCATION_KINDS),
        certificate_kinds=dict(CERTIFICATE_KINDS),
        categories=dict(CATEGORIES),
        today_date=day,
    )
    return htmx.form_page("review/show.html", status, **context)


@bp.get("/<int:application_id>")
@reviewer_required
def show(application_id):
    """One application for review: the applicant's record, the files with their verdicts and
    viewer, the timeline and the moves its state allows. Each look is audited."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if application["user_id"] == current_user.id:
        return redirect(url_for("applications.show", application_id=application_id))
    engine.audit_look(db, application, "application.review_view")
    return screen(db, application)


def back_to(application_id: int, anchor: str | None = None):
    return htmx.redirect_to(url_for("review.show", application_id=application_id, _anchor=anchor))


def refusal_for(application: dict) -> str | None:
    """Why the current reviewer may not act on the application now, or None."""
    if application["user_id"] == current_user.id:
        return "Своё заявление проверить нельзя: его рассмотрит другой эксперт."
    if application["assignee_id"] is None:
        return "Сначала возьмите заявление в работу."
    if application["assignee_id"] != current_user.id:
        return "Заявление в работе у другого эксперта."
    return None


def refused(application_id: int, message: str, anchor: str | None = None):
    flash(message, "error")
    return back_to(application_id, anchor)


# Files --------------------------------------------------------------------------------------------


@bp.get("/<int:application_id>/files/<int:file_id>")
@reviewer_required
def file_pages(application_id, file_id):
    """The viewer of one attached file: its pages as pictures (a fragment for htmx)."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    row = store.get_file_or_404(db, application_id, file_id)
    return htmx.render(
        "review/file.html",
        "review/_pages.html",
        application=application,
        file=row,
        kind=KINDS[application["kind"]],
    )


@bp.get("/<int:application_id>/files/<int:file_id>/pages/<int:number>")
@reviewer_required
def page(application_id, file_id, number):
    """One page of an attached file as a JPEG; opening a file (its first page) is audited."""
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    row = store.get_file_or_404(db, application_id, file_id)
    if row["mime"] != "application/pdf" or not 1 <= number <= row["pages"]:
        abort(404)
    try:
        image = render_page(engine.storage().get(row["file_key"]), number - 1, PREVIEW_WIDTH)
    except pypdfium2.PdfiumError:
        abort(404)  # not a readable PDF: the page has no picture, the download still works
    if number == 1 and application["user_id"] != current_user.id:
        engine.audit_look(db, application, "application.file_view", row["title"])
    return file_response(jpeg(image, 80), "image/jpeg")
