"""SQL for the professional record. Functions take `db` first and return dicts with dates parsed."""

from datetime import date
from decimal import Decimal

from flask import abort

from webapp.clock import now_iso
from webapp.profile.kinds import KINDS, Kind
from webapp.validators import digits_of

PERSON_FIELDS = (
    "sex",
    "citizenship",
    "address",
    "passport_issued_on",
    "passport_issued_by",
    "passport_division_code",
    "extra_phone",
    "telegram",
    "max_messenger",
    "viber",
)
CONTACT_FIELDS = ("extra_phone", "telegram", "max_messenger", "viber")
TOPICS = ("reminders", "applications")
CHANNELS = ("email", "sms")
DEFAULT_PREFS = {("reminders", "email"): True, ("applications", "email"): True}


class Duplicate(Exception):
    """The record repeats one the worker already has."""


def _parsed(kind: Kind, row: dict) -> dict:
    for column in kind.dates:
        if row.get(column):
            row[column] = date.fromisoformat(row[column])
    return row


def records(db, user_id: int) -> dict[str, list[dict]]:
    """Every record of every kind except НМО entries: one query per kind, newest first."""
    result = {}
    for kind in KINDS.values():
        if kind.slug == "nmo":
            continue
        rows = db.query(
            f"select * from {kind.table} where user_id = ? order by {kind.order}",  # noqa: S608
            [user_id],
        )
        result[kind.slug] = [_parsed(kind, row) for row in rows]
    return result


def nmo_entries(db, user_id: int, *, since: date | None = None, until: date | None = None):
    """НМО entries in a period, oldest first (for progress and exports)."""
    rows = db.query(
        "select * from nmo_entries where user_id = ? and day >= ? and day <= ? order by day, id",
        [user_id, (since or date(1900, 1, 1)).isoformat(), (until or date(9999, 1, 1)).isoformat()],
    )
    return [_parsed(KINDS["nmo"], row) for row in rows]


def nmo_page(db, user_id: int, *, before: tuple[str, int] | None = None, limit: int = 20):
    """НМО entries newest first, keyset-paginated by (day, id)."""
    params: list = [user_id]
    where = "user_id = ?"
    if before:
        where += " and (day < ? or (day = ? and id < ?))"
        params += [before[0], before[0], before[1]]
    rows = db.query(
        f"select * from nmo_entries where {where} order by day desc, id desc limit ?",  # noqa: S608
        [*params, limit],
    )
    return [_parsed(KINDS["nmo"], row) for row in rows]


def get_record_or_404(db, kind: Kind, record_id: int, user_id: int) -> dict:
    """The worker's own record; anybody else's answers 404 exactly like a missing one."""
    row = next(
        db.query(
            f"select * from {kind.table} where id = ? and user_id = ?",  # noqa: S608
            [record_id, user_id],
        ),
        None,
    )
    if row is None:
        abort(404)
    return _parsed(kind, row)


def _stored(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value == "":
        return None
    return value


IDENTIFIERS = {"org_inn", "org_ogrn", "org_oktmo"}


def values_from(kind: Kind, form) -> dict:
    """Column values from a validated form, identifiers stored as digits only."""
    values = {}
    for column in kind.columns:
        value = _stored(form[column].data)
        if column in IDENTIFIERS and value:
            value = digits_of(value)
        values[column] = value
    return values


def _check_duplicate(db, kind: Kind, user_id: int, values: dict, record_id: int | None) -> None:
    if any(values.get(c) is None for c in kind.duplicate_of if c != "doc_series"):
        return
    where = " and ".join(f"{c} is ?" for c in kind.duplicate_of)
    row = db.execute(
        f"select id from {kind.table} where user_id = ? and {where} and id is not ?",  # noqa: S608
        [user_id, *(values[c] for c in kind.duplicate_of), record_id],
    ).fetchone()
    if row:
        raise Duplicate(kind.duplicate_message)


def create(db, kind: Kind, user_id: int, values: dict) -> int:
    """Insert a declared, self-entered record; call inside db.atomic()."""
    _check_duplicate(db, kind, user_id, values, None)
    stamp = now_iso()
    return (
        db[kind.table]
        .insert({**values, "user_id": user_id, "created_at": stamp, "updated_at": stamp})
        .last_pk
    )


def update(db, kind: Kind, user_id: int, record_id: int, values: dict) -> list[str]:
    """Change a record; an edit sends a confirmed or rejected record back to «declared».

    Returns the names of the columns that changed.
    """
    _check_duplicate(db, kind, user_id, values, record_id)
    old = db.execute(
        f"select {', '.join(kind.columns)} from {kind.table} where id = ? and user_id = ?",  # noqa: S608
        [record_id, user_id],
    ).fetchone()
    changed = [c for c, before in zip(kind.columns, old, strict=True) if before != values[c]]
    if changed:
        sets = ", ".join(f"{c} = ?" for c in kind.columns)
        db.execute(
            f"update {kind.table} set {sets}, updated_at = ?, verification = 'declared', "  # noqa: S608
            "rejection_reason = null where id = ? and user_id = ?",
            [*(values[c] for c in kind.columns), now_iso(), record_id, user_id],
        )
    return changed


def delete(db, kind: Kind, user_id: int, record_id: int) -> bool:
    """Remove the worker's own record."""
    cursor = db.execute(
        f"delete from {kind.table} where id = ? and user_id = ?",  # noqa: S608
        [record_id, user_id],
    )
    return cursor.rowcount == 1


def get_person(db, user_id: int) -> dict:
    """The person row (empty defaults when none yet), dates parsed, identifiers still sealed."""
    person = next(db.query("select * from person where user_id = ?", [user_id]), None)
    if person is None:
        return {
            "user_id": user_id,
            **dict.fromkeys(PERSON_FIELDS),
            "inn_enc": None,
            "passport_enc": None,
        }
    if person["passport_issued_on"]:
        person["passport_issued_on"] = date.fromisoformat(person["passport_issued_on"])
    return person


def save_person(db, user_id: int, values: dict) -> None:
    """Upsert the person row with the given columns."""
    values = {k: _stored(v) for k, v in values.items()}
    db["person"].upsert({"user_id": user_id, **values, "updated_at": now_iso()}, pk="user_id")


def prefs(db, user_id: int) -> dict[tuple[str, str], bool]:
    """Notification preferences per (topic, channel), defaults filled in."""
    result = {(t, c): DEFAULT_PREFS.get((t, c), False) for t in TOPICS for c in CHANNELS}
    for row in db.query(
        "select topic, channel, enabled from notification_prefs where user_id = ?", [user_id]
    ):
        result[(row["topic"], row["channel"])] = bool(row["enabled"])
    return result


def save_prefs(db, user_id: int, chosen: dict[tuple[str, str], bool]) -> None:
    """Store every (topic, channel) choice."""
    db["notification_prefs"].upsert_all(
        [
            {"user_id": user_id, "topic": t, "channel": c, "enabled": int(on)}
            for (t, c), on in chosen.items()
        ],
        pk=("user_id", "topic", "channel"),
    )


def name_changes(db, user_id: int) -> list[dict]:
    """Earlier names, newest first."""
    return list(
        db.query("select * from name_changes where user_id = ? order by id desc", [user_id])
    )
