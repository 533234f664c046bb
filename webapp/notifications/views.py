"""«Уведомления»: the inbox (bell, list, mark read)."""

from flask import Blueprint, flash, g, request, url_for
from flask_login import current_user, login_required

from webapp import htmx
from webapp.db import get_db
from webapp.notifications import store
from webapp.notifications.deliver import not_me_link
from webapp.paging import keyset

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 20


@bp.app_context_processor
def _unread():
    """The bell in the header shows how many notices are unread."""
    if not current_user.is_authenticated:
        return {}
    # The session's query brought the count along (g.unread_notices); a change to the inbox in
    # this request drops it, and it is counted again.
    known = g.get("unread_notices")
    if known and known[0] == current_user.id:
        return {"unread_notices": known[1]}
    return {"unread_notices": store.unread_count(get_db(), current_user.id)}


@bp.get("")
@login_required
def index():
    """Newest notices first; «Показать ещё» pages by id."""
    before = request.args.get("before", type=int)
    rows = store.page(get_db(), current_user.id, before_id=before, limit=PAGE + 1)
    return htmx.render(
        "notifications/index.html",
        "notifications/_items.html",
        page=keyset(rows, PAGE),
        not_me_url=not_me_link(current_user.id),
    )


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id):
    """Mark one notice read."""
    db = get_db()
    notice = store.get_notification_or_404(db, notification_id, current_user)
    store.mark_read(db, current_user.id, notice["id"])
    return htmx.redirect_to(url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def read_all():
    """Mark every notice read."""
    store.mark_read(get_db(), current_user.id)
    flash("Все уведомления прочитаны.", "success")
    return htmx.redirect_to(url_for("notifications.index"))
