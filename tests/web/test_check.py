"""The public check of a выписка: only what it may tell, and nothing for a token not ours."""

from datetime import UTC, date, datetime

import pytest

from tests.conftest import create_active_user
from tests.web.test_review import submit
from webapp import clock
from webapp.applications import engine, store
from webapp.auth.store import users
from webapp.check.views import public_name
from webapp.db import connect

NOT_FOUND = "Документ не найден"


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


@pytest.fixture
def passed(app):
    """A worker's periodic accreditation decided by a reviewer: the application row."""
    worker = create_active_user(app, n=1)
    reviewer_id = create_active_user(app, n=3, role="reviewer")
    application_id = submit(app, worker)
    return decide(app, application_id, reviewer_id)


def decide(app, application_id, reviewer_id):
    db = connect(app.config["DATABASE"])
    try:
        with app.test_request_context():
            reviewer = users.get_user(db, reviewer_id)
            for action in ("take", "check", "forward", "review"):
                if action == "forward":
                    for file in store.files(db, application_id):
                        store.set_verdict(db, file["id"], "accepted", None, reviewer_id)
                engine.move(db, store.get(db, application_id), action, reviewer, "reviewer")
            engine.move(
                db,
                store.get(db, application_id),
                "pass",
                reviewer,
                "reviewer",
                decision_protocol="17/А",
                decision_date=date(2026, 11, 30),
            )
        return store.get(db, application_id)
    finally:
        db.close()


def set_columns(app, application_id, **columns):
    db = connect(app.config["DATABASE"])
    sets = ", ".join(f"{c} = ?" for c in columns)
    db.execute(
        f"update applications set {sets} where id = ?",  # noqa: S608
        [*columns.values(), application_id],
    )
    db.close()


def test_a_valid_extract_shows_only_public_facts(client, passed):
    assert passed["state"] == "passed" and len(passed["result_token"]) <= 64
    response = client.get(f"/check/{passed['result_token']}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    html = response.get_data(as_text=True)
    assert "Действительна" in html and "Недействительна" not in html
    assert "М. П. Иванова" in html
    assert "Терапия" in html and "Периодическая аккредитация специалиста" in html
    assert "30.11.2026" in html and "29.11.2031" in html
    assert passed["result_sha256"] in html and "sha256sum" in html
    for secret in (
        passed["number"],
        "А-2026",
        "17/А",  # the protocol
        "1990",  # the birth year
        "Мария",
        "Петровна",
        "+7912",
        "example.ru",
        "СНИЛС",
    ):
        assert secret not in html, secret
    assert 'name="csrf_token"' not in html and "Set-Cookie" not in response.headers  # no session


def test_a_signed_in_visitor_sees_the_same_page(client, auth, passed):
    auth.login("+79120000003")
    response = client.get(f"/check/{passed['result_token']}")
    assert response.status_code == 200 and "Действительна" in response.get_data(as_text=True)


def test_revoked_and_expired_extracts_say_so(app, client, passed):
    url = f"/check/{passed['result_token']}"
    set_columns(app, passed["id"], result_valid_until="2026-11-30")
    assert "Срок действия истёк" in client.get(url).get_data(as_text=True)
    set_columns(app, passed["id"], result_valid_until="2026-12-01")
    assert "Действительна" in client.get(url).get_data(as_text=True)  # its last day
    set_columns(app, passed["id"], revoked_at="2026-11-30T22:30:00+00:00")  # 1 Dec in Moscow
    html = client.get(url).get_data(as_text=True)
    assert "Недействительна (отозвана 01.12.2026)" in html
    assert "Действительна<" not in html


def test_forged_and_altered_tokens_are_not_found(client, passed):
    token = passed["result_token"]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for candidate in (altered, token[:-1], token + "x", "a" * 24, "x"):
        response = client.get(f"/check/{candidate}")
        assert response.status_code == 404, candidate
        html = response.get_data(as_text=True)
        assert NOT_FOUND in html and "Проверьте ссылку или QR-код." in html
        assert "X-Robots-Tag" in response.headers
        assert "Иванова" not in html


def test_malformed_tokens_never_reach_the_database(client, passed, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the database was asked")

    monkeypatch.setattr(store, "by_result_token", refuse)
    for candidate in ("a" * 65, "abc.def", "abc%20def", "токен", "a'or'1'='1", "a%00b"):
        response = client.get(f"/check/{candidate}")
        assert response.status_code == 404, candidate
        assert NOT_FOUND in response.get_data(as_text=True)


def test_public_name_is_initials_then_surname():
    assert public_name("Смирнова", "Анна", "Викторовна") == "А. В. Смирнова"
    assert public_name("Смирнова", "Анна-Мария", None) == "А.-М. Смирнова"
    assert public_name(" Ли ", "Ян", "") == "Я. Ли"


def test_the_revoke_command_invalidates_the_extract_once_and_audits_it(app, client, runner, passed):
    missing = runner.invoke(args=["extract-revoke", "А-1999-000001", "--reason", "ошибка"])
    assert missing.exit_code != 0 and "нет" in missing.output
    done = runner.invoke(args=["extract-revoke", passed["number"], "--reason", "отменён протокол"])
    assert done.exit_code == 0, done.output
    page = client.get(f"/check/{passed['result_token']}").get_data(as_text=True)
    assert "Недействительна" in page
    db = connect(app.config["DATABASE"])
    try:
        first = db.execute("select revoked_at from applications").fetchone()[0]
        runner.invoke(args=["extract-revoke", passed["number"], "--reason", "ещё раз"])
        assert db.execute("select revoked_at from applications").fetchone()[0] == first
        actions = [r[0] for r in db.execute("select action from audit_log")]
        assert actions.count("application.extract_revoke") == 2
    finally:
        db.close()
