"""Employment as the HR admin sees it: which organisations they speak for, the jobs declared
there, and their decision on each."""

from webapp.clock import now_iso


def organisations(db, admin_id: int) -> list[str]:
    """ИНН of the organisations where the HR admin has a confirmed, current main job."""
    return [
        row["org_inn"]
        for row in db.query(
            "select distinct org_inn from employments where user_id = ? and kind = 'main' "
            "and verification = 'confirmed' and end_date is null",
            [admin_id],
        )
    ]


def queue(db, inns: list[str], *, status: str, before_id: int | None = None, limit: int = 30):
    """Employment at these organisations with this status, newest first, with the worker's
    name (one query, keyset by id)."""
    if not inns:
        return []
    marks = ",".join("?" for _ in inns)
    keyset = "and e.id < ?" if before_id else ""
    return list(
        db.query(
            "select e.*, u.surname, u.name, u.patronymic from employments e "  # noqa: S608
            f"join users u on u.id = e.user_id where e.org_inn in ({marks}) "
            f"and e.verification = ? {keyset} order by e.id desc limit ?",
            [*inns, status, *([before_id] if before_id else []), limit],
        )
    )


def decide(db, employment_id: int, *, confirmed: bool, reason: str | None) -> None:
    """Record the employer's answer (the reason only matters when rejecting)."""
    db.execute(
        "update employments set verification = ?, rejection_reason = ?, updated_at = ? "
        "where id = ?",
        ["confirmed" if confirmed else "rejected", reason, now_iso(), employment_id],
    )
