"""The only SQL for applications, their timeline, attached files and numbers.

Every change of state is a compare-and-set on the state it starts from, written with its
timeline row in one transaction: two tabs, two reviewers or a retry can never both win.
"""

import json
from datetime import date

from flask import abort

from webapp.applications.states import OPEN
from webapp.clock import now_iso
from webapp.db import from_json, rows_json

PAGE = 20


def _parsed(row: dict | None) -> dict | None:
    if row is None:
        return None
    row["data"] = json.loads(row["data"] or "{}")
    row["exams"] = json.loads(row["exams"]) if row.get("exams") else {}
    row["signature"] = json.loads(row["signature"]) if row.get("signature") else None
    for column in ("stage_deadline", "decision_date", "result_valid_until"):
        if row.get(column):
            row[column] = date.fromisoformat(row[column])
    return row


def get(db, application_id: int) -> dict | None:
    """One application by id, no access check (for the engine after a check)."""
    rows = db.query("select * from applications where id = ?", [application_id])
    return _parsed(next(rows, None))


def get_application_or_404(db, application_id: int, user) -> dict:
    """The owner sees their application; a reviewer sees any that was submitted (drafts are
    private); anybody else gets 404, exactly like a missing one."""
    row = get(db, application_id)
    if row is None:
        abort(404)
    if row["user_id"] == user.id:
        return row
    if user.has_role("reviewer") and row["state"] != "draft" and row["submitted_at"]:
        return row
    abort(404)


def create_draft(db, user_id: int, kind: str, specialty: str | None, data: dict) -> int:
    stamp = now_iso()
    return (
        db["applications"]
        .insert(
            {
                "user_id": user_id,
                "kind": kind,
                "specialty": specialty,
                "state": "draft",
                "data": json.dumps(data, ensure_ascii=False),
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        .last_pk
    )


def open_draft(db, user_id: int, kind: str, specialty: str | None) -> int | None:
    """The worker's draft (or returned application) of this kind and specialty, if any."""
    row = db.execute(
        "select id from applications where user_id = ? and kind = ? and specialty is ? "
        "and state in ('draft', 'returned') order by id desc limit 1",
        [user_id, kind, specialty],
    ).fetchone()
    return row[0] if row else None


def save_draft(db, application_id: int, data: dict, revision: int, **columns) -> int | None:
    """Store the draft's data if nobody saved since `revision`; the new revision, or None."""
    sets = "".join(f", {column} = ?" for column in columns)
    cursor = db.execute(
        f"update applications set data = ?, revision = revision + 1, updated_at = ?{sets} "  # noqa: S608
        "where id = ? and revision = ? and state in ('draft', 'returned')",
        [
            json.dumps(data, ensure_ascii=False),
            now_iso(),
            *columns.values(),
            application_id,
            revision,
        ],
    )
    return revision + 1 if cursor.rowcount else None


def delete_draft(db, application_id: int) -> bool:
    return bool(
        db.execute(
            "delete from applications where id = ? and state = 'draft'", [application_id]
        ).rowcount
    )


def next_number(db, year: int) -> int:
    """The next number of the year (call inside the transaction that uses it)."""
    return db.execute(
        "insert into application_numbers (year, last) values (?, 1) "
        "on conflict (year) do update set last = last + 1 returning last",
        [year],
    ).fetchone()[0]


def move(
    db,
    application_id: int,
    *,
    source: str,
    target: str,
    action: str,
    actor_id: int | None,
    actor_role: str,
    comment: str | None = None,
    expect_assignee: int | None = None,
    **columns,
) -> bool:
    """Move from `source` to `target` and write the timeline row; False when the application
    is no longer in `source` (or, with `expect_assignee`, no longer assigned to them)."""
    stamp = now_iso()
    values = {**columns, "state": target, "updated_at": stamp}
    if "stage_deadline" in values:
        values["queue_deadline"] = values["stage_deadline"] if target in OPEN else None
    elif target not in OPEN:
        values["queue_deadline"] = None
    sets = ", ".join(f"{column} = ?" for column in values)
    where = "id = ? and state = ?"
    params = [*(_encoded(v) for v in values.values()), application_id, source]
    if expect_assignee is not None:
        where += " and assignee_id = ?"
        params.append(expect_assignee)
    cursor = db.execute(f"update applications set {sets} where {where}", params)  # noqa: S608
    if not cursor.rowcount:
        return False
    add_event(db, application_id, actor_id, actor_role, action, source, target, comment)
    return True


def _encoded(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    return value


def update(db, application_id: int, *, state: str, **columns) -> bool:
    """Change columns of an application that is still in `state`."""
    sets = ", ".join(f"{column} = ?" for column in columns)
    return bool(
        db.execute(
            f"update applications set {sets}, updated_at = ? where id = ? and state = ?",  # noqa: S608
            [*(_encoded(v) for v in columns.values()), now_iso(), application_id, state],
        ).rowcount
    )


def set_result(db, application_id: int, key: str, sha256: str) -> bool:
    """Attach the stored выписка to an application that has none yet; False when one was."""
    return bool(
        db.execute(
            "update applications set result_key = ?, result_sha256 = ?, updated_at = ? "
            "where id = ? and result_key is null and result_token is not null",
            [key, sha256, now_iso(), application_id],
        ).rowcount
    )


def awaiting_result(db, before: str, limit: int) -> list[int]:
    """Decided applications whose выписка is still to be made, decided before `before`."""
    return [
        row["id"]
        for row in db.query(
            "select id from applications indexed by applications_awaiting_result "
            "where result_token is not null and result_key is null and updated_at < ? "
            "order by id limit ?",
            [before, limit],
        )
    ]


def add_event(db, application_id, actor_id, actor_role, action, source, target, comment=None):
    db["application_events"].insert(
        {
            "application_id": application_id,
            "at": now_iso(),
            "actor_id": actor_id,
            "actor_role": actor_role,
            "action": action,
            "from_state": source,
            "to_state": target,
            "comment": comment,
        }
    )


def events(db, application_id: int) -> list[dict]:
    """The timeline, oldest first."""
    return list(
        db.query(
            "select * from application_events where application_id = ? order by id",
            [application_id],
        )
    )


def screen_facts(db, application: dict) -> dict:
    """What the review screen shows besides the application, in one statement: the latest
    files (by type), the timeline (oldest first) and the people it names — the applicant,
    the assignee and every actor — by id."""
    latest = (
        "application_id = :a and round = "
        "(select max(round) from application_files where application_id = :a)"
    )
    sql = (
        f"select {rows_json(db, 'application_files', latest, 'doc_type, id')}, "  # noqa: S608
        f"{rows_json(db, 'application_events', 'application_id = :a', 'id')}, "
        "(select json_group_array(json_object('id', id, 'surname', surname, 'name', name, "
        "'patronymic', patronymic, 'phone', phone, 'email', email, 'birth_date', birth_date)) "
        "from users where id in (:user, :assignee) or id in "
        "(select actor_id from application_events where application_id = :a))"
    )
    files_json, events_json, people_json = db.execute(
        sql,
        {
            "a": application["id"],
            "user": application["user_id"],
            "assignee": application["assignee_id"],
        },
    ).fetchone()
    return {
        "files": from_json(files_json),
        "events": from_json(events_json),
        "people": {row["id"]: row for row in json.loads(people_json)},
    }


# Files -------------------------------------------------------------------------------------


def add_files(db, application_id: int, round_: int, files: list[dict]) -> None:
    for f in files:
        db["application_files"].insert({**f, "application_id": application_id, "round": round_})


def files(db, application_id: int) -> list[dict]:
    """The files of the latest submission, by type."""
    return list(
        db.query(
            "select * from application_files where application_id = ? and round = "
            "(select max(round) from application_files where application_id = ?) "
            "order by doc_type, id",
            [application_id, application_id],
        )
    )


def last_round(db, application_id: int) -> int:
    return db.execute(
        "select coalesce(max(round), 0) from application_files where application_id = ?",
        [application_id],
    ).fetchone()[0]


def earlier_verdicts(db, application_id: int) -> dict[str, dict]:
    """The latest verdict given to each file content (by SHA-256) of an application."""
    return {
        row["sha256"]: row
        for row in db.query(
            "select sha256, verdict, reason from application_files where application_id = ? "
            "and verdict != 'pending' order by round, id",
            [application_id],
        )
    }


def get_file_or_404(db, application_id: int, file_id: int) -> dict:
    row = next(
        db.query(
            "select * from application_files where id = ? and application_id = ?",
            [file_id, application_id],
        ),
        None,
    )
    if row is None:
        abort(404)
    return row


def set_verdict(db, file_id: int, verdict: str, reason: str | None, by: int) -> None:
    db.execute(
        "update application_files set verdict = ?, reason = ?, verdict_by = ?, verdict_at = ? "
        "where id = ?",
        [verdict, reason, by, now_iso(), file_id],
    )


def all_keys(db) -> set[str]:
    """Storage keys the applications refer to (attached copies and выписки)."""
    keys = {row[0] for row in db.execute("select file_key from application_files")}
    keys |= {
        row[0]
        for row in db.execute("select result_key from applications where result_key is not null")
    }
    return keys


# Lists ---------------------------------------------------------------------------------------


def for_user(db, user_id: int, *, kind=None, state=None, since=None, until=None,
             oldest_first=False, after=None, size=PAGE) -> list[dict]:  # fmt: skip
    """The worker's applications, newest first (or oldest), `size + 1` rows for keyset paging."""
    where = ["user_id = ?"]
    params: list = [user_id]
    for column, value in (("kind", kind), ("state", state)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("created_at >= ?")
        params.append(since.isoformat())
    if until:
        where.append("created_at < date(?, '+1 day')")
        params.append(until.isoformat())
    if after is not None:
        where.append("id > ?" if oldest_first else "id < ?")
        params.append(after)
    order = "id" if oldest_first else "id desc"
    sql = (
        "select id, kind, specialty, state, number, created_at, submitted_at, stage_deadline, "  # noqa: S608
        f"revision from applications where {' and '.join(where)} order by {order} limit ?"
    )
    return [_parsed({**row, "data": None}) for row in db.query(sql, [*params, size + 1])]


QUEUE_INDEX = {
    "state": "applications_queue_state",
    "kind": "applications_queue_kind",
    "specialty": "applications_queue_specialty",
    "region": "applications_queue_region",
    "assignee_id": "applications_queue_assignee",
}


def queue(db, *, filters: dict, today: date, after=None, size=PAGE) -> list[dict]:
    """Open applications by deadline, then id; `after` is the (deadline, id) of the last row
    shown. Each filter has its own partial index, so any page costs the same."""
    where = ["a.queue_deadline is not null"]
    params: list = []
    index = "applications_queue"
    for column in ("state", "kind", "specialty", "region", "assignee_id"):
        if filters.get(column) is not None:
            where.append(f"a.{column} = ?")
            params.append(filters[column])
            index = QUEUE_INDEX[column]
    if filters.get("overdue"):
        where.append("a.queue_deadline < ?")
        params.append(today.isoformat())
    if filters.get("not_user_id") is not None:  # a reviewer never reviews their own
        where.append("a.user_id != ?")
        params.append(filters["not_user_id"])
    if after is not None:
        where.append("(a.queue_deadline, a.id) > (?, ?)")
        params.extend(after)
    sql = (
        "select a.id, a.number, a.kind, a.specialty, a.region, a.state, a.submitted_at, "  # noqa: S608
        "a.queue_deadline, a.stage_deadline, a.assignee_id, u.surname, u.name, u.patronymic "
        f"from applications a indexed by {index} join users u on u.id = a.user_id "
        f"where {' and '.join(where)} order by a.queue_deadline, a.id limit ?"
    )
    return [_parsed({**row, "data": None}) for row in db.query(sql, [*params, size + 1])]


COUNT_CAP = 999  # the queue's counts stop here («999+»): an exact count reads every entry


def queue_counts(db, reviewer_id: int, today: date) -> dict:
    """How many wait to be taken, are mine, and are overdue — each up to COUNT_CAP + 1, so
    the cost does not grow with the queue (bench/applications_queue.py: 0.5 ms at 1M rows)."""
    row = db.execute(
        "select (select count(*) from (select 1 from applications "
        "indexed by applications_queue_state where state = 'submitted' "
        "and queue_deadline is not null limit ?)), "
        "(select count(*) from (select 1 from applications "
        "indexed by applications_queue_assignee where assignee_id = ? "
        "and queue_deadline is not null limit ?)), "
        "(select count(*) from (select 1 from applications indexed by applications_queue "
        "where queue_deadline is not null and queue_deadline < ? limit ?))",
        [COUNT_CAP + 1, reviewer_id, COUNT_CAP + 1, today.isoformat(), COUNT_CAP + 1],
    ).fetchone()
    return {"waiting": row[0], "mine": row[1], "overdue": row[2]}


def specialties_in_queue(db) -> list[str]:
    return [
        row[0]
        for row in db.execute(
            "select distinct specialty from applications indexed by applications_queue_specialty "
            "where queue_deadline is not null and specialty is not null order by specialty"
        )
    ]


def by_result_token(db, token: str) -> dict | None:
    return _parsed(
        next(db.query("select * from applications where result_token = ?", [token]), None)
    )


def overdue(db, today: date, limit: int = 10000) -> list[dict]:
    """Open applications past their stage's deadline, oldest deadline first."""
    return list(
        db.query(
            "select id, user_id, number, kind, state, assignee_id, stage_deadline "
            "from applications indexed by applications_queue "
            "where queue_deadline is not null and queue_deadline < ? "
            "order by queue_deadline, id limit ?",
            [today.isoformat(), limit],
        )
    )


def with_result_for_record(db, user_id: int, record_id: int) -> dict | None:
    """The worker's application whose decision added this record and issued a выписка."""
    rows = db.query(
        "select * from applications where user_id = ? and record_id = ? "
        "and result_key is not null order by id desc limit 1",
        [user_id, record_id],
    )
    return _parsed(next(rows, None))


def revoke_result(db, number: str) -> dict | None:
    """Mark the выписка of application `number` revoked (once); the application, or None."""
    db.execute(
        "update applications set revoked_at = coalesce(revoked_at, ?), updated_at = ? "
        "where number = ? and result_key is not null",
        [now_iso(), now_iso(), number],
    )
    return _parsed(next(db.query("select * from applications where number = ?", [number]), None))
