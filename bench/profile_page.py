"""SQL statements per profile page and the pages' gzip size, for a small and a large record.

    .venv/bin/python bench/profile_page.py

The record pages must issue a fixed number of queries however many rows the worker has
(no N+1). Each page is fetched through the test client with a trace callback on the
request's SQLite connection; sizes are the HTML gzipped at level 6, like nginx's default.
"""

import gzip
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import AuthActions, create_active_user, settings_for  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.db import close_keeper, connect, get_db, migrate  # noqa: E402

PAGES = (
    "/",
    "/profile",
    "/profile/record",
    "/profile/nmo",
    "/profile/readiness",
    "/profile/check",
    "/profile/access-log",
)


def fill(app, jobs: int, courses: int, nmo: int) -> None:
    """Give user 1 a record of the given size."""
    db = connect(app.config["DATABASE"])
    stamp = "2026-01-01T00:00:00+00:00"
    common = {"user_id": 1, "created_at": stamp, "updated_at": stamp}
    with db.atomic():
        db["employments"].insert_all(
            {
                **common,
                "org_name": f"Больница № {n}",
                "org_inn": "7707083893",
                "org_oktmo": "45380000",
                "position": "Врач-терапевт",
                "specialty": "Терапия",
                "rate": 1.0,
                "kind": "main" if n == 0 else "external",
                "start_date": (date(2000, 1, 1) + timedelta(days=200 * n)).isoformat(),
                "end_date": None
                if n == 0
                else (date(2000, 6, 1) + timedelta(days=200 * n)).isoformat(),
            }
            for n in range(jobs)
        )
        db["educations"].insert_all(
            {
                **common,
                "kind": "pk",
                "organization": "РМАНПО",
                "program": f"Курс {n}",
                "end_date": (date(2022, 1, 1) + timedelta(days=20 * n)).isoformat(),
                "doc_number": f"77{n:010d}",
                "hours": 36,
            }
            for n in range(courses)
        )
        db["certificates"].insert(
            {
                **common,
                "kind": "periodic",
                "specialty": "Терапия",
                "number": "7722 000001",
                "issued_on": "2022-03-01",
                "valid_until": "2027-03-01",
            }
        )
        db["nmo_entries"].insert_all(
            {
                **common,
                "specialty": "Терапия",
                "day": (date(2022, 3, 2) + timedelta(days=n % 1500)).isoformat(),
                "element": "module",
                "title": f"Модуль {n}",
                "zet": 1 + n % 5,
            }
            for n in range(nmo)
        )
    db.close()


def measure(size: str, jobs: int, courses: int, nmo: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(settings_for(Path(tmp)))
        statements: list[str] = []

        @app.before_request
        def trace():
            get_db().conn.set_trace_callback(statements.append)

        db = connect(app.config["DATABASE"])
        migrate(db)
        db.close()
        create_active_user(app)
        fill(app, jobs, courses, nmo)
        client = app.test_client()
        AuthActions(client).login()
        print(f"\n{size}: {jobs} jobs, {courses} courses, {nmo} НМО entries")
        print(f"{'page':<22}{'status':>7}{'queries':>9}{'html B':>9}{'gzip B':>8}")
        for path in PAGES:
            statements.clear()
            response = client.get(path)
            body = response.get_data()
            queries = [s for s in statements if s.lstrip().lower().startswith(("select", "with"))]
            print(
                f"{path:<22}{response.status_code:>7}{len(queries):>9}{len(body):>9}"
                f"{len(gzip.compress(body, 6)):>8}"
            )
        close_keeper(app)


if __name__ == "__main__":
    measure("small", 2, 2, 10)
    measure("large", 40, 120, 2000)
