"""The fields that moved into form classes look and work as before: each passkey's rename form,
the ФАЦ export checklist, a document's linked record, the НМО export period."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in, watch
from tests.conftest import AuthActions, create_active_user
from tests.web.test_documents import jpeg, upload
from tests.web.test_profile_record import JOB, add
from webapp.db import connect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def worker_with_things(shared_server):
    """A worker with a job and two documents."""
    app = shared_server.app
    create_active_user(app, n=7)
    client = app.test_client()
    AuthActions(client).login("+79120000007")
    add(client, "employment", JOB)
    for color in ("white", "gray"):
        assert upload(client, [("page.jpg", jpeg(color))]).status_code == 201
    return shared_server


def set_passkeys(app, names):
    """The worker's passkeys as rows (enough to show them); set after sign-in, so sign-in
    does not ask for one."""
    db = connect(app.config["DATABASE"])
    db.execute("delete from passkeys")
    for n, name in enumerate(names, start=1):
        db["passkeys"].insert(
            {
                "user_id": 1,
                "credential_id": f"cred-{n}",
                "public_key": b"x",
                "sign_count": 0,
                "name": name,
                "created_at": "2026-11-01T10:00:00+00:00",
            }
        )
    db.close()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_moved_fields_render_through_the_macro(worker_with_things, new_context, kind):
    base = worker_with_things.url
    page = new_context(kind).new_page()
    seen = watch(page)
    set_passkeys(worker_with_things.app, [])
    sign_in(page, base, "+79120000007")
    width = page.viewport_size["width"]
    set_passkeys(worker_with_things.app, ["Телефон Анны", "Ноутбук на работе"])

    page.goto(base + "/security")
    page.locator("#passkeys details").first.locator("summary").click()
    field = page.get_by_label("Название").first
    expect(field).to_have_value("Ноутбук на работе")
    assert page.locator("#key2-name").count() == page.locator("#key1-name").count() == 1
    shot(page, f"forms-security-passkey-rename-{width}")

    page.goto(base + "/documents/export")
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_be_visible()
    shot(page, f"forms-documents-export-{width}")
    page.get_by_role("button", name="Скачать ZIP").click()
    expect(page.get_by_text("Отметьте документы для выгрузки.")).to_be_visible()
    shot(page, f"forms-documents-export-error-{width}")

    page.goto(base + "/documents/1")
    select = page.get_by_label("Связанная запись профиля")
    expect(select.locator("option")).to_have_count(2)  # «Не связан» and the job
    shot(page, f"forms-document-details-{width}")

    page.goto(base + "/profile/nmo")
    expect(page.get_by_label("С", exact=True)).to_have_attribute("type", "date")
    shot(page, f"forms-nmo-period-{width}")

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert not seen.problems(allow=[r"status of 422"]), seen.problems()


def test_saving_without_a_document_type_asks_for_it_and_keeps_the_photo(
    worker_with_things, new_context, tmp_path
):
    base = worker_with_things.url
    photo = tmp_path / "page.jpg"
    photo.write_bytes(jpeg("white"))
    page = new_context("phone").new_page()
    set_passkeys(worker_with_things.app, [])
    sign_in(page, base, "+79120000007")
    page.goto(base + "/documents/new")
    expect(page.get_by_label("Тип документа")).to_have_value("")
    page.locator("#picker").set_input_files(str(photo))
    expect(page.locator("#capture-pages li")).to_have_count(1)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page.locator("#capture-error")).to_contain_text("Выберите тип документа")
    expect(page.get_by_label("Тип документа")).to_be_focused()
    expect(page.locator("#capture-pages li")).to_have_count(1)  # the photo is still there
    shot(page, "capture-no-type-360")
    page.get_by_label("Тип документа").select_option("diploma")
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Диплом с приложением")
