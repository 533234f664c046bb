"""The HR admin confirms or rejects declared employment; the worker sees who looked."""

import pytest

from tests.conftest import create_active_user, post_form
from tests.web.test_profile_record import JOB, add, rows
from webapp.db import connect

WORKER, ADMIN = "+79120000001", "+79120000002"


@pytest.fixture
def declared(app, client, auth):
    """A worker declares a job at ИНН 7707083893; an HR admin works there (confirmed)."""
    create_active_user(app, n=1)
    create_active_user(app, n=2, role="orgadmin")
    auth.login(WORKER)
    add(client, "employment", JOB)
    add(
        client,
        "employment",
        {**JOB, "org_inn": "7830002293", "start_date": "2015-01-01", "end_date": "2016-01-01"},
    )
    auth.logout()
    db = connect(app.config["DATABASE"])
    db["employments"].insert(
        {
            **{k: v or None for k, v in JOB.items()},
            "rate": 1.0,
            "user_id": 2,
            "verification": "confirmed",
            "created_at": "2026-01-01",
            "updated_at": "2026-01-01",
        }
    )
    db.close()
    auth.login(ADMIN)


def test_workers_cannot_open_the_staff_pages(app, client, auth):
    create_active_user(app)
    auth.login()
    assert client.get("/staff").status_code == 403
    assert client.get("/staff/employment/1").status_code == 403


def test_hr_admin_sees_only_their_organisations_declared_jobs(client, declared):
    html = client.get("/staff").get_data(as_text=True)
    assert "Иванова Мария" in html and "7707083893" in html
    assert client.get("/staff/employment/1").status_code == 200
    assert client.get("/staff/employment/2").status_code == 404  # another organisation
    assert client.get("/staff/employment/999").status_code == 404


def test_confirming_marks_the_job_and_the_worker_sees_who_looked(app, client, auth, declared):
    assert post_form(client, "/staff/employment/1", {"decision": "confirm"}).status_code == 303
    job = rows(app, "employments")[0]
    assert job["verification"] == "confirmed"
    auth.logout()
    auth.login(WORKER)
    log = client.get("/profile/access-log").get_data(as_text=True)
    assert "Просмотр профиля" in log and "Место работы подтверждено" in log
    assert "Иванова М.П. (Отдел кадров)" in log
    assert "подтверждено" in client.get("/profile/record").get_data(as_text=True)


def test_rejecting_needs_a_reason_and_shows_it_to_the_worker(app, client, auth, declared):
    refused = post_form(client, "/staff/employment/1", {"decision": "reject", "reason": ""})
    assert refused.status_code == 422
    assert "Напишите, что не так" in refused.get_data(as_text=True)
    assert rows(app, "employments")[0]["verification"] == "declared"
    hostile = post_form(
        client,
        "/staff/employment/1",
        {"decision": "reject", "reason": "<img src=x onerror=alert(1)>"},
    )
    assert hostile.status_code == 422
    done = post_form(
        client,
        "/staff/employment/1",
        {"decision": "reject", "reason": "Приказ № 125-к издан на другого врача"},
    )
    assert done.status_code == 303
    auth.logout()
    auth.login(WORKER)
    check = client.get("/profile/check").get_data(as_text=True)
    assert "Приказ № 125-к издан на другого врача" in check and "Ошибка ввода" in check


def test_staff_list_pages_as_partial(client, declared):
    part = client.get("/staff?status=declared", headers={"HX-Request": "true"})
    assert "<html" not in part.get_data(as_text=True) and "Иванова" in part.get_data(as_text=True)
    assert "HX-Request" in part.headers["Vary"]
