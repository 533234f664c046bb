"""Administration: the audit log with filters and keyset pagination."""

from datetime import date

from flask import Blueprint, current_app, render_template, request

from webapp import htmx
from webapp.auth.flows import role_required
from webapp.db import get_db
from webapp.security import audit

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Every recorded action, newest first, filterable by action, user and dates."""
    limit = current_app.config["AUDIT_PAGE_SIZE"]
    filters = {
        "action": (request.args.get("action") or "").strip()[:40] or None,
        "user_id": _int(request.args.get("user")),
        "date_from": _date(request.args.get("from")),
        "date_to": _date(request.args.get("to")),
    }
    rows = audit.search(
        get_db(), **filters, before_id=_int(request.args.get("before")), limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    template = "admin/_audit_rows.html" if htmx.wants_partial() else "admin/audit.html"
    return render_template(
        template, rows=rows, more=more, args=args, next_before=rows[-1]["id"] if rows else None
    )
