"""The worker's application controls in a browser: every file control on a decided application
and in the profile downloads its file (nothing swapped into the page); «Отозвать заявление»
withdraws, and a second try from a stale page is refused with a message that survives a reload
and «Назад»; «Удалить черновик» deletes a draft."""

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import create_active_user
from tests.web.applications_setup import add_submitted
from tests.web.test_check import decide
from webapp.applications import store
from webapp.db import connect

pytestmark = pytest.mark.browser
FILE_CONTROLS = 'a[download], form[hx-boost="false"] button[type="submit"]'


@pytest.fixture
def applications(live_server):
    app = live_server.app
    worker = create_active_user(app, n=1)
    reviewer = create_active_user(app, n=3, role="reviewer")
    db = connect(app.config["DATABASE"])
    try:
        storage = app.extensions["storage"]
        passed = add_submitted(db, storage, worker, files=2, number="А-2026-000001")
        sent = add_submitted(db, storage, worker, number="А-2026-000002")
        draft = store.create_draft(db, worker, "primary", "Педиатрия", {})
    finally:
        db.close()
    decide(app, passed, reviewer)
    return live_server, {"passed": passed, "sent": sent, "draft": draft}


def test_every_file_control_of_an_application_downloads(applications, new_context):
    server, ids = applications
    base = server.url
    page = new_context("phone", accept_downloads=True).new_page()
    sign_in(page, base, "+79120000001")
    names = []
    for path in (f"/applications/{ids['passed']}", "/profile/record"):
        page.goto(base + path)
        count = page.locator(FILE_CONTROLS).count()
        assert count, f"{path} offers no file"
        for index in range(count):
            page.goto(base + path)
            with page.expect_download() as info:
                page.locator(FILE_CONTROLS).nth(index).click()
            download = info.value
            body = Path(download.path()).read_bytes()
            name = download.suggested_filename
            if name.endswith(".zip"):
                assert len(zipfile.ZipFile(io.BytesIO(body)).namelist()) == 2
            else:
                assert name.endswith(".pdf") and body.startswith(b"%PDF-")
            expect(page).to_have_url(base + path)
            names.append(name)
    # two attachments, the archive, the выписка on the application and in the profile
    assert len(names) == 5
    assert names.count("Выписка А-2026-000001.pdf") == 2


def test_withdraw_then_a_stale_second_try_is_refused_and_survives_reload(applications, new_context):
    server, ids = applications
    base = server.url
    page = new_context("phone").new_page()
    sign_in(page, base, "+79120000001")
    url = f"{base}/applications/{ids['sent']}"
    page.goto(url)
    stale = page.context.new_page()
    stale.goto(url)
    page.get_by_role("button", name="Отозвать заявление").click()
    expect(page.locator(".flash-success")).to_contain_text("Заявление отозвано")
    expect(page.locator(".status-line .chip")).to_have_text("Отозвано")
    expect(page.get_by_role("button", name="Отозвать заявление")).to_have_count(0)
    stale.get_by_role("button", name="Отозвать заявление").click()
    expect(stale.locator(".flash-error")).to_contain_text("невозможно")
    stale.reload()
    expect(stale.locator(".status-line .chip")).to_have_text("Отозвано")
    stale.go_back()
    expect(stale.locator("h1")).to_contain_text("А-2026-000002")

    page.goto(f"{base}/applications/{ids['draft']}/step/applicant")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Удалить черновик").click()
    expect(page).to_have_url(base + "/applications")
    expect(page.locator(".flash-success")).to_contain_text("Черновик удалён")
    expect(page.locator(".application-item")).to_have_count(2)
    assert asked == ["Удалить черновик? Это нельзя отменить."]
