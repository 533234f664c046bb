"""The inbox (bell, list, mark read) and the «Это был не я» action."""

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature

from webapp import htmx
from webapp.auth import store as users
from webapp.auth.sessions import destroy_session
from webapp.db import get_db
from webapp.notifications import inbox, not_me_link, not_me_serializer, notify_owner
from webapp.security import audit

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
notice_bp = Blueprint("security_notice", __name__)


@bp.get("")
@login_required
def index():
    """Newest notices first; «Показать ещё» pages by id."""
    before = request.args.get("before", type=int)
    rows = inbox.page(get_db(), current_user.id, before_id=before, limit=21)
    more, rows = len(rows) > 20, rows[:20]
    template = "notifications/_items.html" if htmx.wants_partial() else "notifications/index.html"
    return render_template(
        template,
        items=rows,
        more=more,
        not_me_url=not_me_link(current_user.id),
        next_before=rows[-1]["id"] if rows else None,
    )


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id):
    """Mark one notice read."""
    inbox.mark_read(get_db(), current_user.id, notification_id)
    return htmx.redirect_to(url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def read_all():
    """Mark every notice read."""
    inbox.mark_read(get_db(), current_user.id)
    flash("Все уведомления прочитаны.", "success")
    return htmx.redirect_to(url_for("notifications.index"))


def _user_from(token):
    try:
        data = not_me_serializer().loads(token, max_age=current_app.config["NOT_ME_LINK_MAX_AGE"])
    except BadSignature:
        return None
    return users.get_row(get_db(), data["u"])


@notice_bp.route("/security/not-me/<token>", methods=["GET", "POST"])
def not_me(token):
    """End all sessions, block password sign-in and send the person to recovery."""
    row = _user_from(token)
    if row is None:
        flash("Ссылка недействительна или устарела.", "error")
        return htmx.redirect_to(url_for("auth.login"))
    if request.method == "GET":
        return render_template("notifications/not_me.html", token=token)
    db = get_db()
    with db.atomic():
        db.execute("delete from sessions where user_id = ?", [row["id"]])
        users.block_password(db, row["id"])
        audit.record(db, "security.not_me", subject_user_id=row["id"])
    notify_owner(
        row,
        "Все сеансы завершены",
        "По вашей просьбе все сеансы завершены, а вход по паролю заблокирован. "
        "Задайте новый пароль через восстановление доступа.",
        sms=True,
    )
    if current_user.is_authenticated:
        logout_user()
    destroy_session()
    flash("Все сеансы завершены, вход по паролю заблокирован. Задайте новый пароль.", "success")
    return htmx.redirect_to(url_for("reset.start"))
