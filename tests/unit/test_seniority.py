"""Стаж: overlaps once, open periods to today, 30 days a month, 12 months a year."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from webapp.profile.seniority import Span, days_of, merge, seniority

TODAY = date(2026, 11, 23)


def test_two_overlapping_jobs_count_once():
    jobs = [
        {"start_date": date(2020, 1, 1), "end_date": date(2020, 12, 31), "specialty": "Терапия"},
        {"start_date": date(2020, 7, 1), "end_date": date(2021, 6, 30), "specialty": "Терапия"},
    ]
    result = seniority(jobs, TODAY)
    assert result.total_days == (date(2021, 6, 30) - date(2020, 1, 1)).days + 1  # 547
    assert result.total == Span(1, 6, 0)
    assert result.periods == [(date(2020, 1, 1), date(2021, 6, 30))]


def test_open_period_runs_to_today_and_future_is_cut():
    assert days_of([(date(2026, 11, 1), None)], TODAY) == 23
    assert days_of([(date(2026, 11, 20), date(2027, 1, 1))], TODAY) == 4
    assert days_of([(date(2027, 1, 1), None)], TODAY) == 0


def test_adjacent_periods_join_and_gaps_do_not_count():
    assert merge(
        [(date(2020, 1, 1), date(2020, 1, 31)), (date(2020, 2, 1), date(2020, 2, 10))], TODAY
    ) == [(date(2020, 1, 1), date(2020, 2, 10))]
    assert (
        days_of(
            [(date(2020, 1, 1), date(2020, 1, 10)), (date(2020, 1, 21), date(2020, 1, 30))], TODAY
        )
        == 20
    )


def test_per_specialty():
    jobs = [
        {"start_date": date(2015, 1, 1), "end_date": date(2016, 12, 25), "specialty": "Хирургия"},
        {"start_date": date(2016, 1, 1), "end_date": None, "specialty": "Онкология"},
    ]
    result = seniority(jobs, TODAY)
    assert set(result.by_specialty) == {"Хирургия", "Онкология"}
    assert result.by_specialty["Хирургия"] == Span(1, 11, 25)
    assert result.by_specialty["Онкология"] == Span(10, 10, 23)
    assert str(Span(3, 2, 1)) == "3 л. 2 мес. 1 дн."


periods = st.lists(
    st.tuples(
        st.dates(date(1990, 1, 1), date(2030, 1, 1)),
        st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2030, 1, 1))),
    ),
    max_size=8,
)


@given(periods)
def test_days_equal_the_size_of_the_union(spans):
    covered = set()
    for start, end in spans:
        end = min(end or TODAY, TODAY)
        day = start
        while day <= end:
            covered.add(day)
            day += timedelta(days=1)
    assert days_of(spans, TODAY) == len(covered)


def test_calendar_spans_are_counted_like_a_record_of_service():
    assert Span.of_period(date(2019, 9, 1), date(2026, 11, 23)) == Span(7, 2, 23)
    assert Span.of_period(date(2020, 1, 15), date(2020, 2, 14)) == Span(0, 1, 0)
    assert Span.of_period(date(2024, 3, 1), date(2024, 3, 1)) == Span(0, 0, 1)
    # 20 days + 15 days carry into a month; 11 months + 1 month into a year
    assert Span.total_of(
        [(date(2020, 1, 1), date(2020, 1, 20)), (date(2020, 3, 1), date(2020, 3, 15))]
    ) == Span(0, 1, 5)
    assert Span.from_parts(0, 11, 31) == Span(1, 0, 1)


@given(periods)
def test_span_is_normalised_and_close_to_the_day_count(spans):
    merged = merge(spans, TODAY)
    span = Span.total_of(merged)
    assert 0 <= span.months < 12 and 0 <= span.days < 30
    approx = span.years * 365.25 + span.months * 30.44 + span.days
    assert abs(approx - days_of(spans, TODAY)) <= 3 + 2 * len(merged)  # months are 28–31 days
