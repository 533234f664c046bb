"""Which reminders are due on which day, worked out by hand."""

from datetime import date

import pytest

from webapp.profile.nmo import Entry
from webapp.profile.reminders import (
    Category,
    Certificate,
    NmoRecord,
    Records,
    days_word,
    due,
)

# Valid until 23.12.2026: window 23.12.2025, T−90 24.09.2026, T−30 23.11.2026, T−7 16.12.2026,
# expired 24.12.2026, quiet from 23.01.2027 (30 days after).
THERAPY = Certificate(
    7, "periodic", "Терапия", "7700 123456", date(2026, 12, 23), date(2021, 12, 24)
)


def keys(records, today):
    return [r.key for r in due(records, today)]


def cert_only(*certificates):
    return Records(certificates=list(certificates))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 12, 22), []),
        (date(2025, 12, 23), ["cert:7:2026-12-23:window"]),
        (date(2026, 9, 23), ["cert:7:2026-12-23:window"]),
        (date(2026, 9, 24), ["cert:7:2026-12-23:t90"]),
        (date(2026, 11, 22), ["cert:7:2026-12-23:t90"]),
        (date(2026, 11, 23), ["cert:7:2026-12-23:t30"]),
        (date(2026, 12, 15), ["cert:7:2026-12-23:t30"]),
        (date(2026, 12, 16), ["cert:7:2026-12-23:t7"]),
        (date(2026, 12, 23), ["cert:7:2026-12-23:t7"]),
        (date(2026, 12, 24), ["cert:7:2026-12-23:expired"]),
        (date(2027, 1, 22), ["cert:7:2026-12-23:expired"]),
        (date(2027, 1, 23), []),
    ],
)
def test_each_stage_starts_on_its_day_and_only_the_latest_is_due(today, expected):
    assert keys(cert_only(THERAPY), today) == expected


def test_stage_due_dates_are_the_days_they_began():
    assert [r.due_on for r in due(cert_only(THERAPY), date(2026, 12, 20))] == [date(2026, 12, 16)]
    assert [r.due_on for r in due(cert_only(THERAPY), date(2026, 1, 5))] == [date(2025, 12, 23)]


def test_window_opens_twelve_months_before_even_from_a_leap_day():
    leap = Certificate(1, "primary_special", "Хирургия", "1", date(2028, 2, 29), date(2023, 3, 1))
    assert keys(cert_only(leap), date(2027, 2, 27)) == []
    assert keys(cert_only(leap), date(2027, 2, 28)) == ["cert:1:2028-02-29:window"]


def test_the_thirty_day_text_names_the_specialty_and_the_date():
    (reminder,) = due(cert_only(THERAPY), date(2026, 11, 23))
    assert reminder.body == (
        "Через 30 дней истекает аккредитация по специальности «Терапия» (до 23.12.2026). "
        "Подайте заявление на периодическую аккредитацию."
    )
    assert reminder.title == "Аккредитация по специальности «Терапия» истекает через 30 дней"
    assert reminder.link_endpoint == "applications.new" and reminder.topic == "reminders"
    assert reminder.link_args == {"kind": "periodic", "specialty": "Терапия"}


def test_a_late_stage_tells_the_days_really_left():
    (reminder,) = due(cert_only(THERAPY), date(2026, 12, 21))
    assert reminder.title.endswith("истекает через 2 дня")
    (last_day,) = due(cert_only(THERAPY), date(2026, 12, 23))
    assert last_day.body.startswith("Сегодня истекает аккредитация")


def test_window_and_expiry_texts():
    (window,) = due(cert_only(THERAPY), date(2025, 12, 23))
    assert window.title == "Открыто окно подачи на периодическую аккредитацию"
    assert "аккредитация действует до 23.12.2026" in window.body
    (expired,) = due(cert_only(THERAPY), date(2026, 12, 24))
    assert expired.title == "Истёк срок аккредитации по специальности «Терапия»"
    assert "действовала до 23.12.2026" in expired.body


def test_a_specialist_certificate_is_called_a_certificate():
    old = Certificate(3, "certificate", "Педиатрия", "0177", date(2026, 12, 23), date(2021, 12, 24))
    (reminder,) = due(cert_only(old), date(2026, 11, 23))
    assert reminder.body.startswith("Через 30 дней истекает сертификат специалиста")
    (expired,) = due(cert_only(old), date(2026, 12, 24))
    assert expired.title == "Истёк срок сертификата специалиста по специальности «Педиатрия»"
    assert "Сертификат специалиста по специальности «Педиатрия» действовал до" in expired.body


def test_a_renewed_accreditation_silences_the_old_one_and_starts_afresh():
    renewed = Certificate(
        8, "periodic", "Терапия", "7700 654321", date(2031, 12, 10), date(2026, 12, 11)
    )
    records = cert_only(THERAPY, renewed)
    assert keys(records, date(2026, 12, 16)) == []
    assert keys(records, date(2030, 12, 10)) == ["cert:8:2031-12-10:window"]


def test_an_edited_end_date_is_a_new_key():
    moved = Certificate(
        7, "periodic", "Терапия", "7700 123456", date(2027, 1, 20), date(2022, 1, 21)
    )
    assert keys(cert_only(moved), date(2026, 12, 21)) == ["cert:7:2027-01-20:t30"]


def test_each_specialty_has_its_own_current_document():
    surgery = Certificate(9, "primary", "Хирургия", "1", date(2027, 3, 1), date(2022, 3, 2))
    assert keys(cert_only(THERAPY, surgery), date(2026, 12, 16)) == [
        "cert:7:2026-12-23:t7",
        "cert:9:2027-03-01:t90",
    ]


# A first category until 10.01.2027: T−90 12.10.2026, T−30 11.12.2026, expired 11.01.2027.
FIRST = Category(4, "Терапия", "first", date(2027, 1, 10))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 10), []),  # no application window for categories
        (date(2026, 10, 11), []),
        (date(2026, 10, 12), ["cat:4:2027-01-10:t90"]),
        (date(2026, 12, 10), ["cat:4:2027-01-10:t90"]),
        (date(2026, 12, 11), ["cat:4:2027-01-10:t30"]),
        (date(2027, 1, 10), ["cat:4:2027-01-10:t30"]),
        (date(2027, 1, 11), ["cat:4:2027-01-10:expired"]),
        (date(2027, 2, 9), ["cat:4:2027-01-10:expired"]),
        (date(2027, 2, 10), []),
    ],
)
def test_category_expiry_stages(today, expected):
    assert keys(Records(categories=[FIRST]), today) == expected


def test_category_texts_and_only_the_newest_category_counts():
    second = Category(2, "Терапия", "second", date(2026, 12, 20))
    records = Records(categories=[second, FIRST])
    (reminder,) = due(records, date(2026, 12, 11))
    assert reminder.key == "cat:4:2027-01-10:t30"
    assert reminder.title == "Первая квалификационная категория истекает через 30 дней"
    assert "по специальности «Терапия» (до 10.01.2027)" in reminder.body
    (expired,) = due(Records(categories=[FIRST]), date(2027, 1, 11))
    assert expired.title == "Истёк срок первой квалификационной категории"


# Admitted 15.03.2022, cycle to 14.03.2027; the accreditation is valid until then.
ADMITTED = date(2022, 3, 15)
CURRENT = Certificate(5, "primary_special", "Терапия", "1", date(2027, 3, 14), ADMITTED)


def nmo_records(entries, certificate=CURRENT, admitted=ADMITTED):
    return Records(certificates=[certificate], nmo=[NmoRecord("Терапия", admitted, list(entries))])


def nmo_keys(records, today):
    return [k for k in keys(records, today) if k.startswith("nmo:")]


SHORT = [Entry(date(2025, 12, 1), 50), Entry(date(2026, 3, 1), 20), Entry(date(2026, 10, 5), 12)]


def test_nmo_shortfall_is_due_from_the_first_of_november_not_before():
    assert nmo_keys(nmo_records(SHORT), date(2026, 10, 31)) == []
    (reminder,) = [r for r in due(nmo_records(SHORT), date(2026, 11, 1)) if r.key[:4] == "nmo:"]
    assert reminder.key == "nmo:терапия:2026"
    assert reminder.due_on == date(2026, 11, 1)
    assert reminder.title == "НМО: в 2026 году не хватает 18 ЗЕТ"
    assert "набрано 32 из 50 ЗЕТ" in reminder.body
    assert reminder.link_endpoint == "profile.nmo"
    assert nmo_keys(nmo_records(SHORT), date(2026, 12, 31)) == ["nmo:терапия:2026"]
    assert nmo_keys(nmo_records(SHORT), date(2027, 1, 1)) == []


def test_fifty_zet_in_the_year_means_no_nmo_reminder():
    enough = [*SHORT, Entry(date(2026, 11, 2), 18)]
    assert nmo_keys(nmo_records(enough), date(2026, 11, 1)) == [
        "nmo:терапия:2026"
    ]  # not yet earned
    assert nmo_keys(nmo_records(enough), date(2026, 11, 2)) == []


def test_no_nmo_reminder_without_a_valid_accreditation():
    lapsed = Certificate(5, "periodic", "Терапия", "1", date(2026, 10, 31), ADMITTED)
    assert nmo_keys(nmo_records(SHORT, lapsed), date(2026, 11, 1)) == []
    other = Records(certificates=[CURRENT], nmo=[NmoRecord("Хирургия", ADMITTED, [])])
    assert nmo_keys(other, date(2026, 11, 1)) == []


def test_specialties_match_whatever_their_case():
    upper = NmoRecord("ТЕРАПИЯ", ADMITTED, [Entry(date(2026, 2, 1), 49)])
    records = Records(certificates=[CURRENT], nmo=[upper])
    (reminder,) = [r for r in due(records, date(2026, 11, 1)) if r.key.startswith("nmo:")]
    assert reminder.key == "nmo:терапия:2026" and reminder.title.endswith("не хватает 1 ЗЕТ")
    later = Certificate(1, "certificate", "терапия", "1", date(2027, 6, 1), ADMITTED)
    assert keys(cert_only(later, THERAPY), date(2026, 12, 16)) == ["cert:1:2027-06-01:window"]
    older_category = Category(1, "ТЕРАПИЯ", "second", date(2026, 12, 20))
    assert keys(Records(categories=[older_category, FIRST]), date(2026, 12, 11)) == [
        "cat:4:2027-01-10:t30"
    ]


def test_no_nmo_reminder_when_the_cycle_began_after_the_first_of_november():
    fresh = Certificate(6, "primary", "Терапия", "1", date(2031, 11, 19), date(2026, 11, 20))
    records = nmo_records([], fresh, date(2026, 11, 20))
    assert keys(records, date(2026, 12, 1)) == []
    assert keys(records, date(2027, 11, 1)) == ["nmo:терапия:2027"]


def test_everything_due_together():
    records = Records(
        certificates=[THERAPY], categories=[FIRST], nmo=[NmoRecord("Терапия", date(2021, 12, 24))]
    )
    assert keys(records, date(2026, 12, 16)) == [
        "cert:7:2026-12-23:t7",
        "cat:4:2027-01-10:t30",
        "nmo:терапия:2026",
    ]
    assert due(Records(), date(2026, 12, 16)) == []


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1 день"),
        (2, "2 дня"),
        (4, "4 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (14, "14 дней"),
        (21, "21 день"),
        (22, "22 дня"),
        (90, "90 дней"),
        (101, "101 день"),
        (112, "112 дней"),
    ],
)
def test_days_are_counted_in_russian(n, text):
    assert days_word(n) == text
