"""What the accreditation body writes into a worker's record: an accreditation it granted, and
its answer about an education or certificate record the worker asked it to confirm."""

from datetime import date

from webapp.clock import now_iso

CONFIRMABLE = {"education": "educations", "certificate": "certificates"}


def add_accreditation(
    db, user_id: int, *, kind: str, specialty: str, number: str, issued_on: date, valid_until: date
) -> int:
    """A verified accreditation from the regulator; it becomes the specialty's current one
    (the latest valid-until wins), the earlier ones stay as history."""
    stamp = now_iso()
    return (
        db["certificates"]
        .insert(
            {
                "user_id": user_id,
                "kind": kind,
                "specialty": specialty,
                "number": number,
                "issued_on": issued_on.isoformat(),
                "valid_until": valid_until.isoformat(),
                "source": "regulator",
                "verification": "confirmed",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        .last_pk
    )


def confirmable(db, user_id: int) -> list[dict]:
    """The worker's education and certificate records, as (kind, id, title, verification)."""
    rows = db.query(
        "select 'education' as kind, id, program || ', ' || organization as title, "
        "end_date as day, verification from educations where user_id = ? "
        "union all select 'certificate', id, specialty || ', № ' || number, issued_on, "
        "verification from certificates where user_id = ? order by kind desc, day desc",
        [user_id, user_id],
    )
    return list(rows)


def set_verification(
    db, kind: str, record_id: int, user_id: int, *, confirmed: bool, reason: str | None
) -> bool:
    """The regulator's answer on one of the worker's records."""
    table = CONFIRMABLE[kind]
    return bool(
        db.execute(
            f"update {table} set verification = ?, rejection_reason = ?, updated_at = ? "  # noqa: S608
            "where id = ? and user_id = ?",
            [
                "confirmed" if confirmed else "rejected",
                None if confirmed else reason,
                now_iso(),
                record_id,
                user_id,
            ],
        ).rowcount
    )
