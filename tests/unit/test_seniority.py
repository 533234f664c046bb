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
    assert result.total == Span(1, 6, 7)
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
    assert result.by_specialty["Хирургия"] == Span.from_days(725)
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


@given(st.integers(min_value=0, max_value=40_000))
def test_span_round_trips_days(total):
    span = Span.from_days(total)
    assert span.years * 360 + span.months * 30 + span.days == total
    assert 0 <= span.months < 12 and 0 <= span.days < 30
