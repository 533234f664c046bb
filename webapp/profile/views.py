"""«Профиль»: the person at a glance, the professional record with records of each kind, стаж,
readiness and «Проверить данные»."""

import sqlite3
from types import SimpleNamespace

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.auth.flows import cipher
from webapp.auth.sessions import user_row
from webapp.auth.store.users import ROLE_TITLES
from webapp.clock import today
from webapp.db import get_db
from webapp.profile import store
from webapp.profile.forms import records as record_forms
from webapp.profile.kinds import KINDS
from webapp.profile.summary import build
from webapp.validators import mask_snils

bp = Blueprint("profile", __name__, url_prefix="/profile")


TITLES = {
    "employment": dict(record_forms.EMPLOYMENT_KINDS),
    "employment_doc": dict(record_forms.EMPLOYMENT_DOCUMENTS),
    "education": dict(record_forms.EDUCATION_KINDS),
    "study_form": dict(record_forms.STUDY_FORMS),
    "certificate": dict(record_forms.CERTIFICATE_KINDS),
    "category": dict(record_forms.CATEGORIES),
}


@bp.context_processor
def _words():
    zone = getattr(current_user, "time_zone", None)  # also renders error pages for visitors
    return {"titles": TITLES, "on_date": today(zone)}


def _summary():
    db = get_db()
    return build(db, user_row(db, current_user.id), cipher(), today(current_user.time_zone))


def _kind_or_404(slug: str):
    kind = KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def _back(kind) -> str:
    """Where a record's form returns to: НМО has its own page, the rest live on the record."""
    if kind.slug == "nmo":
        return url_for("profile.nmo")
    return url_for("profile.record", _anchor=kind.slug)


@bp.get("")
@login_required
def index():
    """«Профиль»: the person at a glance and the way to every part of the record and account."""
    row = user_row(get_db(), current_user.id)
    snils = mask_snils(cipher().decrypt("snils", row["snils_enc"]))
    roles = [ROLE_TITLES[r] for r in sorted(current_user.roles)]
    return render_template("profile/index.html", account=row, snils=snils, roles=roles)


@bp.get("/record")
@login_required
def record():
    """The record on one page: personal data, work with стаж, education, certificates."""
    return render_template("profile/record.html", summary=_summary(), kinds=KINDS)


def _save(kind, form, record_id=None):
    """Create or update a record; None on success, else the Russian reason."""
    db = get_db()
    values = store.values_from(kind, form)
    try:
        with db.atomic():
            if record_id is None:
                record_id = store.create(db, kind, current_user.id, values)
                changed = list(kind.columns)
                action = "create"
            else:
                changed = store.update(db, kind, current_user.id, record_id, values)
                action = "update"
            if changed:
                audit.record(
                    db,
                    f"profile.{kind.slug}.{action}",
                    object_type=kind.slug,
                    object_id=record_id,
                    details={"fields": changed},
                )
    except store.Duplicate as duplicate:
        return str(duplicate)
    except sqlite3.IntegrityError:
        return "Запись не сохранена: данные противоречат друг другу. Проверьте даты и числа."
    return None


@bp.route("/<kind>/new", methods=["GET", "POST"])
@login_required
def new(kind):
    """Add a record of one kind."""
    kind = _kind_or_404(kind)
    form = kind.form()
    if kind.slug == "nmo" and request.method == "GET":
        form.specialty.data = request.args.get("specialty", "")[:200]
    if form.validate_on_submit():
        problem = _save(kind, form)
        if problem is None:
            flash("Запись добавлена.", "success")
            return htmx.redirect_to(_back(kind))
        form.form_errors.append(problem)
    return htmx.form_page("profile/record_form.html", form=form, kind=kind, record=None)


@bp.route("/<kind>/<int:record_id>", methods=["GET", "POST"])
@login_required
def edit(kind, record_id):
    """Change one of the worker's own records."""
    kind = _kind_or_404(kind)
    db = get_db()
    record = store.get_record_or_404(db, kind, record_id, current_user, store.WRITE)
    form = kind.form(obj=SimpleNamespace(**record))
    if form.validate_on_submit():
        problem = _save(kind, form, record_id)
        if problem is None:
            flash("Изменения сохранены.", "success")
            return htmx.redirect_to(_back(kind))
        form.form_errors.append(problem)
    return htmx.form_page("profile/record_form.html", form=form, kind=kind, record=record)


@bp.route("/<kind>/<int:record_id>/delete", methods=["GET", "POST"])
@login_required
def delete(kind, record_id):
    """Confirm, then remove one of the worker's own records."""
    kind = _kind_or_404(kind)
    db = get_db()
    record = store.get_record_or_404(db, kind, record_id, current_user, store.WRITE)
    if request.method == "GET":
        return render_template("profile/delete.html", kind=kind, record=record)
    with db.atomic():
        store.delete(db, kind, current_user.id, record_id)
        audit.record(db, f"profile.{kind.slug}.delete", object_type=kind.slug, object_id=record_id)
    flash("Запись удалена.", "success")
    return htmx.redirect_to(_back(kind))


@bp.get("/readiness")
@login_required
def readiness():
    """Стаж and readiness for periodic accreditation, rule by rule."""
    return render_template("profile/readiness.html", summary=_summary())


@bp.get("/check")
@login_required
def check():
    """«Проверить данные»: every finding with its explanation and a link to fix it."""
    return render_template("profile/check.html", summary=_summary())
