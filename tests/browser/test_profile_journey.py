"""Issue 4's acceptance journey on a 360×780 phone, through a real browser.

A worker fills personal data, adds two overlapping jobs, a diploma, an accreditation and two ПК
courses, watches стаж and readiness change, runs «Проверить данные» and fixes a finding
through its link.
"""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, watch
from tests.conftest import create_active_user
from webapp import clock
from webapp.profile.seniority import Span, merge

pytestmark = pytest.mark.browser


def fill(page, values: dict) -> None:
    """Fill a form by label; selects by their visible option text."""
    for label, value in values.items():
        field = page.get_by_label(re.compile(rf"^{re.escape(label)}( \(необязательно\))?$"))
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)


def save(page) -> None:
    page.get_by_role("button", name="Сохранить").click()


def add_record(page, button: str, values: dict, screenshot: str | None = None) -> None:
    page.get_by_role("link", name=button).click()
    fill(page, values)
    if screenshot:
        shot(page, screenshot)
    save(page)
    expect(page.locator(".flash-success")).to_contain_text("Запись добавлена")


def test_worker_fills_the_record_and_fixes_a_finding(live_server, new_context):
    base = live_server.url
    create_active_user(live_server.app, phone="+79125550101")
    phone = new_context("phone")
    page = phone.new_page()
    seen = watch(page)
    sign_in(page, base, "+79125550101")

    # The dashboard already says what is missing.
    expect(page.get_by_role("heading", name=re.compile("Профиль заполнен на"))).to_be_visible()
    expect(page.locator(".attention")).to_contain_text("Нет аккредитации или сертификата")
    shot(page, "profile-01-dashboard")

    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Профиль").click()
    page.get_by_role("link", name=re.compile("Профессиональные данные")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Профессиональные данные")
    expect(page.locator("#seniority-total")).to_have_text("0 л. 0 мес. 0 дн.")
    settle(page)
    shot(page, "profile-02-empty-record")

    # Personal data with identifiers.
    page.locator("#personal").get_by_role("link", name="Изменить").click()
    fill(
        page,
        {
            "Пол": "Женский",
            "Адрес регистрации": "г. Москва, ул. Тверская, д. 1, кв. 5",
            "ИНН": "5001 0073 2258",
            "Серия паспорта": "4510",
            "Номер паспорта": "123456",
            "Дата выдачи": "2010-06-01",
            "Кем выдан": "ОВД района Тверской г. Москвы",
            "Код подразделения": "770-001",
        },
    )
    save(page)
    expect(page.locator("#inn-error")).to_contain_text("контрольные цифры")
    shot(page, "profile-03-personal-error")
    fill(page, {"ИНН": "5001 0073 2259"})
    save(page)
    expect(page.locator(".flash-success")).to_contain_text("Личные данные сохранены")
    expect(page.locator("#personal")).to_contain_text("500100732259")

    # Two overlapping jobs: стаж counts the overlap once.
    add_record(
        page,
        "+ Добавить место работы",
        {
            "Организация": "ГБУЗ «Городская поликлиника № 5 ДЗМ»",
            "ИНН организации": "7707083893",
            "ОКТМО": "45380000",
            "Должность": "Врач-терапевт участковый",
            "Специальность": "Терапия",
            "Тип занятости": "Основное место работы",
            "Дата начала": "2019-09-01",
            "Подтверждающий документ": "Приказ о приёме",
            "Номер документа": "125-к",
            "Дата документа": "2019-08-30",
        },
        "profile-04-job-form",
    )
    today = clock.today()  # the worker's day (Moscow), as the page counts it
    first = [(date(2019, 9, 1), None)]
    expect(page.locator("#seniority-total")).to_have_text(str(Span.total_of(merge(first, today))))
    add_record(
        page,
        "+ Добавить место работы",
        {
            "Организация": "ООО «Клиника Здоровье»",
            "ИНН организации": "7830002293",
            "ОКТМО": "40000000",
            "Должность": "Врач-терапевт",
            "Специальность": "Терапия",
            "Ставка": "0,5",
            "Тип занятости": "Внешнее совместительство",
            "Дата начала": "2018-01-10",
            "Дата окончания": "2020-02-29",
        },
    )
    both = [*first, (date(2018, 1, 10), date(2020, 2, 29))]
    expect(page.locator("#seniority-total")).to_have_text(str(Span.total_of(merge(both, today))))
    assert page.locator("#employment .record").count() == 2

    # A diploma, an accreditation, then readiness before and after two ПК courses.
    add_record(
        page,
        "+ Добавить образование или курс",
        {
            "Вид": "Высшее образование",
            "Организация": "Первый МГМУ им. И.М. Сеченова",
            "Специальность или программа": "Лечебное дело",
            "Дата окончания (выдачи документа)": "2017-06-30",
            "Серия документа": "107724",
            "Номер документа": "0123456",
        },
    )
    expires = date(today.year + 1, 1, 15)
    add_record(
        page,
        "+ Добавить аккредитацию или сертификат",
        {
            "Документ": "Выписка о первичной специализированной аккредитации",
            "Специальность": "Терапия",
            "Номер": "7722 031234567",
            "Дата выдачи (решения)": f"{expires.year - 5}-01-15",
            "Действует до": expires.isoformat(),
        },
    )
    page.get_by_role("link", name="Готовность к периодической аккредитации").click()
    hours = page.locator('[data-rule="hours"]')
    expect(hours).to_contain_text("0 из 144 ч")
    expect(page.locator('[data-rule="window"]')).to_contain_text("Окно подачи открыто")
    shot(page, "profile-05-readiness-before")
    page.get_by_role("link", name="Профессиональные данные").click()
    for number, title in (
        ("772412345678", "Актуальные вопросы терапии"),
        ("772412345679", "Неотложные состояния в терапии"),
    ):
        add_record(
            page,
            "+ Добавить образование или курс",
            {
                "Вид": "Повышение квалификации (ПК)",
                "Организация": "РМАНПО",
                "Специальность или программа": title,
                "Дата окончания (выдачи документа)": f"{today.year - 1}-03-14",
                "Номер документа": number,
                "Часов": "72",
            },
        )
    page.get_by_role("link", name="Готовность к периодической аккредитации").click()
    expect(hours).to_contain_text("144 из 144 ч, из них ПК с удостоверением — 144 из 72 ч.")
    expect(hours).to_have_class(re.compile(r"\bok\b"))
    shot(page, "profile-06-readiness-after")

    # «Проверить данные» finds the job without a document; its link leads to the fix.
    page.get_by_role("link", name="Профессиональные данные").click()
    page.get_by_role("link", name="Проверить данные").click()
    finding = page.locator(".finding", has_text="нет подтверждающего документа")
    expect(finding).to_contain_text("Требуется уточнение")
    shot(page, "profile-07-check")
    finding.get_by_role("link", name="Исправить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Изменить: место работы")
    fill(
        page,
        {
            "Подтверждающий документ": "Трудовой договор",
            "Номер документа": "17/2018",
            "Дата документа": "2018-01-09",
        },
    )
    save(page)
    expect(page.locator(".flash-success")).to_contain_text("Изменения сохранены")
    page.get_by_role("link", name="Проверить данные").click()
    expect(page.locator(".finding", has_text="нет подтверждающего документа")).to_have_count(0)
    expect(page.locator(".finding", has_text="Нет аккредитации")).to_have_count(0)

    page.get_by_role("link", name="Профессиональные данные").click()
    shot(page, "profile-08-record-360")
    assert seen.problems(allow=(r"status of 422",)) == []  # the refused ИНН

    desktop = new_context("desktop").new_page()
    sign_in(desktop, base, "+79125550101")
    desktop.goto(base + "/profile/record")
    shot(desktop, "profile-09-record-1280")
    desktop.goto(base + "/profile/check")
    shot(desktop, "profile-10-check-1280")
