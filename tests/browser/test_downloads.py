"""Every link or button that answers with a file downloads it (issue 10: htmx's boost used to
swap a PDF's bytes into the page): the browser's download event arrives with the right name and
type, on every page of the journeys that offers one."""

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import AuthActions, create_active_user
from tests.web.test_documents import jpeg, upload
from tests.web.test_profile_record import add

pytestmark = pytest.mark.browser

NMO = {
    "specialty": "Терапия",
    "element": "event",
    "title": "Конференция по терапии",
    "provider": "РНИМУ",
    "day": "2026-03-15",
    "zet": "6",
    "confirmation_code": "",
}
PAGES = ("/documents/1", "/profile/nmo", "/documents/export")
# What a page offers as a file: links marked `download`, and buttons of forms that are not
# boosted (a boosted form would swap the answer into the page).
FILE_CONTROLS = 'a[download], form[hx-boost="false"] button[type="submit"]'


@pytest.fixture
def worker(live_server):
    app = live_server.app
    create_active_user(app)
    client = app.test_client()
    AuthActions(client).login()
    assert upload(client, [("page.jpg", jpeg())]).status_code == 201
    assert add(client, "nmo", NMO).status_code == 303
    return live_server


def test_every_file_control_downloads(worker, new_context):
    base = worker.url
    page = new_context("phone", accept_downloads=True).new_page()
    sign_in(page, base, "+79120000001")
    seen = 0
    for path in PAGES:
        page.goto(base + path)
        if path == "/documents/export":
            page.get_by_role("checkbox").first.check()
        controls = page.locator(FILE_CONTROLS)
        count = controls.count()
        assert count, f"{path} offers no file"
        for index in range(count):
            page.goto(base + path)
            if path == "/documents/export":
                page.get_by_role("checkbox").first.check()
            control = page.locator(FILE_CONTROLS).nth(index)
            with page.expect_download() as info:
                control.click()
            download = info.value
            name = download.suggested_filename
            body = Path(download.path()).read_bytes()
            if name.endswith(".pdf"):
                assert body.startswith(b"%PDF-") and "диплом" in name
            elif name.endswith(".zip"):
                assert zipfile.ZipFile(io.BytesIO(body)).namelist()[0].endswith(".pdf")
            elif name.endswith(".xlsx"):
                assert body.startswith(b"PK")
            elif name.endswith(".csv"):
                assert "Конференция по терапии" in body.decode("utf-8-sig")
            else:
                pytest.fail(f"{path}: unexpected file {name!r}")
            expect(page).to_have_url(base + path)  # the page stays; nothing swapped in
            seen += 1
    assert seen >= 5  # PDF, version PDF, XLSX, CSV, ZIP
