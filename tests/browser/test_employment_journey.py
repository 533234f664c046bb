"""Issue 10, item 5 in a real browser: a nurse adds a job by picking a known organisation from
the suggestions under «Организация»; an HR admin confirms a job typed as free text, completing
ИНН and ОКТМО. Screenshots at 360×780 and 1280×800."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, watch
from tests.browser.test_profile_journey import fill, save
from tests.conftest import PASSWORD, create_active_user, totp_now
from webapp.clock import now_iso
from webapp.db import connect

pytestmark = pytest.mark.browser

NURSE, HR = "+79125550301", "+79125550302"
CLINIC = {
    "org_name": "ГБУЗ «Городская поликлиника № 5 ДЗМ»",
    "org_inn": "7707083893",
    "org_ogrn": "1027700132195",
    "org_oktmo": "45380000",
    "org_address": "г. Москва, ул. Тверская, д. 10",
}


def people(app) -> None:
    """A nurse, and an HR admin whose confirmed main job makes the clinic a known one."""
    create_active_user(app, n=1, phone=NURSE, email="nurse@example.ru")
    hr = create_active_user(app, n=2, role="orgadmin", phone=HR, email="hr@example.ru")
    db = connect(app.config["DATABASE"])
    stamp = now_iso()
    db["employments"].insert(
        {
            **CLINIC,
            "user_id": hr,
            "position": "Начальник отдела кадров",
            "rate": 1.0,
            "kind": "main",
            "start_date": "2012-03-01",
            "verification": "confirmed",
            "source": "employer",
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    db.close()


def no_overflow(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_nurse_picks_a_known_organisation_from_the_suggestions(live_server, new_context, kind):
    base = live_server.url
    people(live_server.app)
    page = new_context(kind).new_page()
    seen = watch(page)
    sign_in(page, base, NURSE)
    page.goto(base + "/profile/record")
    settle(page)
    page.get_by_role("link", name="+ Добавить место работы").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Добавить место работы")
    expect(page.locator("#org_inn-hint")).to_contain_text("заполнит отдел кадров")

    # Part of the name, typed the worker's way: lower case, no quotes.
    page.get_by_label("Организация").press_sequentially("поликлиника №5", delay=30)
    suggestion = page.locator("#org-suggestions .org-pick")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("ГБУЗ «Городская поликлиника № 5 ДЗМ»")
    expect(suggestion).to_contain_text("ИНН 7707083893 · г. Москва, ул. Тверская, д. 10")
    width = page.viewport_size["width"]
    no_overflow(page)
    shot(page, f"employment-01-suggestions-{width}")

    # Fields typed before choosing stay; the employer's block is filled in place.
    fill(page, {"Должность": "Медицинская сестра палатная"})
    suggestion.click()
    expect(page.get_by_label("Организация")).to_have_value(CLINIC["org_name"])
    expect(page.locator("#org_inn")).to_have_value("7707083893")
    expect(page.locator("#org_oktmo")).to_have_value("45380000")
    expect(page.locator("#org_address")).to_have_value(CLINIC["org_address"])
    expect(page.locator("#org-suggestions .org-pick")).to_have_count(0)
    expect(page.get_by_label("Должность")).to_have_value("Медицинская сестра палатная")
    assert page.url == base + "/profile/employment/new"
    expect(page).to_have_title(re.compile("^Добавить место работы"))
    fill(
        page,
        {
            "Специальность": "Сестринское дело",
            "Тип занятости": "Основное место работы",
            "Дата начала": "2021-04-05",
        },
    )
    shot(page, f"employment-02-filled-{width}")
    save(page)
    expect(page.locator(".flash-success")).to_contain_text("Запись добавлена")
    job = page.locator("#employment .record")
    expect(job).to_contain_text("Медицинская сестра палатная")
    expect(job).to_contain_text("ГБУЗ «Городская поликлиника № 5 ДЗМ» · ИНН 7707083893")
    assert seen.problems() == []


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_hr_admin_confirms_a_free_text_job_completing_inn_and_oktmo(live_server, new_context, kind):
    base = live_server.url
    people(live_server.app)
    nurse = new_context(kind).new_page()
    seen = watch(nurse)
    sign_in(nurse, base, NURSE)
    nurse.goto(base + "/profile/employment/new")
    settle(nurse)
    width = nurse.viewport_size["width"]

    # The nurse writes the organisation her own way and knows neither ИНН nor ОКТМО.
    nurse.get_by_label("Организация").fill("ГБУЗ Городская поликлиника №5 ДЗМ")
    fill(
        nurse,
        {
            "Должность": "Медицинская сестра процедурной",
            "Тип занятости": "Внутреннее совместительство",
            "Ставка": "0,5",
            "Дата начала": "2023-09-01",
        },
    )
    save(nurse)
    expect(nurse.locator(".flash-success")).to_contain_text("Запись добавлена")
    job = nurse.locator("#employment .record")
    expect(job).to_contain_text("ИНН и ОКТМО заполнит отдел кадров")
    expect(job).to_contain_text("заявлено")

    hr = new_context(kind).new_page()
    hr_seen = watch(hr)
    sign_in(hr, base, HR, totp=totp_now())
    hr.goto(base + "/staff")
    row = hr.locator("#staff-rows .row-item", has_text="Медицинская сестра процедурной")
    expect(row).to_contain_text("без ИНН")
    no_overflow(hr)
    shot(hr, f"employment-03-hr-queue-{width}")
    row.get_by_role("link", name="Открыть").click()
    expect(hr.locator(".alert")).to_contain_text("Работник не указал ИНН")
    expect(hr.get_by_label("ИНН организации")).to_have_value("7707083893")
    expect(hr.get_by_label("ОКТМО")).to_have_value("45380000")
    no_overflow(hr)
    shot(hr, f"employment-04-hr-confirm-{width}")

    # A wrong ИНН is refused beside the field; the right one and a settlement ОКТМО confirm.
    hr.get_by_label("ИНН организации").fill("7707083894")
    hr.get_by_label("ОКТМО").fill("45380000001")
    hr.get_by_role("button", name="Подтвердить").click()
    expect(hr.locator("#org_inn-error")).to_contain_text("контрольная цифра не сходится")
    no_overflow(hr)
    shot(hr, f"employment-05-hr-refused-{width}")
    hr.get_by_label("ИНН организации").fill("7707083893")
    hr.get_by_role("button", name="Подтвердить").click()
    expect(hr.locator(".flash-success")).to_contain_text("Запись подтверждена")
    expect(hr.locator("#staff-rows .row-item", has_text="процедурной")).to_have_count(0)

    nurse.reload()
    expect(job).to_contain_text("ИНН 7707083893")
    expect(job).to_contain_text("подтверждено")
    assert seen.problems() == []
    assert hr_seen.problems(allow=(r"status of 422",)) == []


def test_without_javascript_the_search_page_fills_the_form(live_server, new_context):
    base = live_server.url
    people(live_server.app)
    page = new_context("phone", java_script_enabled=False).new_page()
    page.goto(base + "/login")
    page.get_by_label("Телефон, email или СНИЛС").fill(NURSE)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page).to_have_url(base + "/")
    page.goto(base + "/profile/employment/new")
    page.get_by_role("link", name="Найти организацию среди известных системе").click()
    page.get_by_label("Название организации").fill("городская поликлиника")
    page.get_by_role("button", name="Найти").click()
    pick = page.locator(".org-pick")
    expect(pick).to_have_count(1)
    no_overflow(page)
    shot(page, "employment-06-search-no-js-360")
    pick.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Добавить место работы")
    expect(page.locator("#org_inn")).to_have_value("7707083893")
    fill(
        page,
        {
            "Должность": "Медицинская сестра",
            "Тип занятости": "Основное место работы",
            "Дата начала": "2021-04-05",
        },
    )
    save(page)
    expect(page).to_have_url(base + "/profile/record#employment")
    expect(page.locator("#employment .record")).to_contain_text("ИНН 7707083893")
