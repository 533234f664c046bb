"""The time zone setting and what follows it: shown times, «today», reminders, notice texts."""

import json
from datetime import UTC, date, datetime

import pytest

from tests.conftest import HTMX, create_active_user, csrf_from, post_form, static_url
from tests.web.test_reminders_run import add_certificate, reminder_notices, run
from webapp import clock
from webapp.auth.store import users
from webapp.db import connect
from webapp.notifications.deliver import security_notice

NBSP = "\u00a0"
MORNING = datetime(2026, 11, 30, 5, 15, tzinfo=UTC)  # 08:15 in Moscow, 10:15 in Yekaterinburg
URL = "/account/time-zone"


@pytest.fixture
def frozen():
    """Freeze the clock at MORNING; the test may move it."""
    clock.freeze(MORNING)
    yield clock.freeze
    clock.freeze(None)


@pytest.fixture
def worker(app, auth, frozen):
    """A signed-in worker (Moscow, the default zone)."""
    user_id = create_active_user(app)
    auth.login()
    return user_id


def zone_of(db, user_id):
    return db.execute("select time_zone from users where id = ?", [user_id]).fetchone()[0]


def zone_audit(db):
    return list(db.query("select * from audit_log where action = 'account.time_zone'"))


def set_zone(db, user_id, zone):
    db.execute("update users set time_zone = ? where id = ?", [zone, user_id])


def test_settings_page_lists_russian_zones_first_with_the_saved_one_selected(client, worker):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Часовой пояс</h1>" in html
    russia = html.index('<optgroup label="Россия">')
    other = html.index('<optgroup label="Другой часовой пояс">')
    assert russia < html.index("Калининград (UTC+2)") < html.index("Камчатка (UTC+12)") < other
    assert '<option selected value="Europe/Moscow">Москва (UTC+3)</option>' in html
    assert html.index("Europe/Berlin") > other
    assert f"Сейчас: 30 ноября 2026, 08:15{NBSP}МСК" in html
    assert 'id="zone-offer"' in html and "hidden" in html  # the script decides to show it
    assert f'src="{static_url(client.application, "js/time_zone.js")}"' in html


def test_choosing_a_zone_saves_it_audits_it_and_shows_it_in_the_profile(client, worker, db):
    response = post_form(client, URL, {"time_zone": "Asia/Yekaterinburg"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    assert zone_of(db, worker) == "Asia/Yekaterinburg"
    (row,) = zone_audit(db)
    assert row["actor_id"] == worker == row["subject_user_id"]
    assert json.loads(row["details"]) == {"from": "Europe/Moscow", "to": "Asia/Yekaterinburg"}
    html = client.get("/profile").get_data(as_text=True)
    assert "Часовой пояс сохранён: Екатеринбург (UTC+5)." in html  # the flash
    assert 'Часовой пояс<br><span class="meta">Екатеринбург (UTC+5)</span>' in html
    log = client.get("/profile/access-log").get_data(as_text=True)
    assert "Изменён часовой пояс" in log and f"10:15{NBSP}UTC+5" in log


def test_choosing_by_htmx_redirects_with_hx_redirect(client, worker, db):
    response = post_form(client, URL, {"time_zone": "Asia/Omsk"}, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/profile"
    assert zone_of(db, worker) == "Asia/Omsk"


def test_saving_the_same_zone_changes_nothing(client, worker, db):
    response = post_form(client, URL, {"time_zone": "Europe/Moscow"})
    assert response.status_code == 303
    assert zone_audit(db) == []


def test_a_zone_the_browser_names_by_an_old_alias_is_accepted_and_then_listed(client, worker, db):
    assert post_form(client, URL, {"time_zone": "Asia/Calcutta"}).status_code == 303
    assert zone_of(db, worker) == "Asia/Calcutta"
    html = client.get(URL).get_data(as_text=True)
    assert '<option selected value="Asia/Calcutta">Asia/Calcutta (UTC+5:30)</option>' in html


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "Mars/Olympus",
        "europe/moscow",
        "Europe/Moscow'; drop table users; --",
        "../../../../etc/passwd",
        "/usr/share/zoneinfo/Europe/Moscow",
        "<script>alert(1)</script>",
        "Europe/Moscow\x00",
        "Europe/Moscow\u202e",
        "A" * 5000,
    ],
)
def test_anything_but_a_zone_is_refused_in_russian_and_nothing_changes(client, worker, db, value):
    set_zone(db, worker, "Asia/Irkutsk")
    response = post_form(client, URL, {"time_zone": value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Выберите часовой пояс" in html
    assert 'aria-invalid="true"' in html
    assert '<option selected value="Asia/Irkutsk">Иркутск (UTC+8)</option>' in html  # kept
    assert "<script>alert(1)</script>" not in html
    assert zone_of(db, worker) == "Asia/Irkutsk"
    assert zone_audit(db) == []


def test_a_post_without_the_field_is_refused(client, worker, db):
    html = client.get(URL).get_data(as_text=True)
    response = client.post(URL, data={"csrf_token": csrf_from(html)})
    assert response.status_code == 422
    assert "Выберите часовой пояс." in response.get_data(as_text=True)
    assert zone_of(db, worker) == "Europe/Moscow"


def test_a_post_without_the_csrf_token_changes_nothing(client, worker, db):
    response = client.post(URL, data={"time_zone": "Asia/Omsk"})
    assert response.status_code in (400, 422)
    assert zone_of(db, worker) == "Europe/Moscow"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_sign_in_history_and_sessions_show_times_in_the_persons_zone(client, worker, db):
    history = client.get("/account/history").get_data(as_text=True)
    assert f"30 ноября 2026, 08:15{NBSP}МСК" in history
    set_zone(db, worker, "Asia/Yekaterinburg")
    history = client.get("/account/history").get_data(as_text=True)
    assert f"30 ноября 2026, 10:15{NBSP}UTC+5" in history
    assert "08:15" not in history and "05:15" not in history
    sessions = client.get("/account/sessions").get_data(as_text=True)
    assert f"30 ноября 2026, 10:15{NBSP}UTC+5" in sessions


def test_a_certificate_ends_by_the_persons_calendar(client, worker, db, frozen):
    add_certificate(db, worker, date(2026, 6, 10))
    frozen(datetime(2026, 6, 10, 20, 30, tzinfo=UTC))  # 23:30 in Moscow, 06:30 on 11 June east
    assert "истёк" not in client.get("/profile/record").get_data(as_text=True)
    set_zone(db, worker, "Asia/Vladivostok")
    assert "истёк" in client.get("/profile/record").get_data(as_text=True)


def test_dashboard_and_check_count_days_by_the_persons_calendar(client, worker, db, frozen):
    add_certificate(db, worker, date(2026, 6, 10))
    frozen(datetime(2026, 6, 10, 20, 30, tzinfo=UTC))  # 23:30 in Moscow, 06:30 on 11 June east
    for page in ("/", "/profile/check"):
        assert "Терапия: срок истёк" not in client.get(page).get_data(as_text=True)
    assert "Терапия: истекает через 0 дн." in client.get("/profile/check").get_data(as_text=True)
    set_zone(db, worker, "Asia/Vladivostok")
    for page in ("/", "/profile/check"):
        assert "Терапия: срок истёк" in client.get(page).get_data(as_text=True)


def test_the_nmo_period_ends_today_in_the_persons_zone(app, client, auth, db, frozen):
    frozen(datetime(2026, 12, 31, 20, 30, tzinfo=UTC))
    worker = create_active_user(app)
    auth.login()
    html = client.get("/profile/nmo").get_data(as_text=True)
    assert 'value="2026-12-31"' in html and 'value="2026-01-01"' in html
    set_zone(db, worker, "Asia/Vladivostok")  # already 1 January 2027 there
    html = client.get("/profile/nmo").get_data(as_text=True)
    assert 'value="2027-01-01"' in html and "2026-12-31" not in html


def test_visitors_count_today_in_moscow(client, frozen):
    frozen(datetime(2026, 6, 10, 22, 30, tzinfo=UTC))  # 01:30 on 11 June in Moscow
    html = client.get("/register").get_data(as_text=True)
    assert 'max="2026-06-11"' in html


def test_reminders_fall_due_on_each_workers_own_today(app, db, frozen):
    # At 20:30 UTC on 9 June it is still 9 June in Moscow (T−31: the T−90 stage is the latest)
    # but 10 June in Vladivostok, when the T−30 stage of an accreditation ending 10 July begins.
    frozen(datetime(2026, 6, 9, 20, 30, tzinfo=UTC))
    moscow = create_active_user(app, n=1)
    vladivostok = create_active_user(app, n=2)
    set_zone(db, vladivostok, "Asia/Vladivostok")
    for user_id in (moscow, vladivostok):
        add_certificate(db, user_id, date(2026, 7, 10))

    assert run(app).sent == 2
    (east,) = reminder_notices(db, vladivostok)
    assert east["title"].endswith("истекает через 30 дней")
    (west,) = reminder_notices(db, moscow)
    assert west["title"].endswith("истекает через 31 день")
    claims = {r["user_id"]: r["due_on"] for r in db.query("select * from reminders")}
    assert claims == {vladivostok: "2026-06-10", moscow: "2026-04-11"}

    frozen(datetime(2026, 6, 9, 21, 0, tzinfo=UTC))  # midnight in Moscow: its T−30 begins
    assert run(app).sent == 1
    assert reminder_notices(db, moscow)[-1]["title"].endswith("истекает через 30 дней")
    assert len(reminder_notices(db, vladivostok)) == 1


def test_security_notice_tells_the_time_in_the_persons_zone(app, db, outbox, frozen):
    ural = create_active_user(app, n=1, email="ural@example.ru")
    set_zone(db, ural, "Asia/Yekaterinburg")
    moscow = create_active_user(app, n=2, email="moscow@example.ru")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        database = connect(app.config["DATABASE"])
        security_notice(database, users.get_row(database, ural), "Проверка", "Т")
        # A caller's dict without the zone (older code paths): Moscow.
        person = {"id": moscow, "email": "moscow@example.ru", "phone": "+79120000002"}
        security_notice(database, person, "Проверка", "Т")
        database.close()
    (ural,) = outbox("ural@example.ru")
    assert "Время: 30.11.2026 10:15 UTC+5\n" in ural["body"]
    (moscow,) = outbox("moscow@example.ru")  # a dict without a zone: Moscow
    assert "Время: 30.11.2026 08:15 МСК\n" in moscow["body"]
    assert "UTC\n" not in moscow["body"]
