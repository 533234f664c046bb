"""«Журнал доступа к моим данным»: who viewed or changed the worker's record, and when."""

from flask import request
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.db import get_db
from webapp.paging import keyset
from webapp.profile.views import bp

PAGE = 30


@bp.get("/access-log")
@login_required
def access_log():
    """Every read by someone else and every change to the record, newest first."""
    before = request.args.get("before", type=int)
    rows = audit.about_user(get_db(), current_user.id, before_id=before, limit=PAGE + 1)
    return htmx.render(
        "profile/access_log.html",
        "profile/_access_rows.html",
        page=keyset(rows, PAGE),
    )
