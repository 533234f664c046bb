"""The production calendar: real 2025–2027 facts, overrides, deadlines and their counting."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.workdays import (
    add_working_days,
    delete_override,
    is_working_day,
    load_overrides,
    set_override,
    working_days_between,
)

SEEDED_SHORT_DAYS = {
    date(2025, 3, 7),
    date(2025, 4, 30),
    date(2025, 6, 11),
    date(2025, 11, 1),
    date(2026, 4, 30),
    date(2026, 5, 8),
    date(2026, 6, 11),
    date(2026, 11, 3),
    date(2027, 2, 20),
    date(2027, 4, 30),
    date(2027, 6, 11),
    date(2027, 11, 3),
}


@pytest.fixture
def seeded(db):
    """The overrides of a freshly migrated database."""
    return load_overrides(db)


def test_the_migration_seeds_the_shortened_days(seeded):
    assert seeded == dict.fromkeys(SEEDED_SHORT_DAYS, "short")


def test_shortened_days_are_working_days_before_a_day_off(seeded):
    for day in SEEDED_SHORT_DAYS:
        assert is_working_day(day, seeded), day
        assert not is_working_day(day + timedelta(days=1), seeded), day


def test_new_year_holidays_2026(seeded):
    for n in range(1, 12):
        assert not is_working_day(date(2026, 1, n), seeded), n
    assert not is_working_day(date(2025, 12, 31), seeded)  # day off moved from 5 January
    assert is_working_day(date(2025, 12, 30), seeded)
    assert is_working_day(date(2026, 1, 12), seeded)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 5, 2),
        date(2025, 5, 8),
        date(2025, 6, 13),
        date(2025, 11, 3),
        date(2025, 11, 4),  # Unity Day
        date(2025, 12, 31),
        date(2026, 1, 9),
        date(2026, 3, 9),  # 8 March is a Sunday
        date(2026, 5, 11),  # 9 May is a Saturday
        date(2026, 12, 31),
        date(2027, 2, 22),
        date(2027, 11, 5),
        date(2027, 12, 31),
    ],
)
def test_holidays_and_moved_days_off_are_not_working(seeded, day):
    assert not is_working_day(day, seeded)


@pytest.mark.parametrize("saturday", [date(2025, 11, 1), date(2027, 2, 20)])
def test_working_saturdays(seeded, saturday):
    assert saturday.weekday() == 5
    assert is_working_day(saturday, seeded)  # the seeded 'short' row
    assert is_working_day(saturday, {})  # and the package's transfers agree


def test_an_ordinary_weekend_is_not_working(seeded):
    assert not is_working_day(date(2026, 10, 17), seeded)
    assert not is_working_day(date(2026, 10, 18), seeded)


def test_deadline_across_the_new_year_holidays(seeded):
    assert add_working_days(date(2025, 12, 30), 1, seeded) == date(2026, 1, 12)
    assert add_working_days(date(2025, 12, 29), 2, seeded) == date(2026, 1, 12)


def test_deadline_across_a_weekend(seeded):
    friday = date(2026, 10, 16)
    assert add_working_days(friday, 1, seeded) == date(2026, 10, 19)
    assert add_working_days(friday, 5, seeded) == date(2026, 10, 23)


def test_twenty_working_days_across_the_may_holidays(seeded):
    # 28–30 Apr, 4–8, 12–15, 18–22 and 25–27 May; 1–3 and 9–11 May are off.
    assert add_working_days(date(2026, 4, 27), 20, seeded) == date(2026, 5, 27)


def test_the_working_saturday_counts_toward_a_deadline(seeded):
    # 30–31 Oct and Saturday 1 Nov 2025; 2–4 Nov are off.
    assert add_working_days(date(2025, 10, 29), 3, seeded) == date(2025, 11, 1)
    assert add_working_days(date(2025, 10, 29), 4, seeded) == date(2025, 11, 5)


def test_zero_days_is_the_start_and_negative_is_refused(seeded):
    sunday = date(2026, 10, 18)
    assert add_working_days(sunday, 0, seeded) == sunday
    with pytest.raises(ValueError):
        add_working_days(sunday, -1, seeded)


def test_a_holiday_override_blocks_a_weekday():
    monday = date(2026, 10, 19)
    overrides = {monday: "holiday"}
    assert not is_working_day(monday, overrides)
    assert add_working_days(date(2026, 10, 16), 1, overrides) == date(2026, 10, 20)


def test_a_workday_override_opens_a_weekend_day():
    saturday = date(2026, 10, 17)
    overrides = {saturday: "workday"}
    assert is_working_day(saturday, overrides)
    assert add_working_days(date(2026, 10, 16), 1, overrides) == saturday


def test_days_left_and_days_overdue(seeded):
    deadline = date(2026, 1, 14)
    assert working_days_between(date(2025, 12, 30), deadline, seeded) == 3
    assert working_days_between(deadline, deadline, seeded) == 0
    assert working_days_between(date(2026, 1, 16), deadline, seeded) == -2
    # Overdue by the working days after the deadline: the weekend adds nothing.
    assert working_days_between(date(2026, 1, 18), deadline, seeded) == -2


def test_overrides_are_stored_replaced_and_removed(db):
    monday = date(2026, 10, 19)
    set_override(db, monday, "holiday", "Нерабочий день по указу")
    assert load_overrides(db)[monday] == "holiday"
    assert not is_working_day(monday, load_overrides(db))
    set_override(db, monday, "short", None)
    assert load_overrides(db)[monday] == "short"
    delete_override(db, monday)
    assert monday not in load_overrides(db)
    assert is_working_day(monday, load_overrides(db))


def test_the_year_calendar_is_cached():
    from webapp.workdays import _days_off

    _days_off.cache_clear()
    for _ in range(3):
        add_working_days(date(2026, 4, 27), 20, {})
    assert _days_off.cache_info().misses == 1


overrides_strategy = st.dictionaries(
    st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    st.sampled_from(["holiday", "workday", "short"]),
    max_size=20,
)


@given(
    start=st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    count=st.integers(0, 60),
    overrides=overrides_strategy,
)
def test_counting_undoes_adding(start, count, overrides):
    deadline = add_working_days(start, count, overrides)
    assert working_days_between(start, deadline, overrides) == count
    assert working_days_between(deadline, start, overrides) == -count
    if count:
        assert is_working_day(deadline, overrides)
