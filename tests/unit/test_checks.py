"""«Проверить данные»: each rule finds its problem, explains it and points to the fix."""

from datetime import date

from webapp.names import short_name
from webapp.profile.checks import (
    CHECK,
    ERROR,
    OK,
    Snapshot,
    completeness,
    findings,
)
from webapp.profile.readiness import Verdict

TODAY = date(2026, 11, 23)
PERSON = {
    "sex": "f",
    "citizenship": "Российская Федерация",
    "address": "Москва",
    "inn": "500100732259",
    "passport": "4510 123456",
    "passport_issued_on": date(2010, 6, 1),
}
JOB = {
    "id": 1,
    "org_name": "Поликлиника № 5",
    "org_inn": "7707083893",
    "position": "Врач-терапевт",
    "kind": "main",
    "start_date": date(2019, 9, 1),
    "end_date": None,
    "document_kind": "order",
    "verification": "declared",
    "rejection_reason": None,
}
DIPLOMA = {
    "id": 1,
    "kind": "higher",
    "program": "Лечебное дело",
    "organization": "Сеченовский университет",
    "hours": None,
    "verification": "declared",
}
CERT = {
    "id": 1,
    "kind": "primary_special",
    "specialty": "Терапия",
    "number": "7722 1",
    "valid_until": date(2028, 1, 1),
    "verification": "declared",
}


def snapshot(**changes) -> Snapshot:
    values = {
        "surname": "Смирнова",
        "name": "Анна",
        "patronymic": "Викторовна",
        "birth_date": date(1990, 5, 17),
        "email_confirmed": True,
        "person": PERSON,
        "records": {"employment": [JOB], "education": [DIPLOMA], "certificate": [CERT]},
    }
    return Snapshot(**{**values, **changes})


def titles(found, status=None):
    return [f.title for f in found if status is None or f.status == status]


def test_a_complete_record_has_no_problems_and_is_100_percent():
    found = findings(snapshot(), TODAY)
    assert [f for f in found if f.status != OK] == []
    assert completeness(snapshot()) == 100


def test_missing_identifiers_need_attention_and_link_to_their_field():
    found = findings(snapshot(person={**PERSON, "inn": None, "passport": None}), TODAY)
    inn = next(f for f in found if f.title == "ИНН не указан")
    assert inn.status == CHECK and inn.endpoint == "profile.person" and inn.anchor == "inn"
    assert "Паспорт не указан" in titles(found, CHECK)
    assert completeness(snapshot(person={**PERSON, "inn": None, "passport": None})) == 81


def test_an_inn_with_a_wrong_checksum_is_an_input_error():
    found = findings(snapshot(person={**PERSON, "inn": "500100732258"}), TODAY)
    assert "ИНН с ошибкой" in titles(found, ERROR)


def test_passport_not_replaced_at_20_or_45():
    old = {**PERSON, "passport_issued_on": date(2004, 6, 1)}  # at 14; 20 reached in 2010
    found = findings(snapshot(person=old), TODAY)
    [error] = [f for f in found if "заменить в 20 лет" in f.title]
    assert error.status == ERROR and "17.05.2010" in error.explanation
    # within 90 days after the birthday the old passport is still fine
    recent = snapshot(birth_date=date(2006, 10, 1), person=old)
    assert not [f for f in findings(recent, TODAY) if "заменить" in f.title]


def test_jobs_without_documents_rejected_or_two_mains():
    no_doc = {**JOB, "document_kind": None}
    rejected = {**JOB, "id": 2, "verification": "rejected", "rejection_reason": "Не наш врач"}
    second_main = {**JOB, "id": 3, "org_name": "Клиника", "start_date": date(2020, 1, 1)}
    found = findings(
        snapshot(
            records={
                "employment": [no_doc, rejected, second_main],
                "education": [DIPLOMA],
                "certificate": [CERT],
            }
        ),
        TODAY,
    )
    doc = next(f for f in found if "нет подтверждающего документа" in f.title)
    assert doc.status == CHECK and doc.args == {"kind": "employment", "record_id": 1}
    reject = next(f for f in found if f.title.endswith("отклонено"))
    assert reject.status == ERROR and reject.explanation == "Не наш врач"
    assert "Два основных места работы в одно время" in titles(found, CHECK)


def test_expired_and_expiring_accreditation():
    expired = {**CERT, "valid_until": date(2026, 11, 1)}
    found = findings(
        snapshot(records={"employment": [JOB], "education": [DIPLOMA], "certificate": [expired]}),
        TODAY,
    )
    assert "Терапия: срок истёк" in titles(found, ERROR)
    soon = {**CERT, "valid_until": date(2027, 1, 10)}
    found = findings(
        snapshot(records={"employment": [JOB], "education": [DIPLOMA], "certificate": [soon]}),
        TODAY,
    )
    assert "Терапия: истекает через 48 дн." in titles(found, CHECK)
    # a newer document for the same specialty supersedes the expired one
    found = findings(
        snapshot(
            records={
                "employment": [JOB],
                "education": [DIPLOMA],
                "certificate": [expired, {**CERT, "id": 2}],
            }
        ),
        TODAY,
    )
    assert not [f for f in found if "Терапия" in f.title and f.status != OK]


def test_no_accreditation_and_no_diploma():
    found = findings(snapshot(records={}), TODAY)
    assert "Нет аккредитации или сертификата" in titles(found, ERROR)
    assert "Нет диплома об образовании" in titles(found, CHECK)
    assert "Нет мест работы" in titles(found, CHECK)
    assert found[0].status == ERROR  # errors come first


def test_courses_without_hours_and_readiness_shortfalls():
    course = {**DIPLOMA, "id": 2, "kind": "pk", "program": "ПК", "hours": None}
    hours = Verdict("hours", "Обучение за 5 лет", False, "36 из 144 ч.", "Не хватает 108 ч.")
    found = findings(
        snapshot(
            records={"employment": [JOB], "education": [DIPLOMA, course], "certificate": [CERT]},
            readiness=[hours],
        ),
        TODAY,
    )
    assert "ПК (Сеченовский университет): не указаны часы" in titles(found, ERROR)
    shortfall = next(f for f in found if f.title == "Обучение за 5 лет")
    assert "Не хватает 108 ч." in shortfall.explanation


def test_name_on_a_document_must_match_the_profile_or_an_earlier_name():
    docs = [
        {"id": 1, "title": "Диплом", "holder": "Иванова А.В."},
        {"id": 2, "title": "Удостоверение", "holder": "Смирнова А.В."},
    ]
    found = findings(snapshot(documents=docs), TODAY)
    [mismatch] = [f for f in found if "не совпадает" in f.title]
    assert "Диплом" in mismatch.title and mismatch.endpoint == "profile.name_change"
    found = findings(snapshot(documents=docs, former_names=["Иванова А.В."]), TODAY)
    assert not [f for f in found if "не совпадает" in f.title]


def test_confirmed_records_are_reported_as_confirmed():
    confirmed = {**JOB, "verification": "confirmed"}
    found = findings(
        snapshot(
            records={"employment": [confirmed], "education": [DIPLOMA], "certificate": [CERT]}
        ),
        TODAY,
    )
    [ok] = [f for f in found if f.status == OK]
    assert ok.status_title == "Данные подтверждены"


def test_short_name():
    assert short_name("Смирнова", "Анна", "Викторовна") == "Смирнова А.В."
    assert short_name("Smith", "John", None) == "Smith J."
