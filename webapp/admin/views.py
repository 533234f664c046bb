"""Administration: the audit log (filters, keyset pagination) and the assisted recovery queue."""

from datetime import datetime

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_login import current_user

from webapp import audit, htmx
from webapp.admin.forms import AuditFilterForm
from webapp.auth.flows import role_required
from webapp.auth.store import factors, sessions, users
from webapp.clock import now
from webapp.db import get_db
from webapp.notifications.deliver import security_notice
from webapp.paging import keyset
from webapp.recovery import store as recovery
from webapp.reset.tokens import send_reset_link

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Every recorded action, newest first, filterable by action, user and dates."""
    size = current_app.config["AUDIT_PAGE_SIZE"]
    form = AuditFilterForm(request.args)
    form.validate()
    valid = lambda field: None if field.errors else field.data  # noqa: E731
    rows = audit.search(
        get_db(),
        action=(valid(form.action) or "")[:40] or None,
        user_id=valid(form.user),
        date_from=valid(form.date_from),
        date_to=valid(form.date_to),
        before_id=_int(request.args.get("before")),
        limit=size + 1,
    )
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return htmx.render(
        "admin/audit.html", "admin/_audit_rows.html", page=keyset(rows, size), args=args, form=form
    )


def _int(value: str | None) -> int | None:
    """A positive id from a query string, or None."""
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@bp.get("/recovery")
@role_required("admin")
def recovery_queue():
    """Assisted recovery requests waiting for an identity check, oldest first."""
    rows = recovery.waiting(get_db())
    return render_template("admin/recovery.html", rows=rows, now=now().isoformat())


@bp.post("/recovery/<int:request_id>/<any(approve, reject):decision>")
@role_required("admin")
def recovery_decide(request_id, decision):
    """Approve (after the waiting period) or reject a request."""
    db = get_db()
    row = recovery.get_request_or_404(db, request_id, current_user)
    if row is None:
        flash("Запрос уже обработан.", "info")
        return htmx.redirect_to(url_for("admin.recovery_queue"))
    approve = decision == "approve"
    if approve and row["user_id"] is None:
        flash("Запрос не совпал ни с одной учётной записью — одобрить нельзя.", "error")
        return htmx.redirect_to(url_for("admin.recovery_queue"))
    if approve and datetime.fromisoformat(row["not_before"]) > now():
        flash("Период ожидания ещё не закончился.", "error")
        return htmx.redirect_to(url_for("admin.recovery_queue"))
    note = (request.form.get("note") or "").strip()[:500] or None
    with db.atomic():
        recovery.decide(db, request_id, approved=approve, admin_id=current_user.id, note=note)
        if approve:
            factors.remove_all_factors(db, row["user_id"])
            users.unblock_password(db, row["user_id"])
            sessions.end_all(db, row["user_id"])
        audit.record(
            db,
            f"recovery.{decision}",
            subject_user_id=row["user_id"],
            object_type="recovery_request",
            object_id=request_id,
        )
    if approve:
        account = users.get_row(db, row["user_id"])
        send_reset_link(account)
        security_notice(
            db,
            account,
            "Способы входа сброшены",
            "По запросу на восстановление администратор сбросил способы входа. "
            "Задайте новый пароль по ссылке из письма и добавьте ключ доступа.",
            critical=True,
        )
    flash("Запрос одобрен." if approve else "Запрос отклонён.", "success")
    return htmx.redirect_to(url_for("admin.recovery_queue"))
