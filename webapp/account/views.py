"""«Профиль»: account data, «Мои сессии», «История входов»."""

from flask import Blueprint, flash, render_template, url_for
from flask_login import current_user, login_required

from webapp import htmx
from webapp.auth import sessions
from webapp.auth.flows import cipher
from webapp.auth.store import ROLE_TITLES, get_row
from webapp.db import get_db
from webapp.security import audit
from webapp.validators import mask_snils

bp = Blueprint("account", __name__, url_prefix="/profile")

EVENT_TITLES = {
    "login.success": "Вход",
    "login.failure": "Неудачная попытка входа",
    "login.locked": "Попытка входа во время ограничения",
    "logout": "Выход",
    "session.revoke": "Завершение сессии",
    "password.reset": "Смена пароля через восстановление",
}


@bp.get("")
@login_required
def profile():
    """The account's personal and contact data."""
    row = get_row(get_db(), current_user.id)
    snils = mask_snils(cipher().decrypt("snils", row["snils_enc"]))
    roles = [ROLE_TITLES[r] for r in sorted(current_user.roles)]
    return render_template("account/profile.html", account=row, snils=snils, roles=roles)


def _sessions_page():
    db = get_db()
    current_id = sessions.current_session_id()
    rows = sorted(sessions.list_for_user(db, current_user.id), key=lambda s: s["id"] != current_id)
    partial = htmx.wants_partial()
    template = "account/_sessions.html" if partial else "account/sessions.html"
    return render_template(template, sessions=rows, partial=partial, current_id=current_id)


@bp.get("/sessions")
@login_required
def sessions_index():
    """«Мои сессии»: where the account is signed in."""
    return _sessions_page()


@bp.post("/sessions/<int:session_id>/revoke")
@login_required
def sessions_revoke(session_id):
    """End one other session of this account."""
    db = get_db()
    if session_id == sessions.current_session_id():
        flash("Чтобы завершить текущую сессию, нажмите «Выйти».", "info")
    elif sessions.revoke(db, current_user.id, session_id):
        audit.record(db, "session.revoke", object_type="session", object_id=session_id)
        flash("Сессия завершена.", "success")
    else:
        flash("Эта сессия уже завершена.", "info")
    if htmx.wants_partial():
        return _sessions_page()
    return htmx.redirect_to(url_for("account.sessions_index"))


@bp.post("/sessions/revoke-others")
@login_required
def sessions_revoke_others():
    """End every session of this account except this one."""
    db = get_db()
    ended = sessions.revoke_others(db, current_user.id, sessions.current_session_id())
    audit.record(db, "session.revoke", object_type="session", details={"others": ended})
    flash(f"Завершено сессий: {ended}." if ended else "Других сессий нет.", "success")
    if htmx.wants_partial():
        return _sessions_page()
    return htmx.redirect_to(url_for("account.sessions_index"))


@bp.get("/history")
@login_required
def history():
    """«История входов»: the last 50 sign-in events."""
    events = audit.login_history(get_db(), current_user.id)
    return render_template("account/history.html", events=events, event_titles=EVENT_TITLES)
