"""Password reset by SMS code or email link; neutral answers; sessions end."""

import pytest

from tests.conftest import AuthActions, code_from, create_active_user, post_form

NEW = "синий трамвай под дождём"


@pytest.fixture
def user(app):
    return create_active_user(app, n=1, email="maria@example.ru")


def test_reset_by_sms_code_sets_a_new_password_and_ends_sessions(app, client, user, db, outbox):
    other = app.test_client()
    AuthActions(other).login()
    response = post_form(client, "/reset", {"login": "+7 912 000-00-01"})
    assert response.headers["Location"] == "/reset/code"
    code = code_from(outbox("+79120000001")[0]["body"])
    response = post_form(client, "/reset/code", {"code": code})
    assert response.headers["Location"] == "/reset/password"
    response = post_form(client, "/reset/password", {"password": NEW, "confirm": NEW})
    assert response.headers["Location"] == "/login"
    assert other.get("/").status_code == 302  # the other device was signed out
    assert AuthActions(client).login(password=NEW).headers["Location"] == "/"
    assert any("Пароль изменён" in (m["subject"] or "") for m in outbox("maria@example.ru"))


def test_reset_by_email_link_works_once(client, user, outbox):
    response = post_form(client, "/reset", {"login": "maria@example.ru"})
    assert "Проверьте почту" in response.get_data(as_text=True)
    letter = outbox("maria@example.ru")[0]["body"]
    link = next(w for w in letter.split() if "/reset/link/" in w).replace("http://localhost", "")
    assert client.get(link).headers["Location"] == "/reset/password"
    post_form(client, "/reset/password", {"password": NEW, "confirm": NEW})
    again = client.get(link, follow_redirects=True)
    assert "Ссылка недействительна" in again.get_data(as_text=True)


def test_unknown_phone_gets_the_same_answer(client, outbox):
    response = post_form(client, "/reset", {"login": "+79995554433"})
    assert response.headers["Location"] == "/reset/code"
    assert outbox() == []
    response = post_form(client, "/reset/code", {"code": "123456"})
    assert response.status_code == 422


def test_unknown_email_gets_the_same_answer(client, outbox):
    response = post_form(client, "/reset", {"login": "nobody@example.ru"})
    assert "Проверьте почту" in response.get_data(as_text=True)
    assert outbox() == []


def test_password_page_needs_a_proven_code(client, user):
    assert client.get("/reset/password").headers["Location"] == "/reset"


def test_the_gate_hook_is_consulted(app, client, user, outbox, monkeypatch):
    from webapp.reset import views as reset_views

    monkeypatch.setattr(reset_views, "second_factor_gate", lambda user_id: "/second-factor")
    post_form(client, "/reset", {"login": "+79120000001"})
    code = code_from(outbox("+79120000001")[0]["body"])
    assert post_form(client, "/reset/code", {"code": code}).headers["Location"] == "/second-factor"


@pytest.mark.parametrize("value", ["", "x" * 10_000, "+1 202 555 0143", "<b>@</b>", "\x00"])
def test_reset_request_garbage(client, value):
    response = post_form(client, "/reset", {"login": value})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_new_password_rules_apply(client, user, outbox):
    post_form(client, "/reset", {"login": "+79120000001"})
    post_form(client, "/reset/code", {"code": code_from(outbox("+79120000001")[0]["body"])})
    mismatch = post_form(client, "/reset/password", {"password": NEW, "confirm": NEW + "!"})
    assert "Пароли не совпадают" in mismatch.get_data(as_text=True)
    personal = post_form(
        client,
        "/reset/password",
        {"password": "мария всегда права тут", "confirm": "мария всегда права тут"},
    )
    assert "имя, фамилию" in personal.get_data(as_text=True)


def test_reset_code_resend_is_rate_limited(client, user, outbox):
    post_form(client, "/reset", {"login": "+79120000001"})
    post_form(client, "/reset/code/resend", {}, page="/reset/code")
    assert "Новый код можно запросить" in client.get("/reset/code").get_data(as_text=True)
    assert len(outbox("+79120000001")) == 1
