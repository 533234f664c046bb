"""НМО cycle and yearly progress."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from webapp.profile.nmo import CYCLE_ZET, Entry, cycle, progress

TODAY = date(2026, 11, 23)


def test_cycle_is_five_years_from_admission():
    assert cycle(date(2022, 3, 15)) == (date(2022, 3, 15), date(2027, 3, 14))
    assert cycle(date(2024, 2, 29)) == (date(2024, 2, 29), date(2029, 2, 27))


def test_progress_counts_only_the_cycle_and_per_calendar_year():
    entries = [
        Entry(date(2022, 3, 14), 36),  # the day before the cycle: not counted
        Entry(date(2022, 5, 1), 36),
        Entry(date(2022, 10, 1), 18),
        Entry(date(2023, 6, 1), 36),
        Entry(date(2025, 2, 1), 72),
        Entry(date(2026, 11, 1), 20),
        Entry(date(2026, 12, 1), 30),
    ]  # future: not yet
    result = progress(entries, date(2022, 3, 15), TODAY)
    assert result.zet == 36 + 18 + 36 + 72 + 20
    assert [(y.year, y.zet, y.finished) for y in result.years] == [
        (2022, 54, True),
        (2023, 36, True),
        (2024, 0, True),
        (2025, 72, True),
        (2026, 20, False),
    ]
    assert result.short_years == [2023, 2024]
    assert result.percent == (182 * 100) // CYCLE_ZET
    assert result.years[0].percent == 100 and result.years[1].short == 14


@given(
    st.lists(
        st.tuples(
            st.dates(date(2015, 1, 1), date(2030, 1, 1)), st.integers(min_value=0, max_value=500)
        ),
        max_size=30,
    )
)
def test_yearly_parts_add_up_to_the_cycle_total(raw):
    entries = [Entry(day, zet) for day, zet in raw]
    result = progress(entries, date(2022, 3, 15), TODAY)
    assert sum(y.zet for y in result.years) == result.zet
    assert 0 <= result.percent <= 100
