"""The shared mechanisms every feature leans on: page-or-fragment answers, flashes out-of-band,
the signed-out answer to htmx, moved addresses, the form macro, the record access rule and
`deliver()`."""

import pytest

from tests.conftest import (
    HTMX,
    AuthActions,
    create_active_user,
    csrf_from,
    post_form,
    settings_for,
)
from tests.web.test_profile_record import JOB, add
from webapp import create_app
from webapp.db import close_keeper, connect, migrate
from webapp.notifications.deliver import Notice, deliver
from webapp.redirects import MOVED


@pytest.fixture
def worker(app, auth):
    create_active_user(app)
    auth.login()
    return 1


def test_a_fragment_answer_carries_pending_flashes_out_of_band(client, worker, db):
    db["notifications"].insert(
        {"user_id": 1, "kind": "record", "title": "т", "body": "б", "created_at": "2026-01-01"}
    )
    html = client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read-all", data={"csrf_token": csrf_from(html)})
    fragment = client.get("/notifications", headers=HTMX).get_data(as_text=True)
    assert '<div id="flashes"' in fragment and 'hx-swap-oob="true"' in fragment
    assert "Все уведомления прочитаны." in fragment
    again = client.get("/notifications", headers=HTMX).get_data(as_text=True)
    assert "Все уведомления прочитаны." not in again  # shown once


def test_a_boosted_navigation_gets_the_page_with_its_flashes_in_place(client, worker):
    response = client.get("/notifications", headers={**HTMX, "HX-Boosted": "true"})
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and 'hx-swap-oob="true"' not in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_fragment_request_after_sign_out_is_sent_to_the_sign_in_page(client):
    response = client.get("/notifications?before=5", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "before" in response.headers["HX-Redirect"]
    plain = client.get("/notifications?before=5")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("old", sorted(MOVED))
def test_moved_addresses_answer_301_to_their_new_place(client, worker, old):
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"].startswith(("/account/", "/profile"))
    assert client.get(response.headers["Location"]).status_code in (200, 302, 303)


def test_a_refused_password_is_never_written_back_into_the_page(client, app):
    typed = "короткий-пароль"
    response = post_form(client, "/register", {"surname": "Иванова", "password": typed})
    assert response.status_code == 422
    assert typed not in response.get_data(as_text=True)
    create_active_user(app)
    wrong = post_form(client, "/login", {"login": "+79120000001", "password": "не тот пароль 1"})
    assert wrong.status_code == 422
    assert "не тот пароль 1" not in wrong.get_data(as_text=True)


def declare_job(app):
    """Worker 1 declares a job; HR admin 2 has a confirmed job at the same organisation.
    Returns their signed-in clients (worker, hr)."""
    create_active_user(app, n=1)
    create_active_user(app, n=2, role="orgadmin")
    worker = app.test_client()
    AuthActions(worker).login("+79120000001")
    add(worker, "employment", JOB)
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
    hr = app.test_client()
    AuthActions(hr).login("+79120000002")
    return worker, hr


@pytest.fixture
def declared(app):
    return declare_job(app)


def test_hr_may_decide_on_a_job_but_never_edit_it_nor_decide_on_their_own(declared):
    worker, hr = declared
    assert hr.get("/staff/employment/1").status_code == 200
    assert hr.get("/profile/employment/1").status_code == 403  # the worker's record: read-only
    assert hr.get("/staff/employment/2").status_code == 403  # their own job
    assert worker.get("/staff/employment/1").status_code == 403  # workers are not HR


def test_another_worker_finds_nothing(app, declared):
    create_active_user(app, n=3)
    stranger = app.test_client()
    AuthActions(stranger).login("+79120000003")
    assert stranger.get("/profile/employment/1").status_code == 404
    assert stranger.get("/profile/employment/1/delete").status_code == 404


def _sent(db, recipient):
    return [m for m in db.query("select * from dev_outbox where recipient = ?", [recipient])]


def test_deliver_puts_every_notice_in_the_inbox_and_picks_channels_by_topic(app, db):
    create_active_user(app)
    user = {"id": 1, "email": "user1@example.ru", "phone": "+79120000001"}
    with app.test_request_context():
        deliver(db, user, Notice("record", "Место работы подтверждено", "Врач, ГБУЗ"))
        assert not _sent(db, user["email"]) and not _sent(db, user["phone"])
        deliver(db, user, Notice("security", "Пароль изменён", "Пароль изменён."))
        mails = _sent(db, user["email"])
        assert len(mails) == 1 and "Это был не я" in mails[0]["body"]
        assert not _sent(db, user["phone"])
        deliver(db, user, Notice("security", "Вход заблокирован", "…", critical=True))
        assert len(_sent(db, user["phone"])) == 1
        db["notification_prefs"].insert(
            {"user_id": 1, "topic": "reminders", "channel": "email", "enabled": 0}
        )
        link = "https://medkab.test/profile/record"
        deliver(db, user, Notice("reminders", "Срок аккредитации", "Подайте…", link=link))
        assert len(_sent(db, user["email"])) == 2  # e-mail for reminders turned off
    titles = [n["title"] for n in db.query("select title from notifications order by id")]
    assert titles == [
        "Место работы подтверждено",
        "Пароль изменён",
        "Вход заблокирован",
        "Срок аккредитации",
    ]


def test_links_in_mail_use_the_configured_address_not_the_request_host(tmp_path):
    app = create_app({**settings_for(tmp_path), "DEBUG": True})  # DEBUG answers any Host
    db = connect(app.config["DATABASE"])
    migrate(db)
    create_active_user(app)
    client = app.test_client()
    evil = {"Host": "evil.example"}
    html = client.get("/reset", headers=evil).get_data(as_text=True)
    client.post(
        "/reset", data={"login": "user1@example.ru", "csrf_token": csrf_from(html)}, headers=evil
    )
    (letter,) = db.query("select body from dev_outbox where recipient = 'user1@example.ru'")
    db.close()
    close_keeper(app)
    assert "evil.example" not in letter["body"]
    assert "http://localhost/reset/link/" in letter["body"]


def test_the_names_check_accepts_the_name_as_the_site_writes_it(app, client, worker, db):
    db["documents"].insert(
        {
            "user_id": 1,
            "doc_type": "diploma",
            "holder_name": "Иванова М. П.",
            "created_at": "2026-01-01",
            "updated_at": "2026-01-01",
        }
    )
    html = client.get("/profile/check").get_data(as_text=True)
    assert "не совпадает с профилем" not in html
    db.execute("update documents set holder_name = 'Петрова М. П.'")
    assert "не совпадает с профилем" in client.get("/profile/check").get_data(as_text=True)


def test_turning_off_a_factor_that_is_not_on_sends_no_notice(app, client, worker, db):
    html = client.get("/security").get_data(as_text=True)
    for path in ("/security/sms/delete", "/security/totp/delete"):
        assert client.post(path, data={"csrf_token": csrf_from(html)}).status_code == 303
    assert db.execute("select count(*) from notifications").fetchone()[0] == 0
    assert not list(db.query("select * from audit_log where action like '%.delete'"))
