"""Readiness rules: window, hours with the formal share, НМО per cycle and per year, report."""

from datetime import date

import pytest

from webapp.profile.readiness import Course, Record, evaluate, shift_months

TODAY = date(2026, 11, 23)


def verdicts(record, today=TODAY):
    return {v.rule: v for v in evaluate(record, today)}


def ready_record(**changes):
    base = {
        "expires": date(2027, 6, 30),
        "courses": [Course(date(2024, 3, 1), 72, True), Course(date(2025, 9, 1), 72, False)],
        "nmo_zet_cycle": 260,
        "nmo_zet_by_year": {2022: 50, 2023: 55, 2024: 50, 2025: 60},
        "has_activity_report": True,
    }
    return Record(**{**base, **changes})


def test_a_ready_worker_passes_every_rule():
    assert all(v.ok for v in evaluate(ready_record(), TODAY))


@pytest.mark.parametrize(
    ("expires", "ok", "fragment"),
    [
        (date(2027, 11, 23), True, "открыто"),  # exactly 12 months ahead: the window opens today
        (date(2027, 11, 24), False, "Подать можно с 24.11.2026"),
        (date(2026, 11, 22), False, "истёк"),
        (None, False, "Нет действующей"),
    ],
)
def test_submission_window(expires, ok, fragment):
    verdict = verdicts(ready_record(expires=expires))["window"]
    assert verdict.ok is ok and fragment in verdict.facts


def test_hours_count_only_the_last_five_years_and_need_formal_pk():
    old = ready_record(courses=[Course(date(2021, 11, 22), 144, True)])
    assert not verdicts(old)["hours"].ok
    informal = ready_record(courses=[Course(date(2025, 1, 1), 144, False)])
    verdict = verdicts(informal)["hours"]
    assert not verdict.ok and "72 ч повышения" in verdict.todo
    short = ready_record(courses=[Course(date(2025, 1, 1), 100, True)])
    assert "Не хватает 44 ч" in verdicts(short)["hours"].todo


def test_nmo_cycle_and_yearly_minimum():
    assert "ещё 50 ЗЕТ" in verdicts(ready_record(nmo_zet_cycle=200))["nmo"].todo
    lean_year = ready_record(nmo_zet_by_year={2023: 40, 2024: 80, 2025: 90})
    assert "2023" in verdicts(lean_year)["nmo"].todo
    this_year_counts_later = ready_record(nmo_zet_by_year={2026: 10, 2025: 60})
    assert verdicts(this_year_counts_later)["nmo"].ok


def test_activity_report():
    assert not verdicts(ready_record(has_activity_report=False))["report"].ok


def test_rules_are_data():
    custom = ({"id": "hours", "title": "Часы", "years": 5, "min_hours": 36, "formal_share": 1.0},)
    record = ready_record(courses=[Course(date(2025, 1, 1), 36, True)])
    assert [v.ok for v in evaluate(record, TODAY, rules=custom)] == [True]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 3, 31), -1, date(2027, 2, 28)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (date(2026, 11, 23), 12, date(2027, 11, 23)),
    ],
)
def test_shift_months(day, months, expected):
    assert shift_months(day, months) == expected
