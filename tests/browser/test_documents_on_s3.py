"""The documents journey with the files in S3 (a real SeaweedFS): photograph two pages, save,
download the PDF, delete — the bucket holds only ciphertext, and nothing is written locally."""

import io
import re
from pathlib import Path

import pikepdf
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, settle, shot, sign_in, watch
from tests.conftest import create_active_user
from tests.fixtures.make_fixtures import ensure_fixtures
from tests.storage.conftest import raw_s3, s3_settings, seaweedfs  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.fixture
def s3_live_server(tmp_path, monkeypatch, s3_settings):  # noqa: F811 - the imported fixture
    """The browser tests' live server, configured like a deployment to keep files in S3."""
    monkeypatch.setenv("MEDKAB_STORAGE_BACKEND", "s3")
    for name, value in s3_settings.items():
        monkeypatch.setenv(f"MEDKAB_{name}", value)
    with serve(tmp_path) as server:
        server.bucket = s3_settings["S3_BUCKET"]
        yield server


def objects(raw_s3, bucket: str) -> dict[str, bytes]:  # noqa: F811
    listed = raw_s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: raw_s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_photograph_save_download_delete_with_files_in_s3(s3_live_server, new_context, raw_s3):  # noqa: F811
    fixtures = ensure_fixtures()
    base, app = s3_live_server.url, s3_live_server.app
    create_active_user(app, phone="+79125550177")
    page = new_context("phone").new_page()
    seen = watch(page)
    sign_in(page, base, "+79125550177")

    page.goto(base + "/documents/new?doc_type=diploma")
    settle(page)
    page.set_input_files(
        "#camera", [str(fixtures["orientation_1.jpg"]), str(fixtures["orientation_3.jpg"])]
    )
    expect(page.locator(".capture-page")).to_have_count(2)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/documents/\d+$"))
    expect(page.locator(".doc-status")).to_contain_text("2 стр.")
    shot(page, "documents-on-s3-360")

    stored = objects(raw_s3, s3_live_server.bucket)
    assert stored, "the files went to the bucket"
    assert not [k for k, body in stored.items() if body.startswith((b"%PDF", b"\xff\xd8"))]
    local = app.config["FILES_PATH"] or ""
    assert not local or not [p for p in Path(local).rglob("*") if p.is_file()]

    with page.expect_download() as info:
        page.get_by_role("link", name="Скачать PDF").click()
    pdf = pikepdf.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert len(pdf.pages) == 2

    page.get_by_role("link", name="Удалить документ").click()
    page.get_by_role("button", name="Удалить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Мои документы")
    assert objects(raw_s3, s3_live_server.bucket) == {}
    assert seen.problems() == []
