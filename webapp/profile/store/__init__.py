"""SQL for the professional record. Functions take `db` first and return dicts with dates parsed."""

from datetime import date
from decimal import Decimal

from flask import abort

from webapp.clock import now_iso
from webapp.db import from_json, rows_json
from webapp.profile.kinds import KINDS, Kind
from webapp.profile.store import employment
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


class Duplicate(Exception):
    """The record repeats one the worker already has."""


def _parsed(kind: Kind, row: dict) -> dict:
    for column in kind.dates:
        if row.get(column):
            row[column] = date.fromisoformat(row[column])
    return row


RECORD_TABLES = {k.slug: (k.table, k.order) for k in KINDS.values() if k.slug != "nmo"}


_BUNDLES: dict[tuple, str] = {}  # the statement for each set of parts, built once per process


def _bundle(db, user_id: int, parts: dict[str, tuple[str, str]]) -> dict[str, list[dict]]:
    """Several tables' rows of one person in one statement: name → rows in their order."""
    key = tuple(parts.items())
    if key not in _BUNDLES:
        _BUNDLES[key] = "select " + ", ".join(  # noqa: S608
            f"{rows_json(db, table, 'user_id = :user_id', order)} as {name}"
            for name, (table, order) in parts.items()
        )
    found = db.execute(_BUNDLES[key], {"user_id": user_id}).fetchone()
    return {name: from_json(text) for name, text in zip(parts, found, strict=True)}


def _records(found: dict) -> dict[str, list[dict]]:
    return {slug: [_parsed(KINDS[slug], row) for row in found[slug]] for slug in RECORD_TABLES}


def records(db, user_id: int) -> dict[str, list[dict]]:
    """Every record of every kind except НМО entries, newest first, in one query."""
    return _records(_bundle(db, user_id, RECORD_TABLES))


def everything(db, user_id: int) -> dict:
    """The whole record in one query: the person row, every kind's records (newest first), НМО
    entries (oldest first) and earlier names (newest first) — what the dashboard, the record page
    and the checks read on every view."""
    found = _bundle(
        db,
        user_id,
        {
            **RECORD_TABLES,
            "nmo": ("nmo_entries", "day, id"),
            "name_changes": ("name_changes", "id desc"),
            "person": ("person", "user_id"),
        },
    )
    return {
        "person": _person(user_id, found["person"][0] if found["person"] else None),
        "records": _records(found),
        "nmo": [_parsed(KINDS["nmo"], row) for row in found["nmo"]],
        "name_changes": found["name_changes"],
    }


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


READ, WRITE, DECIDE = "read", "write", "decide"


def get_record_or_404(db, kind: Kind, record_id: int, user, action: str = READ) -> dict:
    """A record of the profile as this user may use it: the one access rule for records.

    The worker reads and writes their own records. An HR admin reads and decides on (confirms
    or rejects) employment at one of their organisations — a job with that organisation's ИНН,
    or a job without an ИНН whose organisation name is the name of theirs (compared by
    `employment.organisation_key`) — but never their own job and never edits a worker's record
    (403). For anybody else the record does not exist (404).
    """
    row = next(
        db.query(f"select * from {kind.table} where id = ?", [record_id]),  # noqa: S608
        None,
    )
    if row is None:
        abort(404)
    owner = row["user_id"] == user.id
    hr = False
    if kind.slug == "employment" and user.has_role("orgadmin"):
        orgs = employment.organisation_rows(db, user.id)
        if row["org_inn"] is not None:
            hr = row["org_inn"] in {o["org_inn"] for o in orgs}
        else:
            named = {employment.organisation_key(o["org_name"]) for o in orgs}
            hr = employment.organisation_key(row["org_name"]) in named
    if not (owner or hr):
        abort(404)
    allowed = {READ: True, WRITE: owner, DECIDE: hr and not owner}
    if not allowed[action]:
        abort(403)
    return _parsed(kind, row)


def owns_record(db, kind: Kind, record_id: int, user_id: int) -> bool:
    """Whether the record exists and belongs to the user."""
    return (
        db.execute(
            f"select 1 from {kind.table} where id = ? and user_id = ?",  # noqa: S608
            [record_id, user_id],
        ).fetchone()
        is not None
    )


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
    return _person(
        user_id, next(db.query("select * from person where user_id = ?", [user_id]), None)
    )


def _person(user_id: int, person: dict | None) -> dict:
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


def name_changes(db, user_id: int) -> list[dict]:
    """Earlier names, newest first."""
    return list(
        db.query("select * from name_changes where user_id = ? order by id desc", [user_id])
    )


def add_name_change(db, user_id: int, old: dict, *, changed_on, reason, document_title) -> None:
    """Keep the name being replaced, with the document that changed it."""
    db["name_changes"].insert(
        {
            "user_id": user_id,
            "old_surname": old["surname"],
            "old_name": old["name"],
            "old_patronymic": old["patronymic"],
            "changed_on": changed_on.isoformat(),
            "reason": reason,
            "document_title": document_title,
            "created_at": now_iso(),
        }
    )


def identifier_clashes(db, user_id: int, values: dict) -> set[str]:
    """Which blind indexes (ИНН, passport) another person's row already holds."""
    clashes = set()
    for column in ("inn_bidx", "passport_bidx"):
        if (
            values.get(column)
            and db.execute(
                f"select 1 from person where {column} = ? and user_id != ?",  # noqa: S608
                [values[column], user_id],
            ).fetchone()
        ):
            clashes.add(column)
    return clashes
