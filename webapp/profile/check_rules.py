"""The rules behind «Проверить данные»: each looks at one part of the record and explains it."""

from datetime import date, timedelta

from webapp.names import name_key, short_name
from webapp.profile.certificates import current_certificates
from webapp.profile.checks import (
    BASE_EDUCATION,
    CHECK,
    ERROR,
    EXPIRING_DAYS,
    OK,
    Finding,
    Snapshot,
)
from webapp.profile.readiness import shift_months
from webapp.validators import inn_is_valid


def _person(s: Snapshot, today: date) -> list[Finding]:
    p = s.person
    found = []

    def person_issue(status, title, explanation, anchor):
        found.append(
            Finding(status, "Личные данные", title, explanation, "profile.person", anchor=anchor)
        )

    if not p.get("inn"):
        person_issue(CHECK, "ИНН не указан", "ИНН нужен для заявлений и выписок.", "inn")
    elif not inn_is_valid(p["inn"]):
        person_issue(
            ERROR,
            "ИНН с ошибкой",
            "Контрольные цифры ИНН не сходятся — проверьте номер по свидетельству ФНС.",
            "inn",
        )
    if not p.get("passport"):
        person_issue(
            CHECK,
            "Паспорт не указан",
            "Паспортные данные нужны для аккредитации.",
            "passport_series",
        )
    elif p.get("passport_issued_on"):
        for age in (20, 45):
            birthday = shift_months(s.birth_date, age * 12)
            if p["passport_issued_on"] < birthday <= today - timedelta(days=90):
                person_issue(
                    ERROR,
                    f"Паспорт нужно было заменить в {age} лет",
                    f"Паспорт выдан {p['passport_issued_on']:%d.%m.%Y}, а {age} лет исполнилось "
                    f"{birthday:%d.%m.%Y}. Укажите новый паспорт.",
                    "passport_series",
                )
                break
    for key, title in (("sex", "Пол"), ("citizenship", "Гражданство"), ("address", "Адрес")):
        if not p.get(key):
            person_issue(CHECK, f"{title}: не указано", "Заполните поле в личных данных.", key)
    if not s.email_confirmed:
        found.append(
            Finding(
                CHECK,
                "Контакты",
                "Почта не подтверждена",
                "Напоминания о сроках приходят на почту — подтвердите адрес по ссылке из письма.",
                "main.index",
            )
        )
    return found


def _rejected(section: str, slug: str, row: dict, title: str) -> Finding:
    return Finding(
        ERROR,
        section,
        f"{title}: отклонено",
        row.get("rejection_reason") or "Проверяющий отклонил запись — исправьте её.",
        "profile.edit",
        {"kind": slug, "record_id": row["id"]},
    )


def _confirmed(section: str, slug: str, row: dict, title: str) -> Finding:
    return Finding(
        OK,
        section,
        title,
        "Запись подтверждена.",
        "profile.edit",
        {"kind": slug, "record_id": row["id"]},
    )


def _employment(s: Snapshot, today: date) -> list[Finding]:
    jobs = s.records.get("employment", [])
    section = "Работа"
    if not jobs:
        return [
            Finding(
                CHECK,
                section,
                "Нет мест работы",
                "Добавьте текущее место работы — от него считается стаж.",
                "profile.new",
                {"kind": "employment"},
            )
        ]
    found = []
    for job in jobs:
        title = f"{job['position']}, {job['org_name']}"
        args = {"kind": "employment", "record_id": job["id"]}
        if job["verification"] == "rejected":
            found.append(_rejected(section, "employment", job, title))
        # No ИНН is no problem of the worker's: the HR admin completes it when confirming.
        elif job.get("org_inn") and not inn_is_valid(job["org_inn"]):
            found.append(
                Finding(
                    ERROR,
                    section,
                    f"{title}: ИНН организации с ошибкой",
                    "Контрольная цифра ИНН не сходится — сверьте с трудовым договором.",
                    "profile.edit",
                    args,
                )
            )
        elif not job.get("document_kind"):
            found.append(
                Finding(
                    CHECK,
                    section,
                    f"{title}: нет подтверждающего документа",
                    "Укажите приказ, трудовой договор или выписку СТД-Р — без них работодатель "
                    "не подтвердит запись.",
                    "profile.edit",
                    args,
                    "document_kind",
                )
            )
        elif job["verification"] == "confirmed":
            found.append(_confirmed(section, "employment", job, title))
    mains = [j for j in jobs if j["kind"] == "main"]
    for i, first in enumerate(mains):
        for second in mains[i + 1 :]:
            if first["start_date"] <= (second["end_date"] or today) and second["start_date"] <= (
                first["end_date"] or today
            ):
                found.append(
                    Finding(
                        CHECK,
                        section,
                        "Два основных места работы в одно время",
                        f"«{first['org_name']}» и «{second['org_name']}» пересекаются по датам. "
                        "Основное место работы бывает одно — отметьте другое как совместительство.",
                        "profile.edit",
                        {"kind": "employment", "record_id": second["id"]},
                        "kind",
                    )
                )
    return found


def _education(s: Snapshot, today: date) -> list[Finding]:
    rows = s.records.get("education", [])
    section = "Образование"
    found = []
    if not any(r["kind"] in BASE_EDUCATION for r in rows):
        found.append(
            Finding(
                CHECK,
                section,
                "Нет диплома об образовании",
                "Добавьте диплом о высшем или среднем профессиональном образовании.",
                "profile.new",
                {"kind": "education"},
            )
        )
    for row in rows:
        title = f"{row['program']} ({row['organization']})"
        if row["verification"] == "rejected":
            found.append(_rejected(section, "education", row, title))
        elif row["kind"] in ("pk", "pp") and not row.get("hours"):
            found.append(
                Finding(
                    ERROR,
                    section,
                    f"{title}: не указаны часы",
                    "Без объёма в часах курс не засчитывается в 144 часа для аккредитации.",
                    "profile.edit",
                    {"kind": "education", "record_id": row["id"]},
                    "hours",
                )
            )
        elif row["verification"] == "confirmed":
            found.append(_confirmed(section, "education", row, title))
    return found


def _certificates(s: Snapshot, today: date) -> list[Finding]:
    latest = current_certificates(s.records.get("certificate", []))
    section = "Аккредитация"
    if not latest:
        return [
            Finding(
                ERROR,
                section,
                "Нет аккредитации или сертификата",
                "Без действующей аккредитации нельзя работать по специальности. Добавьте "
                "свидетельство или выписку об аккредитации.",
                "profile.new",
                {"kind": "certificate"},
            )
        ]
    found = []
    for row in latest.values():
        args = {"kind": "certificate", "record_id": row["id"]}
        if row["verification"] == "rejected":
            found.append(_rejected(section, "certificate", row, row["specialty"]))
        elif row["valid_until"] < today:
            found.append(
                Finding(
                    ERROR,
                    section,
                    f"{row['specialty']}: срок истёк",
                    f"Документ № {row['number']} действовал до {row['valid_until']:%d.%m.%Y}. "
                    "Нужна первичная специализированная аккредитация — или добавьте более новый "
                    "документ.",
                    "profile.edit",
                    args,
                )
            )
        elif row["valid_until"] <= today + timedelta(days=EXPIRING_DAYS):
            days = (row["valid_until"] - today).days
            found.append(
                Finding(
                    CHECK,
                    section,
                    f"{row['specialty']}: истекает через {days} дн.",
                    f"Срок действия до {row['valid_until']:%d.%m.%Y}. Подайте заявление на "
                    "периодическую аккредитацию.",
                    "profile.readiness",
                )
            )
        elif row["verification"] == "confirmed":
            found.append(_confirmed(section, "certificate", row, row["specialty"]))
    for row in s.records.get("category", []):
        if today <= row["valid_until"] <= today + timedelta(days=EXPIRING_DAYS):
            found.append(
                Finding(
                    CHECK,
                    section,
                    f"Категория по специальности «{row['specialty']}» истекает",
                    f"Срок действия до {row['valid_until']:%d.%m.%Y}.",
                    "profile.edit",
                    {"kind": "category", "record_id": row["id"]},
                )
            )
    return found


def _readiness(s: Snapshot, today: date) -> list[Finding]:
    return [
        Finding(CHECK, "Аккредитация", v.title, f"{v.facts} {v.todo}", "profile.readiness")
        for v in s.readiness
        if not v.ok and v.rule in ("hours", "nmo")
    ]


def _names(s: Snapshot, today: date) -> list[Finding]:
    current = short_name(s.surname, s.name, s.patronymic)
    full = " ".join(filter(None, (s.surname, s.name, s.patronymic)))
    known = {name_key(current), name_key(full), *(name_key(n) for n in s.former_names)}
    found = []
    for doc in s.documents:
        holder = (doc.get("holder") or "").strip()
        if holder and name_key(holder) not in known:
            found.append(
                Finding(
                    ERROR,
                    "Документы",
                    f"ФИО в документе «{doc['title']}» не совпадает с профилем",
                    f"В документе — {holder}, в профиле — "
                    f"{current}. Если ФИО менялось, "
                    "добавьте смену ФИО с документом-основанием.",
                    "profile.name_change",
                )
            )
    return found


RULES = (_person, _employment, _education, _certificates, _readiness, _names)
