"""Findings of the hands-on review (issue 10): each test failed on the main of that day."""

import pytest

from tests.conftest import create_active_user, csrf_from, settings_for
from tests.web.test_documents import jpeg, upload
from webapp import create_app
from webapp.db import close_keeper, connect, migrate

HUGE = "18446744073709551616"  # 2^64: past SQLite's integers


@pytest.fixture
def worker(app, auth):
    create_active_user(app)
    auth.login()
    return 1


@pytest.mark.parametrize(
    "path",
    [
        f"/documents/{HUGE}",
        f"/documents/{HUGE}/file",
        f"/documents/1/pages/{HUGE}",
        f"/profile/employment/{HUGE}",
        f"/notifications?before={HUGE}",
        f"/profile/access-log?before={HUGE}",
        f"/documents/1/file?version={HUGE}",
        f"/documents/new?replace={HUGE}",
        f"/staff?before={HUGE}",
        f"/admin/audit?before={HUGE}",
        "/documents/-1",
        "/documents/1e3",
    ],
)
def test_integers_past_sqlite_answer_404_or_a_page_never_500(client, worker, path):
    assert upload(client, [("p.jpg", jpeg())]).status_code == 201
    assert client.get(path).status_code in (200, 403, 404)


def test_ids_past_sqlite_in_a_form_are_refused_without_a_crash(client, worker):
    assert upload(client, [("p.jpg", jpeg())]).status_code == 201
    for extra in ({"document_id": HUGE}, {"linked": f"education:{HUGE}"}):
        response = upload(client, [("p.jpg", jpeg())], extra=extra)
        assert response.status_code in (404, 422)
    html = client.get("/documents/1").get_data(as_text=True)
    changed = client.post(
        "/documents/1",
        data={"csrf_token": csrf_from(html), "doc_type": "diploma", "linked": f"education:{HUGE}"},
    )
    assert changed.status_code in (404, 422)


@pytest.fixture
def production_app(tmp_path):
    """DEBUG off, as in production."""
    app = create_app(settings_for(tmp_path))
    db = connect(app.config["DATABASE"])
    migrate(db)
    db.close()
    yield app
    close_keeper(app)


def test_a_foreign_host_is_refused_outside_debug(production_app):
    client = production_app.test_client()
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.post("/reset", headers={"Host": "evil.example"}).status_code == 400
    for host in ("localhost", "127.0.0.1:8000", "medkab.test"):
        assert client.get("/login", headers={"Host": host}).status_code == 200


def test_a_document_type_is_never_chosen_silently(client, worker):
    def type_select(path):
        html = client.get(path).get_data(as_text=True)
        start = html.index('name="doc_type"')
        return html[start : html.index("</select>", start)]

    select = type_select("/documents/new")
    assert '<option value="">Выберите тип документа</option>' in select
    assert "selected" not in select
    refused = upload(client, [("p.jpg", jpeg())], doc_type="")
    assert refused.status_code == 422
    assert "Выберите тип документа" in refused.get_json()["error"]
    assert refused.get_json()["field"] == "doc_type"
    db = connect(client.application.config["DATABASE"])
    assert db.execute("select count(*) from documents").fetchone()[0] == 0
    db.close()
    assert 'selected value="diploma"' in type_select("/documents/new?doc_type=diploma")


def test_adding_a_passkey_says_so(app, client):
    from tests.soft_authenticator import SoftAuthenticator
    from tests.web.test_factors import add_passkey

    create_active_user(app)
    from tests.conftest import AuthActions

    AuthActions(client).login()
    response, _ = add_passkey(client, SoftAuthenticator())
    target = response.get_json()["redirect"]
    assert "Ключ доступа добавлен" in client.get(target).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/verify/totp", "/verify"),
        ("/verify/sms/send", "/verify"),
        ("/verify/recovery", "/verify"),
        ("/register/resend", "/register"),
        ("/reset/code/resend", "/reset/code"),
        ("/security/passkeys/5/delete", "/security"),
        ("/account/sessions/5/revoke", "/account/sessions"),
        ("/logout", "/"),
    ],
)
def test_a_reload_of_a_form_answer_lands_on_the_steps_page(client, path, page):
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"] == page


def test_a_wrong_code_then_reload_shows_the_check_again(app, client):
    from tests.conftest import PASSWORD, post_form

    create_active_user(app, totp=True)
    post_form(client, "/login", {"login": "+79120000001", "password": PASSWORD})
    wrong = post_form(client, "/verify/totp", {"totp-code": "000000"}, page="/verify")
    assert wrong.status_code == 422
    reloaded = client.get("/verify/totp", follow_redirects=True)
    assert reloaded.status_code == 200 and "Подтвердите вход" in reloaded.get_data(as_text=True)


def test_hr_admins_see_how_many_jobs_wait_in_their_tab(app):
    from tests.web.test_seams import declare_job

    worker, hr = declare_job(app)
    html = hr.get("/").get_data(as_text=True)
    assert 'aria-label="ждут проверки: 1"' in html
    assert ">Сотрудники<" in html and ">Документы<" not in html
    assert 'aria-label="ждут проверки' not in worker.get("/").get_data(as_text=True)
