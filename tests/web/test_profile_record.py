"""The professional record through the test client: every route, good and bad input, ownership."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from tests.conftest import create_active_user, csrf_from, post_form
from webapp import clock
from webapp.db import connect

TODAY = date(2026, 11, 23)

JOB = {
    "org_name": "ГБУЗ «Городская поликлиника № 5»",
    "org_inn": "7707083893",
    "org_ogrn": "1027700132195",
    "org_oktmo": "45380000",
    "position": "Врач-терапевт участковый",
    "specialty": "Терапия",
    "rate": "1",
    "kind": "main",
    "start_date": "2019-09-01",
    "end_date": "",
    "document_kind": "order",
    "document_number": "125-к",
    "document_date": "2019-08-30",
}
DIPLOMA = {
    "kind": "higher",
    "organization": "Первый МГМУ им. И.М. Сеченова",
    "program": "Лечебное дело",
    "start_date": "2011-09-01",
    "end_date": "2017-06-30",
    "doc_series": "107724",
    "doc_number": "0123456",
    "hours": "",
    "study_form": "full",
}
COURSE = {
    "kind": "pk",
    "organization": "РМАНПО",
    "program": "Актуальные вопросы терапии",
    "start_date": "",
    "end_date": "2025-03-14",
    "doc_series": "",
    "doc_number": "772412345678",
    "hours": "72",
    "study_form": "remote",
}
CERTIFICATE = {
    "kind": "primary_special",
    "specialty": "Терапия",
    "number": "7722 031234567",
    "issued_on": "2022-07-15",
    "valid_until": "",
}


@pytest.fixture(autouse=True)
def frozen_today():
    clock.freeze(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


@pytest.fixture
def worker(app, auth):
    create_active_user(app)
    auth.login()
    return 1


def add(client, kind, data):
    return post_form(client, f"/profile/{kind}/new", data)


def rows(app, table):
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query(f"select * from {table} order by 1"))  # noqa: S608
    finally:
        db.close()


def test_record_page_shows_empty_sections_to_a_new_worker(client, worker):
    page = client.get("/profile/record")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Мест работы пока нет." in html
    assert 'Общий стаж: <span id="seniority-total">0 л. 0 мес. 0 дн.</span>' in html


def test_adding_a_job_saves_it_declared_and_audits_it(app, client, worker):
    response = add(client, "employment", JOB)
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile/record#employment"
    [job] = rows(app, "employments")
    assert job["org_inn"] == "7707083893"
    assert job["verification"] == "declared" and job["source"] == "self"
    assert job["end_date"] is None and job["rate"] == 1.0
    [event] = [e for e in rows(app, "audit_log") if e["action"] == "profile.employment.create"]
    assert event["object_id"] == str(job["id"]) and "Врач" not in (event["details"] or "")
    html = client.get("/profile/record").get_data(as_text=True)
    assert "Врач-терапевт участковый" in html
    assert "7 л. 2 мес. 23 дн." in html  # 2019-09-01 … 2026-11-23


def test_two_overlapping_jobs_count_once_in_seniority(client, worker):
    add(client, "employment", JOB)
    second = {
        **JOB,
        "org_name": "Клиника «Здоровье»",
        "org_inn": "7830002293",
        "org_ogrn": "",
        "kind": "external",
        "rate": "0,5",
        "start_date": "2018-01-10",
        "end_date": "2020-02-29",
    }
    assert add(client, "employment", second).status_code == 303
    html = client.get("/profile/record").get_data(as_text=True)
    # 2018-01-10 … 2026-11-23 once, not the sum of both jobs
    assert '<span id="seniority-total">8 л. 10 мес. 14 дн.</span>' in html


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"org_inn": "7707083894"}, "org_inn", "контрольная цифра не сходится"),
        ({"org_oktmo": "4538"}, "org_oktmo", "ОКТМО — 8 или 11 цифр"),
        ({"org_ogrn": "1027700132194"}, "org_ogrn", "ОГРН — 13 цифр"),
        ({"end_date": "2019-01-01"}, "end_date", "Дата окончания раньше даты начала"),
        ({"start_date": "1939-12-31"}, "start_date", "раньше 1940 года"),
        ({"start_date": "2027-01-01"}, "start_date", "не может быть в будущем"),
        ({"start_date": "31.02.2020"}, "start_date", "Такой даты нет"),
        ({"rate": "0"}, "rate", "Ставка — от 0,05 до 2"),
        ({"rate": "много"}, "rate", "Ставка — число"),
        ({"position": "x" * 10_000}, "position", "более 200 символов"),
        ({"position": "<script>alert(1)</script>"}, "position", "Уберите символы"),
        ({"position": ""}, "position", "Заполните это поле"),
        ({"kind": "boss"}, "kind", "Неверный вариант"),
        ({"document_number": ""}, "document_number", "Укажите номер документа"),
    ],
)
def test_bad_job_input_is_refused_beside_the_field_and_nothing_is_saved(
    app, client, worker, change, field, message
):
    response = add(client, "employment", {**JOB, **change})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert rows(app, "employments") == []


def test_duplicate_job_is_refused(app, client, worker):
    add(client, "employment", JOB)
    response = add(client, "employment", JOB)
    assert response.status_code == 422
    assert "уже есть в профиле" in response.get_data(as_text=True)
    assert len(rows(app, "employments")) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": "0"}, "от 16 до 3000"),
        ({"hours": "10000"}, "от 16 до 3000"),
        ({"hours": ""}, "Укажите объём программы"),
        ({"end_date": "2027-06-30"}, "не может быть в будущем"),
        ({"kind": "pp", "hours": "72"}, "от 250 до 3000"),
    ],
)
def test_bad_course_input_is_refused(app, client, worker, change, message):
    response = add(client, "education", {**COURSE, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert rows(app, "educations") == []


def test_diploma_hours_are_ignored_and_courses_keep_theirs(app, client, worker):
    assert add(client, "education", {**DIPLOMA, "hours": "5000"}).status_code == 303
    assert add(client, "education", COURSE).status_code == 303
    diploma, course = rows(app, "educations")
    assert diploma["hours"] is None and course["hours"] == 72


def test_certificate_without_end_lasts_five_years(app, client, worker):
    assert add(client, "certificate", CERTIFICATE).status_code == 303
    [cert] = rows(app, "certificates")
    assert cert["valid_until"] == "2027-07-15"


def test_edit_changes_the_record_and_sends_it_back_to_declared(app, client, worker):
    add(client, "employment", JOB)
    db = connect(app.config["DATABASE"])
    db.execute("update employments set verification = 'confirmed'")
    db.close()
    assert "снова нужно будет подтвердить" in client.get("/profile/employment/1").get_data(
        as_text=True
    )
    response = post_form(client, "/profile/employment/1", {**JOB, "position": "Заведующий"})
    assert response.status_code == 303
    [job] = rows(app, "employments")
    assert job["position"] == "Заведующий" and job["verification"] == "declared"


def test_delete_asks_first_then_removes_and_audits(app, client, worker):
    add(client, "employment", JOB)
    page = client.get("/profile/employment/1/delete")
    assert page.status_code == 200 and "Удалить место работы?" in page.get_data(as_text=True)
    assert rows(app, "employments")
    response = post_form(client, "/profile/employment/1/delete", {})
    assert response.status_code == 303
    assert rows(app, "employments") == []
    assert any(e["action"] == "profile.employment.delete" for e in rows(app, "audit_log"))


def test_unknown_kind_is_404(client, worker):
    assert client.get("/profile/salary/new").status_code == 404


@pytest.mark.parametrize("kind", ["employment", "education", "certificate", "category", "nmo"])
def test_another_workers_record_cannot_be_read_changed_or_deleted(app, client, auth, kind):
    create_active_user(app)
    create_active_user(app, n=2)
    auth.login()
    data = {
        "employment": JOB,
        "education": DIPLOMA,
        "certificate": CERTIFICATE,
        "category": {
            "specialty": "Терапия",
            "category": "first",
            "assigned_on": "2023-01-10",
            "valid_until": "",
            "order_number": "12",
        },
        "nmo": {
            "specialty": "Терапия",
            "day": "2026-03-01",
            "element": "module",
            "title": "Модуль",
            "provider": "",
            "zet": "2",
            "confirmation_code": "",
        },
    }[kind]
    assert add(client, kind, data).status_code == 303
    auth.logout()
    auth.login("+79120000002")
    token = csrf_from(client.get("/profile/record").get_data(as_text=True))
    assert client.get(f"/profile/{kind}/1").status_code == 404
    assert client.post(f"/profile/{kind}/1", data={**data, "csrf_token": token}).status_code == 404
    assert client.get(f"/profile/{kind}/1/delete").status_code == 404
    assert client.post(f"/profile/{kind}/1/delete", data={"csrf_token": token}).status_code == 404
    [row] = rows(
        app,
        {
            "employment": "employments",
            "education": "educations",
            "certificate": "certificates",
            "category": "categories",
            "nmo": "nmo_entries",
        }[kind],
    )
    assert row["user_id"] == 1 and row["created_at"] == row["updated_at"]


def test_record_routes_need_sign_in(client):
    for url in (
        "/profile/record",
        "/profile/personal",
        "/profile/employment/new",
        "/profile/nmo",
        "/profile/check",
        "/profile/readiness",
        "/profile/access-log",
        "/profile/nmo/export.csv",
    ):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_personal_data_is_stored_encrypted(app, client, worker):
    response = post_form(
        client,
        "/profile/personal",
        {
            "sex": "f",
            "citizenship": "Российская Федерация",
            "address": "Москва, ул. Ленина, 1",
            "inn": "5001 0073 2259",
            "passport_series": "45 10",
            "passport_number": "123456",
            "passport_issued_on": "2010-05-20",
            "passport_issued_by": "ОВД Тверской",
            "passport_division_code": "770001",
        },
    )
    assert response.status_code == 303
    [person] = rows(app, "person")
    assert "500100732259" not in str(person) and "123456" not in str(person)
    assert person["passport_division_code"] == "770-001"
    html = client.get("/profile/personal").get_data(as_text=True)
    assert 'value="500100732259"' in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inn": "500100732258"}, "контрольные цифры должны сходиться"),
        ({"inn": "7707083893"}, "ИНН физического лица — 12 цифр"),
        ({"passport_number": "12345"}, "номер — 6 цифр"),
        ({"passport_number": ""}, "номер — 6 цифр"),
        ({"passport_issued_on": ""}, "Укажите дату выдачи паспорта"),
        ({"passport_issued_on": "1992-01-01"}, "не раньше 14 лет"),
        ({"passport_division_code": "77-001"}, "Код подразделения — 6 цифр"),
        ({"address": "a\u202eb"}, "невидимые"),
    ],
)
def test_bad_personal_data_is_refused(app, client, worker, change, message):
    data = {
        "sex": "f",
        "citizenship": "РФ",
        "address": "",
        "inn": "500100732259",
        "passport_series": "4510",
        "passport_number": "123456",
        "passport_issued_on": "2010-05-20",
        "passport_issued_by": "ОВД",
        "passport_division_code": "770-001",
    }
    response = post_form(client, "/profile/personal", {**data, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert rows(app, "person") == []


def test_someone_elses_inn_is_refused_without_saving(app, client, auth, worker):
    data = {
        "inn": "500100732259",
        "passport_series": "",
        "passport_number": "",
        "sex": "",
        "citizenship": "",
        "address": "",
        "passport_issued_on": "",
        "passport_issued_by": "",
        "passport_division_code": "",
    }
    assert post_form(client, "/profile/personal", data).status_code == 303
    auth.logout()
    create_active_user(app, n=2)
    auth.login("+79120000002")
    response = post_form(client, "/profile/personal", data)
    assert response.status_code == 422
    assert "уже указан в другой учётной записи" in response.get_data(as_text=True)
    assert [p["user_id"] for p in rows(app, "person")] == [1]


def test_name_change_keeps_the_old_name(app, client, worker):
    response = post_form(
        client,
        "/profile/name",
        {
            "surname": "Петрова",
            "name": "Анна",
            "patronymic": "Сергеевна",
            "changed_on": "2024-06-01",
            "reason": "marriage",
            "document_title": "Свидетельство о браке I-АБ № 123456",
        },
    )
    assert response.status_code == 303
    [change] = rows(app, "name_changes")
    assert change["old_surname"] == "Иванова"
    [user] = rows(app, "users")
    assert user["surname"] == "Петрова"
    assert "Прежде: Иванова" in client.get("/profile/record").get_data(as_text=True)


def test_contacts_and_channel_preferences(app, client, worker):
    response = post_form(
        client,
        "/profile/contacts",
        {
            "extra_phone": "8 (912) 555-11-22",
            "telegram": "ivanova_doc",
            "max_messenger": "",
            "viber": "",
            "reminders_email": "y",
            "applications_sms": "y",
            "applications_push": "y",
        },
    )
    assert response.status_code == 303
    [person] = rows(app, "person")
    assert person["extra_phone"] == "+79125551122" and person["telegram"] == "@ivanova_doc"
    prefs = {(p["topic"], p["channel"]): p["enabled"] for p in rows(app, "notification_prefs")}
    assert prefs == {
        ("reminders", "email"): 1,
        ("reminders", "sms"): 0,
        ("applications", "email"): 0,
        ("applications", "sms"): 1,
        ("reminders", "push"): 0,
        ("applications", "push"): 1,
    }
    bad = post_form(client, "/profile/contacts", {"telegram": "@a b", "extra_phone": "12"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Имя в Telegram" in html and "Введите номер" in html


def test_nmo_progress_and_exports(client, worker):
    add(client, "certificate", {**CERTIFICATE, "issued_on": "2024-02-01"})
    for n, (day, zet) in enumerate([("2024-05-01", 36), ("2025-04-10", 14), ("2026-10-01", 2)]):
        entry = {
            "specialty": "Терапия",
            "day": day,
            "element": "module",
            "title": f"=cmd|{n}",
            "provider": "Портал НМО",
            "zet": str(zet),
            "confirmation_code": f"A{n}",
        }
        assert add(client, "nmo", entry).status_code == 303
    html = client.get("/profile/nmo").get_data(as_text=True)
    assert "52 из 250 ЗЕТ" in html
    assert "не хватило 14" in html  # 2024: 36 of 50
    text = client.get("/profile/nmo/export.csv?since=2024-01-01&until=2025-12-31").get_data(
        as_text=True
    )
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0][0] == "Дата" and len(lines) == 4
    assert lines[1][3] == "'=cmd|0"  # formulas never reach a spreadsheet
    assert lines[-1][5] == "50"
    xlsx = client.get("/profile/nmo/export.xlsx?since=2026-01-01&until=2026-12-31")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["D4"].value == "'=cmd|2" and sheet["F5"].value == 2
    assert client.get("/profile/nmo/export.pdf").status_code == 404


def test_duplicate_nmo_confirmation_code_is_refused(app, client, worker):
    entry = {
        "specialty": "Терапия",
        "day": "2026-01-10",
        "element": "event",
        "title": "Конгресс",
        "provider": "",
        "zet": "6",
        "confirmation_code": "NMO-1",
    }
    add(client, "nmo", entry)
    response = add(client, "nmo", entry)
    assert response.status_code == 422 and "уже добавлен" in response.get_data(as_text=True)
    bad = add(client, "nmo", {**entry, "confirmation_code": "", "zet": "0"})
    assert "ЗЕТ — от 1 до 500" in bad.get_data(as_text=True)


def test_nmo_list_pages_by_keyset_as_page_and_partial(client, worker):
    for n in range(25):
        add(
            client,
            "nmo",
            {
                "specialty": "Терапия",
                "day": f"2026-01-{n + 1:02d}",
                "element": "module",
                "title": f"Модуль {n}",
                "provider": "",
                "zet": "1",
                "confirmation_code": "",
            },
        )
    html = client.get("/profile/nmo").get_data(as_text=True)
    assert "Модуль 24" in html and "Модуль 4<" not in html and "Показать ещё" in html
    more = client.get("/profile/nmo?before=2026-01-06:6", headers={"HX-Request": "true"})
    part = more.get_data(as_text=True)
    assert "<html" not in part and "Модуль 4<" in part and "Модуль 5<" not in part
    assert "HX-Request" in more.headers["Vary"]


def test_readiness_and_check_pages_explain_problems(client, worker):
    page = client.get("/profile/check").get_data(as_text=True)
    assert "Нет аккредитации или сертификата" in page and "Ошибка ввода" in page
    add(client, "certificate", {**CERTIFICATE, "issued_on": "2021-12-20"})
    add(client, "education", COURSE)
    ready = client.get("/profile/readiness").get_data(as_text=True)
    assert "72 из 144 ч" in ready and "Не хватает 72 ч обучения" in ready
    assert "Окно подачи открыто до 20 декабря 2026" not in ready  # facts use dd.mm.yyyy
    assert "Окно подачи открыто до 20.12.2026." in ready


def test_access_log_shows_changes_and_who_made_them(client, worker):
    add(client, "employment", JOB)
    html = client.get("/profile/access-log").get_data(as_text=True)
    assert "Добавлено место работы" in html
    assert re.search(r"·\s+вы\s+·\s+IP 127\.0\.0\.1", html)  # the actor is the worker


def test_email_change_needs_the_code_from_the_new_address(app, client, auth, worker, outbox):
    response = post_form(client, "/account/email", {"email": "New.Address@Example.ru"})
    assert response.status_code == 303 and response.headers["Location"] == "/account/email/confirm"
    [message] = outbox("new.address@example.ru")
    code = message["body"].rsplit("#", 1)[1].strip()
    wrong = post_form(client, "/account/email/confirm", {"code": "000000"})
    assert wrong.status_code == 422
    assert post_form(client, "/account/email/confirm", {"code": code}).status_code == 303
    [user] = rows(app, "users")
    assert user["email"] == "new.address@example.ru" and user["email_confirmed_at"]
    assert outbox("user1@example.ru")  # the old address is told
