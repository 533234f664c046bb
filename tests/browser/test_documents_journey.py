"""Issue 5's camera journey on a 360×780 phone, through the page's real compression code.

Two 12 MP photos (EXIF orientation and GPS) go in through the camera input, the user swaps them,
saves, and gets one PDF of two upright pages with no metadata, sent in ≤ 700 KB a page; then a
new version replaces it and the first one stays in the history. A web page named .pdf is refused
with the server's message and leaves nothing behind. A turned photo is sent turned; a HEIC, which
Chromium cannot decode, is sent as it is for the server to convert.
"""

import io
import re

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, watch
from tests.conftest import create_active_user
from tests.fixtures.make_fixtures import (
    camera_exif,
    ensure_fixtures,
    jpeg,
    page_face,
    stored_for_orientation,
)
from webapp.db import connect

pytestmark = pytest.mark.browser

PAGE_BUDGET = 700 * 1024
FORM_OVERHEAD = 8 * 1024  # the text fields and multipart boundaries


@pytest.fixture(scope="module")
def fixtures():
    return ensure_fixtures()


@pytest.fixture(scope="module")
def portrait_12mp(tmp_path_factory):
    """A portrait sheet photographed sideways: 4000×3000 stored, EXIF orientation 6, GPS.

    Upright it has a red block top-left (to tell it from the other page), a dark heading and
    text, and a blue stamp bottom-right, like the 12 MP fixture's sheet.
    """
    upright = page_face(np.random.default_rng(5), (3000, 4000))
    ImageDraw.Draw(upright).rectangle((40, 40, 300, 300), fill=(220, 20, 20))
    grain = np.random.default_rng(6).normal(0, 4, (4000, 3000, 1))
    noisy = np.clip(np.asarray(upright, np.float32) + grain, 0, 255).astype(np.uint8)
    stored = stored_for_orientation(Image.fromarray(noisy), 6)
    assert stored.size == (4000, 3000)
    path = tmp_path_factory.mktemp("photos") / "IMG_0002.jpg"
    path.write_bytes(jpeg(stored, 92, exif=camera_exif(6)))
    return path


def centroid(mask: np.ndarray) -> tuple[float, float] | None:
    """Mean (x, y) of a mask's pixels as shares of the width and height."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 20:
        return None
    return xs.mean() / mask.shape[1], ys.mean() / mask.shape[0]


def marks(image: Image.Image) -> dict:
    """Where the dark print, the blue stamp and the red block sit in a page image."""
    pixels = np.asarray(image.convert("RGB").reduce(4), np.int16)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return {
        "dark": centroid((r < 90) & (g < 90) & (b < 90)),
        "blue": centroid((b - r > 60) & (b - g > 40)),
        "red": centroid((r - g > 120) & (r - b > 120)),
    }


def pdf_pages(data: bytes) -> list[tuple[bytes, Image.Image]]:
    """Each page's single image: its raw stream and the decoded picture."""
    out = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            (image,) = page.get_images().values()
            picture = pikepdf.PdfImage(image)
            out.append((image.read_raw_bytes(), picture.as_pil_image()))
    return out


def assert_no_metadata(raw: bytes, image: Image.Image) -> None:
    assert not image.getexif(), "EXIF survived"
    assert b"Exif" not in raw and b"GPS" not in raw and b"http://ns.adobe.com/xap" not in raw


def stored_pdfs(app, document_id: int) -> list[dict]:
    db = connect(app.config["DATABASE"])
    rows = list(
        db.query(
            "select * from document_versions where document_id = ? order by number",
            [document_id],
        )
    )
    db.close()
    return rows


def count(app, table: str) -> int:
    db = connect(app.config["DATABASE"])
    n = db.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
    db.close()
    return n


def uploads_of(page) -> list:
    """The POSTs to /documents/upload; `body_size()` of one is what the browser sent."""
    seen = []

    def on_request(request):
        if request.method == "POST" and request.url.endswith("/documents/upload"):
            seen.append(request)

    page.on("request", on_request)
    return seen


def body_size(request) -> int:
    """Bytes of the request body as the browser framed it.

    Chromium reports no post data for a body made of blobs, so the Content-Length it sent it is.
    """
    return int(request.all_headers()["content-length"])


def record_progress(page) -> None:
    """Keep every text #capture-progress shows, in sessionStorage so it outlives the redirect."""
    page.evaluate(
        """() => {
        const note = document.querySelector("#capture-progress .capture-progress-text");
        new MutationObserver(() => {
            const seen = JSON.parse(sessionStorage.getItem("progress") || "[]");
            if (seen[seen.length - 1] !== note.textContent) seen.push(note.textContent);
            sessionStorage.setItem("progress", JSON.stringify(seen));
        }).observe(note, { childList: true, characterData: true, subtree: true });
        }"""
    )


def progress_seen(page) -> list[str]:
    return page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")


def test_two_photos_become_one_upright_pdf_then_a_new_version(
    live_server, new_context, fixtures, portrait_12mp
):
    base, app = live_server.url, live_server.app
    create_active_user(app, phone="+79125550111")
    page = new_context("phone").new_page()
    seen = watch(page)
    sent = uploads_of(page)
    sign_in(page, base, "+79125550111")

    page.goto(base + "/documents/new?doc_type=diploma")
    settle(page)
    expect(page.locator("#doc_type")).to_have_value("diploma")
    page.set_input_files("#camera", [str(fixtures["photo_12mp.jpg"]), str(portrait_12mp)])
    pages = page.locator(".capture-page")
    expect(pages).to_have_count(2)
    expect(pages.nth(0).locator(".capture-thumb img")).to_be_visible()
    expect(pages.nth(1).locator(".capture-thumb img")).to_be_visible()
    expect(pages.nth(0).get_by_role("button", name="Выше")).to_be_disabled()
    pages.nth(0).get_by_role("button", name="Ниже").click()
    expect(pages.nth(0)).to_contain_text("IMG_0002.jpg")
    expect(pages.nth(0)).to_contain_text("Страница 1")
    expect(pages.nth(1)).to_contain_text("photo_12mp.jpg")
    expect(pages.nth(1).get_by_role("button", name="Ниже")).to_be_disabled()
    expect(pages.nth(1).get_by_role("button", name="Ниже")).not_to_be_focused()
    expect(pages.nth(1).get_by_role("button", name="Выше")).to_be_focused()
    shot(page, "documents-01-capture")

    record_progress(page)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/documents/(\d+)$"))
    document_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".doc-status")).to_contain_text("Версия 1")
    expect(page.locator(".doc-status")).to_contain_text("2 стр.")
    settle(page)
    shot(page, "documents-02-document-360")

    progress = progress_seen(page)
    assert progress[:2] == ["Сжатие 1 из 2…", "Сжатие 2 из 2…"], progress
    assert any(re.fullmatch(r"Загрузка: \d+ %", text) for text in progress), progress

    # What went over the wire: one request, compressed on the phone.
    assert len(sent) == 1
    uploaded = body_size(sent[0])
    assert 0 < uploaded <= 2 * PAGE_BUDGET + FORM_OVERHEAD, f"{uploaded:,} bytes uploaded"

    assert count(app, "documents") == 1
    (version,) = stored_pdfs(app, document_id)
    assert (version["pages"], version["mime"]) == (2, "application/pdf")
    storage = app.extensions["storage"]
    for key in filter(None, (version["file_key"], version["original_key"])):
        first, second = pdf_pages(storage.get(key))
        for raw, image in (first, second):
            assert_no_metadata(raw, image)
            assert max(image.size) <= 2048
            found = marks(image)
            # Upright: the stamp is right of and below the print on both sheets.
            assert found["blue"] and found["dark"], found
            assert found["blue"][0] > found["dark"][0] and found["blue"][1] > found["dark"][1]
        # The order is the one the user chose: the red-marked portrait sheet first.
        red = marks(first[1])["red"]
        assert red and red[0] < 0.5 and red[1] < 0.5, red
        assert marks(second[1])["red"] is None
        assert first[1].height > first[1].width  # the sideways photo stood up

    # «Обновить»: a new version from the gallery; the first one stays in the history.
    page.get_by_role("link", name="Обновить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Новая версия документа")
    page.set_input_files("#picker", str(fixtures["orientation_6.jpg"]))
    expect(page.locator(".capture-page")).to_have_count(1)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(f"{base}/documents/{document_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Диплом с приложением")
    expect(page.locator(".doc-status")).to_contain_text("Версия 2")
    expect(page.locator(".doc-status")).to_contain_text("1 стр.")
    history = page.get_by_role("region", name="История версий")
    expect(history.locator(".version")).to_have_count(2)
    expect(history.locator(".version").nth(1)).to_contain_text("Версия 1")
    expect(history.locator(".version").nth(1)).to_contain_text("2 стр.")
    settle(page)
    shot(page, "documents-03-new-version-360")

    assert count(app, "documents") == 1
    first_version, second_version = stored_pdfs(app, document_id)
    assert second_version["pages"] == 1
    ((raw, image),) = pdf_pages(storage.get(second_version["file_key"]))
    assert_no_metadata(raw, image)
    assert image.size == (300, 200)  # upright, and a small photo is never blown up
    found = marks(image)
    assert found["red"][0] < found["blue"][0] and found["red"][1] < 0.5 and found["blue"][1] < 0.5
    assert seen.problems() == []

    desktop = new_context("desktop").new_page()
    desk_seen = watch(desktop)
    sign_in(desktop, base, "+79125550111")
    desktop.goto(f"{base}/documents/new?replace={document_id}")
    desktop.set_input_files("#camera", [str(fixtures["photo_12mp.jpg"]), str(portrait_12mp)])
    expect(desktop.locator(".capture-page .capture-thumb img")).to_have_count(2)
    desktop.locator(".capture-page").nth(1).get_by_role("button", name="Повернуть").click()
    expect(desktop.locator(".capture-page").nth(1)).to_have_attribute("data-rotation", "90")
    settle(desktop)
    shot(desktop, "documents-04-capture-1280")
    desktop.goto(f"{base}/documents/{document_id}")
    settle(desktop)
    shot(desktop, "documents-05-document-1280")
    assert desk_seen.problems() == []


def test_a_web_page_named_pdf_is_refused_and_nothing_is_stored(live_server, new_context, fixtures):
    base, app = live_server.url, live_server.app
    create_active_user(app, phone="+79125550112")
    page = new_context("phone").new_page()
    seen = watch(page)
    sent = uploads_of(page)
    sign_in(page, base, "+79125550112")

    page.goto(base + "/documents/new?doc_type=diploma")
    settle(page)
    # A PDF goes alone: adding a photo to it is refused on the page.
    page.set_input_files("#picker", str(fixtures["html.pdf"]))
    expect(page.locator(".capture-page")).to_have_count(1)
    expect(page.locator(".capture-page")).to_contain_text("Файл")
    page.set_input_files("#camera", str(fixtures["orientation_3.jpg"]))
    expect(page.locator("#capture-error")).to_have_text("PDF загружается отдельно, без фотографий.")
    expect(page.locator(".capture-page")).to_have_count(1)

    page.get_by_role("button", name="Сохранить документ").click()
    error = page.locator("#capture-error")
    expect(error).to_contain_text("а веб-страница (HTML)")
    expect(page).to_have_url(base + "/documents/new?doc_type=diploma")
    expect(page.locator(".capture-page")).to_have_count(1)  # nothing the user chose is lost
    expect(page.locator("#capture-save")).to_be_enabled()
    expect(page.locator("#capture-progress")).to_be_hidden()
    shot(page, "documents-06-refused-360")
    assert len(sent) == 1
    assert count(app, "documents") == 0
    assert count(app, "document_versions") == 0
    storage_root = app.extensions["storage"].root
    assert not [p for p in storage_root.rglob("*") if p.is_file()]

    # The user swaps the file for a photo; the same page and key now save.
    page.get_by_role("button", name="Удалить файл").click()
    expect(page.locator(".capture-page")).to_have_count(0)
    page.set_input_files("#camera", str(fixtures["orientation_3.jpg"]))
    expect(page.locator(".capture-page")).to_have_count(1)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/documents/\d+$"))
    assert count(app, "documents") == 1
    assert seen.problems(allow=(r"status of 422",)) == []


def test_a_turned_photo_is_sent_turned_and_a_heic_goes_as_it_is(live_server, new_context, fixtures):
    base, app = live_server.url, live_server.app
    create_active_user(app, phone="+79125550113")
    page = new_context("phone").new_page()
    seen = watch(page)
    sign_in(page, base, "+79125550113")

    page.goto(base + "/documents/new?doc_type=other")
    settle(page)
    page.set_input_files(
        "#picker", [str(fixtures["orientation_1.jpg"]), str(fixtures["heic_orientation_6.heic"])]
    )
    photo, heic = page.locator(".capture-page").nth(0), page.locator(".capture-page").nth(1)
    expect(photo.locator(".capture-thumb img")).to_be_visible()
    # Chromium cannot decode HEIC: no preview and nothing to turn; the server reads its EXIF.
    expect(heic.locator(".capture-thumb")).to_have_text("HEIC")
    expect(heic.get_by_role("button", name="Повернуть")).to_have_count(0)
    photo.get_by_role("button", name="Повернуть").click()
    expect(photo).to_have_attribute("data-rotation", "90")
    expect(photo.get_by_role("button", name="Повернуть")).to_be_focused()
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/documents/(\d+)$"))

    (version,) = stored_pdfs(app, int(page.url.rsplit("/", 1)[1]))
    assert version["pages"] == 2
    turned, converted = pdf_pages(app.extensions["storage"].get(version["file_key"]))
    for raw, image in (turned, converted):
        assert_no_metadata(raw, image)
    # A quarter turn clockwise: the red block (top left) goes top right, the blue one bottom right.
    assert turned[1].size == (200, 300)
    found = marks(turned[1])
    assert found["red"][0] > 0.5 > found["red"][1] and found["blue"][0] > 0.5 < found["blue"][1]
    assert converted[1].size == (600, 400)
    found = marks(converted[1])
    assert found["red"][0] < 0.5 < found["blue"][0] and max(found["red"][1], found["blue"][1]) < 0.5
    assert seen.problems() == []
