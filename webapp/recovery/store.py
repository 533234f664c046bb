"""The only SQL for `recovery_requests`."""

from flask import abort

from webapp.clock import now_iso


def add(db, *, user_id, surname, name, patronymic, contact, details, ip, not_before) -> int:
    """File a request; the admin may act on it from `not_before`."""
    return (
        db["recovery_requests"]
        .insert(
            {
                "user_id": user_id,
                "surname": surname,
                "name": name,
                "patronymic": patronymic,
                "contact": contact,
                "details": details,
                "ip": ip,
                "created_at": now_iso(),
                "not_before": not_before.isoformat(timespec="seconds"),
            }
        )
        .last_pk
    )


def waiting(db, limit: int = 100) -> list[dict]:
    """Requests waiting for an identity check, oldest first, with the matched account's
    contacts."""
    return list(
        db.query(
            "select r.*, u.phone, u.email from recovery_requests r left join users u "
            "on u.id = r.user_id where r.status = 'waiting' order by r.id limit ?",
            [limit],
        )
    )


def get_request_or_404(db, request_id: int, user) -> dict | None:
    """A request, for admins only (403 for anyone else); None when it was already handled."""
    if not user.has_role("admin"):
        abort(403)
    row = next(db.query("select * from recovery_requests where id = ?", [request_id]), None)
    if row is None:
        abort(404)
    return row if row["status"] == "waiting" else None


def decide(db, request_id: int, *, approved: bool, admin_id: int, note: str | None) -> None:
    """Record the admin's decision."""
    db.execute(
        "update recovery_requests set status = ?, handled_by = ?, handled_at = ?, "
        "note = ? where id = ?",
        ["approved" if approved else "rejected", admin_id, now_iso(), note, request_id],
    )
