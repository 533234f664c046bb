"""Readiness for periodic accreditation: the rules are data (DESIGN §7), evaluated by one function.

Each rule answers ✓/✗ with the numbers behind it and, when ✗, what to do. The caller builds a
`Record` from the worker's rows; nothing here touches Flask or the database.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


RULES = (
    {"id": "window", "title": "Срок подачи", "months_before_expiry": 12},
    {
        "id": "hours",
        "title": "Обучение за 5 лет",
        "years": 5,
        "min_hours": 144,
        "formal_share": 0.5,
    },
    {"id": "nmo", "title": "Баллы НМО", "cycle_zet": 250, "year_zet": 50},
    {"id": "report", "title": "Отчёт о профессиональной деятельности"},
)


@dataclass(frozen=True)
class Course:
    """A piece of education counted in academic hours."""

    finished: date
    hours: int
    formal: bool  # повышение квалификации with an удостоверение


@dataclass(frozen=True)
class Record:
    """What the rules look at."""

    expires: date | None  # the current accreditation or certificate
    courses: list[Course] = field(default_factory=list)
    nmo_zet_cycle: int = 0
    nmo_zet_by_year: dict[int, int] = field(default_factory=dict)
    has_activity_report: bool = False


@dataclass(frozen=True)
class Verdict:
    """One rule's answer."""

    rule: str
    title: str
    ok: bool
    facts: str
    todo: str | None = None


def _window(rule, record: Record, today: date) -> Verdict:
    if record.expires is None:
        return Verdict(
            rule["id"],
            rule["title"],
            False,
            "Нет действующей аккредитации или сертификата.",
            "Добавьте свидетельство или выписку об аккредитации.",
        )
    opens = shift_months(record.expires, -rule["months_before_expiry"])
    if today < opens:
        return Verdict(
            rule["id"],
            rule["title"],
            False,
            f"Подать можно с {opens:%d.%m.%Y} (срок действия до {record.expires:%d.%m.%Y}).",
            "Дождитесь открытия окна подачи — мы напомним.",
        )
    if today > record.expires:
        return Verdict(
            rule["id"],
            rule["title"],
            False,
            f"Срок действия истёк {record.expires:%d.%m.%Y}.",
            "Нужна первичная специализированная аккредитация.",
        )
    return Verdict(
        rule["id"], rule["title"], True, f"Окно подачи открыто до {record.expires:%d.%m.%Y}."
    )


def _hours(rule, record: Record, today: date) -> Verdict:
    since = shift_months(today, -12 * rule["years"])
    recent = [c for c in record.courses if since <= c.finished <= today]
    total = sum(c.hours for c in recent)
    formal = sum(c.hours for c in recent if c.formal)
    need_formal = round(rule["min_hours"] * rule["formal_share"])
    facts = (
        f"{total} из {rule['min_hours']} ч, из них ПК с удостоверением — "
        f"{formal} из {need_formal} ч."
    )
    if total >= rule["min_hours"] and formal >= need_formal:
        return Verdict(rule["id"], rule["title"], True, facts)
    if total < rule["min_hours"]:
        todo = (
            f"Не хватает {rule['min_hours'] - total} ч обучения за последние {rule['years']} лет."
        )
    else:
        todo = f"Не хватает {need_formal - formal} ч повышения квалификации с удостоверением."
    return Verdict(rule["id"], rule["title"], False, facts, todo)


def _nmo(rule, record: Record, today: date) -> Verdict:
    short_years = [
        y
        for y, zet in sorted(record.nmo_zet_by_year.items())
        if y < today.year and zet < rule["year_zet"]
    ]
    facts = f"{record.nmo_zet_cycle} из {rule['cycle_zet']} ЗЕТ за цикл."
    if record.nmo_zet_cycle >= rule["cycle_zet"] and not short_years:
        return Verdict(rule["id"], rule["title"], True, facts)
    if record.nmo_zet_cycle < rule["cycle_zet"]:
        todo = f"Наберите ещё {rule['cycle_zet'] - record.nmo_zet_cycle} ЗЕТ в НМО."
    else:
        todo = "Меньше {} ЗЕТ в годах: {}.".format(
            rule["year_zet"], ", ".join(map(str, short_years))
        )
    return Verdict(rule["id"], rule["title"], False, facts, todo)


def _report(rule, record: Record, today: date) -> Verdict:
    if record.has_activity_report:
        return Verdict(rule["id"], rule["title"], True, "Отчёт загружен.")
    return Verdict(
        rule["id"],
        rule["title"],
        False,
        "Отчёта нет.",
        "Загрузите отчёт о профессиональной деятельности, согласованный с работодателем.",
    )


CHECKS = {"window": _window, "hours": _hours, "nmo": _nmo, "report": _report}


def evaluate(record: Record, today: date, rules=RULES) -> list[Verdict]:
    """Every rule's verdict, in the rules' order."""
    return [CHECKS[rule["id"]](rule, record, today) for rule in rules]
