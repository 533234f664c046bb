"""Headers, error pages, limits, CSRF for htmx, access by role."""

import pytest

from tests.conftest import HTMX, create_active_user, csrf_from, unread_body_status


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "'nonce-",
    ):
        assert part in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_https_mode_adds_hsts_and_host_cookie(tmp_path):
    from tests.conftest import settings_for
    from webapp import create_app

    app = create_app({**settings_for(tmp_path), "HTTPS": True})
    from webapp.db import connect, migrate

    migrate(connect(app.config["DATABASE"]))
    response = app.test_client().get("/login", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-medkab=") and "Secure" in cookie


def test_csp_nonce_changes_per_response(client):
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second


@pytest.mark.parametrize("code", [404, 405])
def test_error_pages_are_in_russian_in_the_layout(client, code):
    response = client.get("/no-such-page") if code == 404 else client.delete("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert 'lang="ru"' in html and "Кабинет медработника" in html


def test_body_over_the_limit_is_refused_with_413(client):
    response = client.post(
        "/login", data="x" * (2 * 1024 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "Слишком большой запрос" in response.get_data(as_text=True)


def test_413_is_answered_from_the_header_without_reading_the_body(app):
    """A declared length over the limit is refused before the body is consumed."""
    status, body = unread_body_status(
        app, "/login", "application/x-www-form-urlencoded", 100 * 1024 * 1024
    )
    assert status.startswith("413")
    assert "Слишком большой запрос".encode() in body


def test_unexpected_crash_gets_the_500_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Что-то пошло не так" in response.get_data(as_text=True)


def test_htmx_post_needs_the_csrf_header(app, client, auth):
    create_active_user(app, n=1)
    auth.login()
    html = client.get("/account/sessions").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    refused = client.post("/account/sessions/revoke-others", headers=HTMX)
    assert refused.status_code == 400
    token = csrf_from(html)
    accepted = client.post(
        "/account/sessions/revoke-others", headers={**HTMX, "X-CSRFToken": token}
    )
    assert accepted.status_code == 200


def test_personal_pages_need_sign_in(client):
    for url in (
        "/",
        "/documents",
        "/applications",
        "/profile",
        "/account/sessions",
        "/account/history",
        "/admin/audit",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_ip_throttle_on_login(tmp_path):
    from tests.conftest import settings_for
    from webapp import create_app
    from webapp.db import connect, migrate

    app = create_app(
        {
            **settings_for(tmp_path),
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": "3/minute",
            "WTF_CSRF_ENABLED": False,
        }
    )
    migrate(connect(app.config["DATABASE"]))
    client = app.test_client()
    codes = [
        client.post("/login", data={"login": "a", "password": "b"}).status_code for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    assert client.get("/login").status_code == 200  # GET is not throttled


def test_dev_outbox_hidden_unless_debug(client):
    assert client.get("/dev/outbox").status_code == 404


def test_proxy_hops_setting_trusts_forwarded_headers(tmp_path):
    from tests.conftest import PASSWORD, create_active_user, post_form, settings_for
    from webapp import create_app
    from webapp.db import connect, migrate

    app = create_app({**settings_for(tmp_path), "PROXY_HOPS": 1})
    migrate(connect(app.config["DATABASE"]))
    create_active_user(app)
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    post_form(client, "/login", {"login": "+79120000001", "password": PASSWORD}, headers=forwarded)
    db = connect(app.config["DATABASE"])
    assert db.execute("select ip from sessions where user_id = 1").fetchone()[0] == "203.0.113.9"


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "abcdef", "x" * 10_000, "<script>", "١٢٣٤٥٦", "12 34 5"]
)
def test_code_form_garbage(client, code):
    from tests.conftest import post_form
    from tests.web.test_register import form

    post_form(client, "/register", form())
    response = post_form(client, "/register/confirm", {"code": code})
    assert response.status_code == 422
    assert "6 цифр" in response.get_data(as_text=True) or "Заполните" in response.get_data(
        as_text=True
    )
