"""Server-side sessions: listing, revoking, timeouts."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import HTMX, create_active_user, csrf_from, static_url
from webapp import clock


@pytest.fixture
def user(app):
    return create_active_user(app, n=1)


@pytest.fixture
def two_devices(app, auth, user):
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login()
    auth.login()
    return other


def session_ids(db, user_id):
    return [
        r[0] for r in db.execute("select id from sessions where user_id = ? order by id", [user_id])
    ]


def test_cookie_holds_only_an_opaque_id(client, auth, user, db):
    auth.login()
    token = client.get_cookie("medkab_session").value
    assert (
        db.execute("select count(*) from sessions where token_hash = ?", [token]).fetchone()[0] == 0
    )  # only a digest is stored
    assert "." not in token  # not a signed data blob


def test_sessions_page_lists_devices_and_marks_this_one(client, two_devices, db, user):
    html = client.get("/account/sessions").get_data(as_text=True)
    assert html.count('class="card session') == 2
    assert "это устройство" in html
    assert "no-store" in client.get("/account/sessions").headers["Cache-Control"]


def test_revoking_another_session_stops_it_on_next_request(client, two_devices, db, user):
    other_id, mine = session_ids(db, user)
    html = client.get("/account/sessions").get_data(as_text=True)
    response = client.post(
        f"/account/sessions/{other_id}/revoke", data={"csrf_token": csrf_from(html)}, headers=HTMX
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="sessions"')  # a partial, not a page
    assert 'hx-swap-oob="true"' in fragment and "Сессия завершена" in fragment  # flash too
    assert session_ids(db, user) == [mine]
    assert two_devices.get("/").status_code == 302


def test_revoke_as_plain_form_redirects(client, two_devices, db, user):
    other_id, _ = session_ids(db, user)
    html = client.get("/account/sessions").get_data(as_text=True)
    response = client.post(
        f"/account/sessions/{other_id}/revoke", data={"csrf_token": csrf_from(html)}
    )
    assert response.status_code == 303
    assert "Сессия завершена" in client.get("/account/sessions").get_data(as_text=True)


def test_revoke_all_others(app, client, two_devices, db, user):
    from tests.conftest import AuthActions

    AuthActions(app.test_client()).login()
    html = client.get("/account/sessions").get_data(as_text=True)
    client.post("/account/sessions/revoke-others", data={"csrf_token": csrf_from(html)})
    assert len(session_ids(db, user)) == 1
    assert client.get("/").status_code == 200


def test_cannot_revoke_someone_elses_session(app, client, auth, user, db):
    from tests.conftest import AuthActions

    stranger = create_active_user(app, n=2)
    AuthActions(app.test_client()).login(login="+79120000002")
    theirs = session_ids(db, stranger)[0]
    auth.login()
    html = client.get("/account/sessions").get_data(as_text=True)
    client.post(f"/account/sessions/{theirs}/revoke", data={"csrf_token": csrf_from(html)})
    assert session_ids(db, stranger) == [theirs]


def test_idle_timeout_ends_the_session(client, auth, user):
    auth.login()
    clock.freeze(datetime.now(UTC) + timedelta(minutes=31))
    try:
        assert client.get("/").status_code == 302
    finally:
        clock.freeze(None)


def test_activity_keeps_the_session_alive_until_the_absolute_limit(client, auth, user):
    auth.login()
    start = datetime.now(UTC)
    try:
        for minutes in range(20, 12 * 60, 20):
            clock.freeze(start + timedelta(minutes=minutes))
            assert client.get("/").status_code == 200, minutes
        clock.freeze(start + timedelta(hours=12, minutes=5))
        assert client.get("/").status_code == 302
    finally:
        clock.freeze(None)


def test_login_history_lists_sign_in_events(client, auth, user):
    auth.login(password="неверный пароль номер раз")
    auth.login()
    html = client.get("/account/history").get_data(as_text=True)
    assert "Неудачная попытка входа" in html and "Вход" in html


def test_a_late_request_with_the_pre_sign_in_cookie_does_not_sign_out(app, user, db):
    """The login page's background requests may land after sign-in rotated the id."""
    from tests.conftest import PASSWORD, post_form

    client = app.test_client()
    client.get("/login")
    old = client.get_cookie("medkab_session").value
    post_form(client, "/login", {"login": "+79120000001", "password": PASSWORD})
    new = client.get_cookie("medkab_session").value
    late = app.test_client()
    late.set_cookie("medkab_session", old)
    response = late.post("/login/passkey/options", headers={"Accept": "application/json"})
    assert "medkab_session" not in response.headers.get("Set-Cookie", "")
    assert db.execute("select count(*) from sessions where user_id is not null").fetchone()[0] == 1
    assert client.get_cookie("medkab_session").value == new
    assert client.get("/").status_code == 200


def test_static_and_offline_need_no_session(app, client, db):
    hashed = static_url(app, "css/app.css")  # served by WhiteNoise, ahead of Flask
    unhashed = "/static/css/app.css"  # an old page's address: Flask's own static view
    for url in ("/offline", "/sw.js", "/manifest.webmanifest", hashed, unhashed):
        with client.get(url) as response:
            assert "Set-Cookie" not in response.headers, url
    assert db.execute("select count(*) from sessions").fetchone()[0] == 0
    assert "X-CSRFToken" not in client.get("/offline").get_data(as_text=True)


def session_rows(db):
    return db.execute("select count(*) from sessions").fetchone()[0]


def test_a_visitor_reading_the_sign_in_page_writes_no_row(app, client, user, db):
    """The form's CSRF secret comes from the signed visitor token; nothing is stored."""
    first = client.get("/login")
    visitor = client.get_cookie("medkab_session").value
    assert visitor.startswith("v1.") and "HttpOnly" in first.headers["Set-Cookie"]
    again = client.get("/register")
    assert "Set-Cookie" not in again.headers  # the same token, not re-sent
    assert session_rows(db) == 0
    assert client.get("/login").get_data(as_text=True).count('name="csrf_token"') == 1


def test_the_first_stored_value_makes_the_row_under_the_same_token(app, client, user, db):
    from tests.conftest import PASSWORD

    html = client.get("/login").get_data(as_text=True)
    visitor = client.get_cookie("medkab_session").value
    # The passkey autofill stores its challenge while the password form is on screen.
    options = client.post("/login/passkey/options", headers={"X-CSRFToken": csrf_from(html)})
    assert options.status_code == 200 and "Set-Cookie" not in options.headers
    assert client.get_cookie("medkab_session").value == visitor
    assert session_rows(db) == 1
    # The form the page showed before the row existed still carries a valid token.
    data = {"login": "+79120000001", "password": PASSWORD, "csrf_token": csrf_from(html)}
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    token = client.get_cookie("medkab_session").value
    assert token != visitor and not token.startswith("v1.")  # signed in: a new random id
    assert client.get("/").status_code == 200


def test_a_forged_stale_or_foreign_visitor_token_carries_no_secret(app, client, user, db):
    from webapp.auth.sessions import mint_visitor_token

    html = client.get("/login").get_data(as_text=True)
    visitor = client.get_cookie("medkab_session").value
    data = {"login": "+79120000001", "password": "зелёный чай в семь утра"}
    data["csrf_token"] = csrf_from(html)
    body, _, mac = visitor.rpartition(".")
    with app.test_request_context():
        someone_elses = mint_visitor_token(app)  # validly signed
    for cookie in (
        f"{body}.{mac[::-1]}",  # forged signature
        f"v1.{int(datetime.now(UTC).timestamp()) + 1}.{body.split('.')[2]}.{mac}",  # new date
        someone_elses,
    ):
        client.set_cookie("medkab_session", cookie)
        response = client.post("/login", data=data)
        assert response.status_code == 400, cookie
        assert "Страница устарела" in response.get_data(as_text=True)
    assert session_rows(db) == 0


def test_a_visitor_token_expires_with_a_sessions_lifetime(app, client, user, db):
    html = client.get("/login").get_data(as_text=True)
    data = {"login": "+79120000001", "password": "зелёный чай в семь утра"}
    data["csrf_token"] = csrf_from(html)
    clock.freeze(datetime.now(UTC) + timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"] + 1))
    try:
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert client.get_cookie("medkab_session").value.startswith("v1.")  # a new one
    finally:
        clock.freeze(None)


def test_a_late_request_with_the_visitor_cookie_after_sign_in_leaves_the_cookie(
    app, client, user, db
):
    from tests.conftest import PASSWORD, post_form

    client.get("/login")
    visitor = client.get_cookie("medkab_session").value
    post_form(client, "/login", {"login": "+79120000001", "password": PASSWORD})
    late = app.test_client()
    late.set_cookie("medkab_session", visitor)
    response = late.get("/login")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert client.get("/").status_code == 200
    assert db.execute("select count(*) from sessions where user_id = ?", [user]).fetchone()[0] == 1
