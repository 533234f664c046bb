"""The signed-in home and the DEBUG outbox."""

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from webapp.adapters import outbox
from webapp.applications import store as application_store
from webapp.applications.kinds import KINDS
from webapp.applications.states import STATES, TONES
from webapp.auth.flows import cipher
from webapp.auth.sessions import user_row
from webapp.clock import today
from webapp.db import get_db
from webapp.profile.summary import build

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    """Dashboard: account status, profile completeness and what needs attention."""
    summary = None
    applications = []
    if current_user.has_role("worker"):
        db = get_db()
        summary = build(db, user_row(db, current_user.id), cipher(), today(current_user.time_zone))
        applications = application_store.for_user(db, current_user.id, size=3)[:3]
    return render_template(
        "main/index.html",
        account=current_user,
        summary=summary,
        applications=applications,
        kinds=KINDS,
        state_titles=STATES,
        tones=TONES,
    )


@bp.get("/dev/outbox")
def dev_outbox():
    """Messages the dev SMS and mail backends 'sent'; only in DEBUG."""
    if not current_app.debug:
        abort(404)
    return render_template("main/dev_outbox.html", messages=outbox.latest(get_db()))
