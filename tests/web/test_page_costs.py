"""Every signed-in page reads the database in at most five SQL statements (DESIGN §10), with
its connection lent from the process's pool."""

import pytest

from tests.conftest import AuthActions, create_active_user
from tests.web.applications_setup import add_submitted, ready_worker

BUDGET = 5


def statements(app, client, path: str) -> list[str]:
    """The statements one request runs, from the session lookup to the last query."""
    client.get(path)  # warm: the pool holds a connection, per-process caches are filled
    pool = app.extensions["db_pool"]
    seen: list[str] = []
    for db in pool.idle:
        db.conn.set_trace_callback(seen.append)
    response = client.get(path)
    assert response.status_code == 200, path
    return seen


@pytest.fixture
def worker_client(app, client, db):
    user_id = ready_worker(app)
    for _ in range(3):
        add_submitted(db, app.extensions["storage"], user_id)
    AuthActions(client).login()
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/documents",
        "/profile",
        "/profile/record",
        "/profile/nmo",
        "/applications",
        "/applications/1",
        "/notifications",
        "/security",
        "/account/sessions",
        "/profile/readiness",
        "/profile/check",
        "/profile/contacts",
    ],
)
def test_a_worker_page_takes_at_most_five_statements(app, worker_client, path):
    seen = statements(app, worker_client, path)
    assert len(seen) <= BUDGET, "\n".join(seen)
    assert not [s for s in seen if s.startswith(("SAVEPOINT", "RELEASE"))]


def test_the_sign_in_page_takes_one_statement_at_most(app, client):
    client.get("/login")
    assert len(statements(app, client, "/login")) <= 1


def test_the_reviewer_pages_take_at_most_five_statements(app, client, db):
    """The review screen too, though each look writes its audit row."""
    worker = ready_worker(app)
    reviewer = create_active_user(app, n=5, role="reviewer")
    application_id = add_submitted(db, app.extensions["storage"], worker, assignee_id=reviewer)
    AuthActions(client).login(login="+79120000005")
    assert len(statements(app, client, "/review")) <= BUDGET
    seen = statements(app, client, f"/review/{application_id}")
    assert len(seen) <= BUDGET, "\n".join(seen)
    assert [s for s in seen if s.startswith("insert into audit_log")]


def test_a_pooled_connection_comes_back_clean(app, worker_client):
    """What a request leaves uncommitted is undone before the next one borrows the connection."""
    worker_client.get("/")
    db = app.extensions["db_pool"].idle[-1]
    db.conn.execute("BEGIN")
    db.conn.execute("update users set name = 'Чужое' where id = 1")
    worker_client.get("/")  # borrows it; its teardown rolls back what it did not commit
    page = worker_client.get("/").get_data(as_text=True)
    assert "Здравствуйте, Мария!" in page
    assert all(not d.conn.in_transaction for d in app.extensions["db_pool"].idle)
