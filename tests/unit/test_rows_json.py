"""`rows_json`: several tables' rows in one statement, each table's in the order asked for.

SQLite documents no order for json_group_array before 3.44, so these tests hold the statement
to it on rows inserted in random order, with ties, NULLs and several tables at once."""

import random
import sqlite3

import pytest
from sqlite_utils import Database

from webapp.db import from_json, rows_json

EMPLOYMENT_ORDER = "coalesce(end_date, '9999') desc, start_date desc, id desc"


def employments(seed: int, users: int = 3, per_user: int = 400) -> list[dict]:
    """Rows with repeated dates, open ends (NULL), quotes and Cyrillic, in random order."""
    rng = random.Random(seed)
    rows = []
    for n in range(users * per_user):
        start = f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-01"
        end = None if rng.random() < 0.2 else f"20{rng.randint(10, 26)}-{rng.randint(1, 12):02d}-15"
        rows.append(
            {
                "user_id": n % users + 1,
                "org_name": rng.choice(["ГБУЗ «Поликлиника № 5»", 'ООО "Клиника"', "a\\b\n"]),
                "start_date": start,
                "end_date": end,
                "rate": rng.choice([1.0, 0.5, 0.25]),
            }
        )
    rng.shuffle(rows)
    return rows


def expected(rows: list[dict], user_id: int) -> list[int]:
    """The same order as EMPLOYMENT_ORDER, computed in Python."""
    mine = [r for r in rows if r["user_id"] == user_id]
    mine.sort(key=lambda r: (r["end_date"] or "9999", r["start_date"], r["id"]), reverse=True)
    return [r["id"] for r in mine]


@pytest.fixture
def db(tmp_path):
    database = Database(sqlite3.connect(tmp_path / "rows.db"))
    yield database
    database.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_come_back_in_the_order_asked_for(db, seed):
    table = f"rows_json_jobs_{seed}"  # columns() remembers a table's columns by name
    db[table].create(
        {
            "id": int,
            "user_id": int,
            "org_name": str,
            "start_date": str,
            "end_date": str,
            "rate": float,
        },
        pk="id",
    )
    db[table].create_index(["user_id"])
    rows = employments(seed)
    db[table].insert_all(rows)  # random order: ids are not the order asked for
    for row, row_id in zip(rows, [r["id"] for r in db[table].rows], strict=True):
        row["id"] = row_id
    notes = f"rows_json_notes_{seed}"
    db[notes].insert_all(
        [
            {"id": n, "user_id": 2, "text": f"заметка {n}"}
            for n in random.Random(seed).sample(range(1, 300), 200)
        ],
        pk="id",
    )
    sql = (
        f"select {rows_json(db, table, 'user_id = :u', EMPLOYMENT_ORDER)}, "
        f"{rows_json(db, notes, 'user_id = :u', 'id desc')}"
    )
    for user_id in (1, 2, 3):
        jobs_json, notes_json = db.execute(sql, {"u": user_id}).fetchone()
        got = from_json(jobs_json)
        assert [r["id"] for r in got] == expected(rows, user_id)
        by_id = {r["id"]: r for r in rows}
        assert all(r == by_id[r["id"]] for r in got)  # every value round-trips, types too
        noted = [r["id"] for r in from_json(notes_json)]
        assert noted == (sorted(noted, reverse=True) if user_id == 2 else [])
        assert len(noted) == (200 if user_id == 2 else 0)


def test_no_rows_is_an_empty_list(db):
    db["rows_json_empty"].create({"id": int, "user_id": int}, pk="id")
    (text,) = db.execute(
        f"select {rows_json(db, 'rows_json_empty', 'user_id = :u', 'id')}", {"u": 1}
    ).fetchone()
    assert from_json(text) == []
