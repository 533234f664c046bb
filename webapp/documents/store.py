"""SQL for documents, their versions and upload idempotency keys."""

from datetime import date, datetime, timedelta

from flask import abort

from webapp import processes
from webapp.clock import now, now_iso

# An upload claimed longer ago died with its process; a claimer known to be gone (killed) is
# taken over at once (webapp/processes.py).
IN_FLIGHT_GRACE = timedelta(minutes=5)

_LATEST = """select d.*, v.id as version_id, v.number as version, v.file_key, v.original_key,
    v.thumb_key, v.mime, v.pages, v.size, v.created_at as version_at
    from documents d join document_versions v on v.document_id = d.id
    and v.number = (select max(number) from document_versions where document_id = d.id)"""


def _parsed(row: dict) -> dict:
    for column in ("issued_on", "valid_until"):
        if row.get(column):
            row[column] = date.fromisoformat(row[column])
    return row


def for_user(db, user_id: int) -> list[dict]:
    """The user's documents with their latest version, by type then newest (one query)."""
    return [
        _parsed(row)
        for row in db.query(
            f"{_LATEST} where d.user_id = ? order by d.doc_type, d.id desc",  # noqa: S608
            [user_id],
        )
    ]


def get_document_or_404(db, document_id: int, user) -> dict:
    """The document with its latest version, for its owner only: anyone else's answers 404,
    exactly like a missing one (reviewers will see the copies attached to an application)."""
    row = next(
        db.query(f"{_LATEST} where d.id = ? and d.user_id = ?", [document_id, user.id]),  # noqa: S608
        None,
    )
    if row is None:
        abort(404)
    return _parsed(row)


def facts(db, user_id: int) -> list[dict]:
    """What the profile's rules look at: each document's type, title and holder's name."""
    return list(
        db.query(
            "select id, doc_type, title, holder_name as holder from documents where user_id = ?",
            [user_id],
        )
    )


def version_pages(db, document_id: int, number: int) -> int:
    """How many pages a version has (0 when it is gone)."""
    row = db.execute(
        "select pages from document_versions where document_id = ? and number = ?",
        [document_id, number],
    ).fetchone()
    return row[0] if row else 0


def versions(db, document_id: int) -> list[dict]:
    """Every version, newest first."""
    return list(
        db.query(
            "select * from document_versions where document_id = ? order by number desc",
            [document_id],
        )
    )


def get_version_or_404(db, document_id: int, number: int) -> dict:
    """One version of a document already checked for access."""
    row = next(
        db.query(
            "select * from document_versions where document_id = ? and number = ?",
            [document_id, number],
        ),
        None,
    )
    if row is None:
        abort(404)
    return row


def create(db, user_id: int, meta: dict) -> int:
    """A new document row (call inside db.atomic(), then add_version)."""
    stamp = now_iso()
    return (
        db["documents"]
        .insert({**meta, "user_id": user_id, "created_at": stamp, "updated_at": stamp})
        .last_pk
    )


def add_version(db, document_id: int, stored: dict) -> int:
    """The next version of a document; a new version goes back to «Загружен»."""
    number = db.execute(
        "select coalesce(max(number), 0) + 1 from document_versions where document_id = ?",
        [document_id],
    ).fetchone()[0]
    db["document_versions"].insert(
        {**stored, "document_id": document_id, "number": number, "created_at": now_iso()}
    )
    db.execute(
        "update documents set status = 'uploaded', remark = null, updated_at = ? where id = ?",
        [now_iso(), document_id],
    )
    return number


def update_meta(db, document_id: int, meta: dict) -> None:
    """Change the type, dates, holder or link of a document."""
    sets = ", ".join(f"{column} = ?" for column in meta)
    db.execute(
        f"update documents set {sets}, updated_at = ? where id = ?",  # noqa: S608
        [*meta.values(), now_iso(), document_id],
    )


def delete(db, document_id: int) -> list[str]:
    """Remove a document and its versions; return the storage keys to delete after commit."""
    keys = [
        key
        for row in db.query(
            "select file_key, original_key, thumb_key from document_versions where document_id = ?",
            [document_id],
        )
        for key in row.values()
        if key
    ]
    db.execute("delete from documents where id = ?", [document_id])
    return keys


def all_keys(db) -> set[str]:
    """Every storage key the database refers to (for sweeping orphans)."""
    return {
        key
        for row in db.query("select file_key, original_key, thumb_key from document_versions")
        for key in row.values()
        if key
    }


def claim_upload(db, key: str, user_id: int, body_sha256: str) -> tuple[str, dict | None]:
    """Claim an idempotency key: ('new', None), ('done', row), ('in_flight', row) or
    ('mismatch', row). Keys are per user: another user's key is a mismatch, never a result."""
    with db.atomic():
        row = next(db.query("select * from uploads where idempotency_key = ?", [key]), None)
        if row is None:
            db["uploads"].insert(
                {
                    "idempotency_key": key,
                    "user_id": user_id,
                    "body_sha256": body_sha256,
                    "state": "in_flight",
                    "created_at": now_iso(),
                    "claimed_by": processes.current(),
                }
            )
            return "new", None
        if row["user_id"] != user_id or row["body_sha256"] != body_sha256:
            return "mismatch", row
        if row["state"] == "done":
            return "done", row
        abandoned = now() - datetime.fromisoformat(row["created_at"]) > IN_FLIGHT_GRACE
        if abandoned or processes.is_gone(row["claimed_by"]):
            db.execute(
                "update uploads set created_at = ?, claimed_by = ? where idempotency_key = ?",
                [now_iso(), processes.current(), key],
            )
            return "new", None
        return "in_flight", row


def finish_upload(db, key: str, document_id: int, version: int) -> None:
    """Remember the result so a retry with the same key gets it back."""
    db.execute(
        "update uploads set state = 'done', document_id = ?, version = ? where idempotency_key = ?",
        [document_id, version, key],
    )


def release_upload(db, key: str) -> None:
    """Forget a claim whose upload failed, so the same key may try again."""
    db.execute("delete from uploads where idempotency_key = ? and state = 'in_flight'", [key])


def used_bytes(db, user_id: int) -> int:
    """Bytes the user's stored versions take (the quota counts every version)."""
    return db.execute(
        "select coalesce(sum(v.size), 0) from document_versions v "
        "join documents d on d.id = v.document_id where d.user_id = ?",
        [user_id],
    ).fetchone()[0]


def set_review(db, document_id: int, version: int, status: str, remark: str | None) -> None:
    """A reviewer's verdict on a version; it shows on the document while that version is the
    latest (a newer upload already went back to «Загружен»)."""
    db.execute(
        "update documents set status = ?, remark = ?, updated_at = ? where id = ? and ? = "
        "(select max(number) from document_versions where document_id = ?)",
        [status, remark, now_iso(), document_id, version, document_id],
    )


def latest_versions(db, user_id: int, document_ids: list[int]) -> list[dict]:
    """The user's own documents among `document_ids` with their latest version (one query);
    ids that are gone or someone else's are simply absent."""
    if not document_ids:
        return []
    marks = ", ".join("?" * len(document_ids))
    return [
        _parsed(row)
        for row in db.query(
            f"{_LATEST} where d.user_id = ? and d.id in ({marks}) order by d.doc_type, d.id",  # noqa: S608
            [user_id, *document_ids],
        )
    ]


def create_with_version(db, user_id: int, meta: dict, stored: dict) -> int:
    """A document made by the service (a generated PDF) with its first version."""
    document_id = create(db, user_id, meta)
    add_version(db, document_id, stored)
    return document_id
