"""Sign-in: any login form, one answer for every failure, delays, lockout notice, sign-out."""

import pytest

from tests.conftest import PASSWORD, create_active_user, make_snils, post_form
from webapp.auth.views import LOGIN_FAILED


@pytest.fixture
def user(app):
    return create_active_user(app, n=1, email="maria@example.ru")


@pytest.mark.parametrize(
    "login", ["+79120000001", "8 912 000-00-01", "maria@example.ru", "MARIA@example.ru", "SNILS"]
)
def test_login_by_phone_email_or_snils(client, auth, user, login):
    response = auth.login(login=make_snils(1) if login == "SNILS" else login)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_rotates_the_session_id(client, auth, user):
    client.get("/login")
    before = client.get_cookie("medkab_session").value
    auth.login()
    after = client.get_cookie("medkab_session").value
    assert before != after
    assert len(after) >= 22  # ≥128 bits, base64


def test_session_cookie_flags(client, user):
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


def test_unknown_user_wrong_password_and_locked_look_identical(app, client, auth, user, db):
    unknown = auth.login(login="+79990000000")
    wrong = auth.login(password="не тот пароль совсем")
    db.execute("update factor_failures set count = 100 where user_id = ?", [user])
    locked = auth.login()
    bodies = set()
    for response in (unknown, wrong, locked):
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert LOGIN_FAILED in html
        bodies.add(html.split('name="csrf_token"')[0].count("<"))
    assert len(bodies) == 1


def test_password_failures_delay_then_lockout_notice(still_clock, client, auth, user, db, outbox):
    for _ in range(5):
        auth.login(password="неверный пароль номер раз")
    assert (
        db.execute(
            "select count from factor_failures where user_id = ? and factor = 'password'", [user]
        ).fetchone()[0]
        == 5
    )
    notices = [m for m in outbox("maria@example.ru") if "приостановлен" in m["subject"]]
    assert len(notices) == 1
    assert outbox("+79120000001")  # critical: SMS as well
    # The right password now still fails while the delay lasts.
    response = auth.login()
    assert response.status_code == 422
    actions = [r[0] for r in db.execute("select action from audit_log order by id")]
    assert "login.lockout" in actions and "login.locked" in actions


def test_correct_password_resets_the_counter(client, auth, user, db):
    auth.login(password="неверный пароль номер раз")
    auth.login()
    assert db.execute("select count(*) from factor_failures").fetchone()[0] == 0


def test_hundredth_failure_disables_password_sign_in(app, client, auth, user, db):
    from webapp import clock

    db.execute(
        "insert into factor_failures (user_id, factor, count, last_failure_at) "
        "values (?, 'password', 99, '2000-01-01T00:00:00+00:00')",
        [user],
    )
    auth.login(password="неверный пароль номер раз")
    from datetime import UTC, datetime, timedelta

    clock.freeze(datetime.now(UTC) + timedelta(days=30))
    try:
        response = auth.login()
    finally:
        clock.freeze(None)
    assert response.status_code == 422


def test_pending_account_with_right_password_goes_to_phone_confirmation(app, client, db, outbox):
    from tests.web.test_register import form

    post_form(client, "/register", form())
    other = app.test_client()
    response = post_form(other, "/login", {"login": "+79125550102", "password": PASSWORD})
    assert response.headers["Location"] == "/register/confirm"


def test_next_parameter_only_follows_local_paths(client, user):
    page = client.get("/login?next=/profile").get_data(as_text=True)
    from tests.conftest import csrf_from

    ok = client.post(
        "/login?next=/profile",
        data={"login": "+79120000001", "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert ok.headers["Location"] == "/profile"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_next_parameter_refuses_other_sites(client, user, target):
    from tests.conftest import csrf_from

    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"login": "+79120000001", "password": PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("login", ["", "x" * 10_000, "<script>", "' or 1=1 --", "\u202e", "🙂"])
def test_garbage_login_is_answered_calmly(client, user, login):
    response = post_form(client, "/login", {"login": login, "password": "x" * 20})
    assert response.status_code == 422
    assert "<script>" not in response.get_data(as_text=True).split("</head>")[1]


def test_login_without_csrf_token_is_refused(client, user):
    response = client.post("/login", data={"login": "+79120000001", "password": PASSWORD})
    assert response.status_code == 400
    assert "Страница устарела" in response.get_data(as_text=True)


def test_logout_ends_the_session_and_clears_caches(client, auth, user, db):
    auth.login()
    response = auth.logout()
    assert response.headers["Location"] == "/login?signed_out=1"
    assert "Вы вышли из кабинета" in auth._client.get("/login?signed_out=1").get_data(as_text=True)
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert db.execute("select count(*) from sessions where user_id = ?", [user]).fetchone()[0] == 0
    assert client.get("/").status_code == 302


def test_logout_requires_post(client, auth, user, db):
    auth.login()
    response = client.get("/logout")  # a GET (a link, a prefetch) never signs out
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_rehashes_weaker_password_hashes(app, client, auth, user, db):
    app.config["ARGON2_TIME_COST"] = 2
    auth.login()
    stored = db.execute("select password_hash from users where id = ?", [user]).fetchone()[0]
    assert stored.startswith("$argon2id$") and ",t=2," in stored


def test_htmx_login_gets_hx_redirect(client, user):
    from tests.conftest import HTMX

    response = post_form(
        client, "/login", {"login": "+79120000001", "password": PASSWORD}, headers=HTMX
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"
    assert "HX-Request" in response.headers["Vary"]
