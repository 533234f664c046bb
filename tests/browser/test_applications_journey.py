"""An application's whole life in real browsers.

A worker on a 360×780 phone uploads the activity report and a ПК certificate through the capture
page, files a periodic accreditation in «Терапия» through the wizard and signs it with a passkey
(the DevTools virtual authenticator). A reviewer on a 1280×800 screen takes it, marks the ПК
certificate «Требуется уточнение» and returns it; the worker replaces the document and signs
again; the reviewer accepts the files, forwards, reviews and passes it with a protocol. The
worker downloads the выписка, whose QR code opens the public check page: «Действительна».
Every worker page fits 360 px without sideways scrolling.
"""

import hashlib
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, watch
from tests.browser.test_factors_journey import virtual_authenticator
from tests.conftest import create_active_user, totp_now
from tests.fixtures.make_fixtures import ensure_fixtures
from tests.web.applications_setup import ready_worker
from webapp import clock

pytestmark = pytest.mark.browser

WORKER, REVIEWER = "+79120000001", "+79120000002"
NUMBER = re.compile(r"А-\d{4}-\d{6}")
PDFTOTEXT = Path("/usr/bin/pdftotext")
REMARK = "Скан обрезан: не видно печати и подписи. Загрузите удостоверение целиком."
RETURN_NOTE = "Пожалуйста, замените удостоверение о ПК и отправьте заявление снова."


@pytest.fixture
def site(live_server):
    """The live server as http://localhost:<port> (WebAuthn needs a domain; the QR code of the
    выписка is built from the same origin), with a ready worker and a reviewer."""
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://localhost:{port}"
    live_server.app.config["WEBAUTHN_ORIGINS"] = [base]
    ready_worker(live_server.app, n=1)
    create_active_user(live_server.app, n=2, role="reviewer", email="expert@example.ru")
    return base


def fits(page) -> None:
    """No sideways scrolling: the page is no wider than the screen."""
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], f"{page.url} overflows: {sizes}"


def upload(page, base: str, doc_type: str, path: Path) -> int:
    """A document through the capture page's file input; returns its id."""
    page.goto(f"{base}/documents/new?doc_type={doc_type}")
    settle(page)
    expect(page.locator("#doc_type")).to_have_value(doc_type)
    fits(page)
    page.set_input_files("#picker", str(path))
    expect(page.locator(".capture-page")).to_have_count(1)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/documents/\d+$"))
    expect(page.locator(".doc-status")).to_contain_text("Версия 1")
    fits(page)
    return int(page.url.rsplit("/", 1)[1])


def next_step(page, base: str, application_id: int, step: str) -> None:
    """«Далее», then the given step of the wizard."""
    page.get_by_role("button", name="Далее", exact=True).click()
    expect(page).to_have_url(
        re.compile(rf"{re.escape(base)}/applications/{application_id}/step/{step}")
    )
    expect(page.locator(".stepper [aria-current=step]")).to_be_visible()
    fits(page)


def grouped(digest: str) -> str:
    """The hash as the application page shows it: groups of four."""
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def review_step_ready(page) -> str:
    """The review step says it can be sent, every required rule is ✓; returns the hash shown."""
    readiness = page.locator("section.readiness")
    expect(readiness.locator(".badge")).to_have_text("можно отправить")
    for rule in ("window", "hours", "report", "documents", "sizes"):
        item = readiness.locator(f'li[data-rule="{rule}"]')
        expect(item).to_have_class(re.compile(r"\bok\b"))
        expect(item).to_contain_text("выполнено")
    shown = page.locator("#sign .digest code").inner_text()
    assert re.fullmatch(r"([0-9a-f]{4} ){15}[0-9a-f]{4}", shown), shown
    digest = shown.replace(" ", "")
    button = page.locator("[data-passkey-verify]")
    expect(button).to_have_text("Подписать и отправить")
    # The passkey signs exactly the hash on the screen: it is the challenge asked for.
    assert f"digest={digest}" in button.get_attribute("data-options")
    return digest


def sign(page, base: str, application_id: int) -> str:
    """«Подписать и отправить» with the passkey; returns the number shown on «Заявление принято»."""
    page.locator("[data-passkey-verify]").click()
    expect(page).to_have_url(f"{base}/applications/{application_id}?accepted=1")
    accepted = page.locator("section.accepted")
    expect(accepted.get_by_role("heading", level=2)).to_have_text("Заявление принято")
    number = accepted.locator(".number").inner_text()
    assert NUMBER.fullmatch(number), number
    fits(page)
    return number


def reviewer_move(page, title: str, state: str) -> None:
    """A move without fields (a plain button in «Решение»); the status badge follows."""
    page.locator("#actions").get_by_role("button", name=title, exact=True).click()
    expect(status_of(page)).to_have_text(state)


def move_form(page, title: str):
    """The folded form of a move with fields («Вернуть на доработку», «Аккредитация пройдена»)."""
    summary = page.locator("summary").filter(has_text=re.compile(rf"^\s*{title}\s*$"))
    return page.locator("#actions details.move").filter(has=summary)


def status_of(page):
    """The status chip at the top of the review screen."""
    return page.locator(".review-kind").locator(".chip, .badge").first


def file_card(page, doc_type_title: str):
    return page.locator("article.review-file").filter(has_text=doc_type_title)


def test_an_application_from_filing_to_a_checked_extract(site, new_context, tmp_path):
    base = site
    fixtures = ensure_fixtures()

    # ---- The worker: passkey, documents, the wizard, the signature -------------------------
    phone = new_context("phone", accept_downloads=True)
    page = phone.new_page()
    seen = watch(page)
    cdp, authenticator = virtual_authenticator(phone, page)
    sign_in(page, base, WORKER)
    fits(page)

    page.goto(base + "/security/enrol")
    expect(page.get_by_role("heading", level=1)).to_have_text("Защитите вход")
    page.get_by_role("button", name="Создать ключ доступа").click()
    expect(page).to_have_url(base + "/security/enrol?backup=1")
    fits(page)
    saved = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(saved["credentials"]) == 1

    upload(page, base, "activity_report", fixtures["plain.pdf"])
    certificate_id = upload(page, base, "pk_certificate", fixtures["orientation_1.jpg"])

    page.goto(base + "/applications")
    expect(page.get_by_role("heading", level=1)).to_have_text("Мои заявления")
    fits(page)
    page.get_by_role("link", name="Подать заявление").click()
    expect(page).to_have_url(base + "/applications/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подать заявление")
    fits(page)
    page.get_by_role("radio", name=re.compile(r"^Периодическая аккредитация специалиста")).check()
    page.get_by_label("Специальность").fill("Терапия")
    page.get_by_role("button", name="Начать").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/applications/\d+/step/applicant$"))
    application_id = int(re.search(r"/applications/(\d+)/", page.url).group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Периодическая аккредитация: Терапия")
    expect(page.locator(".facts")).to_contain_text("Иванова Мария Петровна")
    fits(page)

    next_step(page, base, application_id, "contacts")
    page.get_by_label("Регион").select_option("Москва")
    expect(page.locator("#autosave")).to_contain_text("Сохранено в")
    next_step(page, base, application_id, "details")
    expect(
        page.get_by_role("checkbox", name=re.compile("Актуальные вопросы терапии"))
    ).to_be_checked()
    next_step(page, base, application_id, "documents")
    for doc_type in ("activity_report", "pk_certificate"):
        expect(page.locator(f"#type-{doc_type} .badge")).to_have_text("✓ выбран")
    next_step(page, base, application_id, "review")
    first_digest = review_step_ready(page)
    sent = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="Что отправляется")
    )
    expect(sent.locator(".compact-list li")).to_have_count(2)
    expect(sent).to_contain_text("Удостоверение о ПК")
    expect(sent).to_contain_text("Отчёт о профессиональной деятельности")
    settle(page)
    shot(page, "applications-journey-01-review-step-360")

    number = sign(page, base, application_id)
    app_url = f"{base}/applications/{application_id}"
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Заявление {number}")
    expect(page.locator(".status-line .chip")).to_have_text("Подано")
    expect(page.locator("code.digest-inline")).to_have_text(grouped(first_digest))
    fits(page)
    settle(page)
    shot(page, "applications-journey-02-application-360")

    # ---- The reviewer: takes it, marks the ПК certificate, returns it ----------------------
    desk = new_context("desktop")
    review = desk.new_page()
    review_seen = watch(review)
    sign_in(review, base, REVIEWER, totp=totp_now())
    review.goto(base + "/review")
    expect(review.get_by_role("heading", level=1)).to_have_text("Заявления на экспертизу")
    row = review.locator("#queue-rows tr").filter(has_text=number)
    expect(row).to_contain_text("Подано")
    expect(row).to_contain_text("Терапия")
    expect(row).to_contain_text("Москва")
    settle(review)
    shot(review, "applications-journey-03-queue-1280")
    row.get_by_role("link", name=number).click()
    expect(review).to_have_url(f"{base}/review/{application_id}")
    expect(review.get_by_role("heading", level=1)).to_have_text(f"Заявление {number}")
    reviewer_move(review, "Взять в работу", "Зарегистрировано")
    reviewer_move(review, "Начать проверку", "На проверке")

    card = file_card(review, "Удостоверение о ПК")
    expect(card).to_have_count(1)
    card.locator("summary", has_text="Требуется уточнение").click()
    card.get_by_label("Что уточнить").fill(REMARK)
    card.get_by_role("button", name="Сохранить замечание").click()
    card = file_card(review, "Удостоверение о ПК")
    expect(card.locator(".review-file-head .badge")).to_have_text("Требуется уточнение")
    expect(card.locator(".review-remark")).to_have_text(f"Замечание: {REMARK}")
    settle(review)
    shot(review, "applications-journey-04-review-screen-1280")

    back = move_form(review, "Вернуть на доработку")
    back.locator("summary").click()
    back.get_by_label("Комментарий для заявителя").fill(RETURN_NOTE)
    back.get_by_role("button", name="Вернуть на доработку").click()
    expect(status_of(review)).to_have_text("Возвращено на доработку")

    # ---- The worker: sees the remark, replaces the document, signs again -------------------
    page.reload()
    expect(page.locator(".status-line .chip")).to_have_text("Возвращено на доработку")
    fix = page.locator("section.returned")
    expect(fix).to_contain_text(RETURN_NOTE)
    expect(fix).to_contain_text(REMARK)
    attachments = page.locator(".file-row").filter(has_text="Удостоверение о ПК")
    expect(attachments.locator(".badge")).to_have_text("Требуется уточнение")
    fits(page)
    settle(page)
    shot(page, "applications-journey-02b-returned-360")

    fix.get_by_role("link", name="Заменить документ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Новая версия документа")
    fits(page)
    page.set_input_files("#picker", str(fixtures["phone_2048.jpg"]))
    expect(page.locator(".capture-page")).to_have_count(1)
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page).to_have_url(
        f"{base}/applications/{application_id}/step/documents?added={certificate_id}"
    )
    expect(page.locator("#type-pk_certificate")).to_contain_text("версия 2")
    expect(page.locator("#type-pk_certificate .badge")).to_have_text("✓ выбран")
    fits(page)
    next_step(page, base, application_id, "review")
    second_digest = review_step_ready(page)
    assert second_digest != first_digest
    sign(page, base, application_id)
    page.goto(app_url)
    expect(page.locator(".status-line .chip")).to_have_text("Подано")
    timeline = page.locator("ol.timeline .timeline-item")
    expect(timeline).to_have_count(5)
    expect(timeline.nth(0)).to_contain_text("Подано")
    expect(timeline.nth(1)).to_contain_text("Возвращено на доработку")
    expect(timeline.nth(1)).to_contain_text(RETURN_NOTE)
    expect(timeline.nth(2)).to_contain_text("На проверке")
    expect(timeline.nth(3)).to_contain_text("Зарегистрировано")
    expect(timeline.nth(4)).to_contain_text("Подано")
    expect(page.locator("code.digest-inline")).to_have_text(grouped(second_digest))
    fits(page)

    # ---- The reviewer: checks again, accepts, forwards, reviews, passes ---------------------
    review.reload()
    expect(status_of(review)).to_have_text("Подано")
    reviewer_move(review, "Взять в работу", "Зарегистрировано")
    reviewer_move(review, "Начать проверку", "На проверке")
    for title in ("Отчёт о профессиональной деятельности", "Удостоверение о ПК"):
        file_card(review, title).get_by_role("button", name="Принят", exact=True).click()
        expect(file_card(review, title).locator(".review-file-head .badge")).to_have_text("Принят")
    reviewer_move(review, "Передать в комиссию", "Передано в комиссию")
    reviewer_move(review, "Начать рассмотрение", "На рассмотрении комиссии")
    decided = clock.today() - timedelta(days=1)
    passed = move_form(review, "Аккредитация пройдена")
    passed.locator("summary").click()
    passed.get_by_label("Номер протокола").fill("17-А/2026")
    passed.get_by_label("Дата протокола").fill(decided.isoformat())
    passed.get_by_role("button", name="Аккредитация пройдена").click()
    expect(status_of(review)).to_have_text("Аккредитация пройдена")
    expect(review.locator(".review-facts")).to_contain_text(f"№ 17-А/2026 от {decided:%d.%m.%Y}")
    settle(review)
    shot(review, "applications-journey-05-review-passed-1280")

    # ---- The worker: the выписка, its QR code, the public check ----------------------------
    page.goto(app_url)
    expect(page.locator(".status-line .chip")).to_have_text("Аккредитация пройдена")
    fits(page)
    settle(page)
    shot(page, "applications-journey-06-passed-360")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать выписку").click()
    assert download.value.suggested_filename == f"Выписка {number}.pdf"
    pdf_path = tmp_path / "extract.pdf"
    download.value.save_as(pdf_path)
    body = pdf_path.read_bytes()
    assert body.startswith(b"%PDF")

    document = pypdfium2.PdfDocument(body)
    try:
        rendered = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    codes = [
        code.text
        for code in zxingcpp.read_barcodes(rendered)
        if code.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert len(codes) == 1, codes
    assert codes[0].startswith(base + "/check/"), codes[0]
    if PDFTOTEXT.exists():
        text = subprocess.run(
            [str(PDFTOTEXT), "-enc", "UTF-8", str(pdf_path), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        assert "Иванова" in text

    visitor = new_context("phone").new_page()
    visitor_seen = watch(visitor)
    visitor.goto(codes[0])
    expect(visitor.locator(".check-status")).to_have_text("Действительна")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("М. П. Иванова")
    expect(visitor.locator(".check-result")).to_contain_text("Терапия")
    # The check page's checksum is the one of the file the worker saved.
    expect(visitor.locator(".check-hash code")).to_have_text(hashlib.sha256(body).hexdigest())
    fits(visitor)
    settle(visitor)
    shot(visitor, "applications-journey-07-check-360")

    assert seen.problems() == []
    assert review_seen.problems() == []
    assert visitor_seen.problems() == []
