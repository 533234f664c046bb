"""Стаж from employment periods: overlaps counted once, open periods run to today.

Each merged period is measured in whole calendar years, months and days (the last day
included); the periods' parts are then added up and, as record-of-service rules do, every 30
days over make a month and every 12 months a year.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from webapp.profile.readiness import shift_months


@dataclass(frozen=True)
class Span:
    """Years, months and days of service."""

    years: int
    months: int
    days: int

    @classmethod
    def from_parts(cls, years: int, months: int, days: int) -> "Span":
        """Carry days over 30 into months and months over 12 into years."""
        extra_months, days = divmod(days, 30)
        extra_years, months = divmod(months + extra_months, 12)
        return cls(years + extra_years, months, days)

    @classmethod
    def of_period(cls, start: date, end: date) -> "Span":
        """Whole calendar years, months and days from start to end, both days included."""
        after = end + timedelta(days=1)
        months = (after.year - start.year) * 12 + after.month - start.month
        if shift_months(start, months) > after:
            months -= 1
        days = (after - shift_months(start, months)).days
        return cls(months // 12, months % 12, days)

    @classmethod
    def total_of(cls, periods: Iterable[tuple[date, date]]) -> "Span":
        """The sum of several periods' spans."""
        parts = [cls.of_period(start, end) for start, end in periods]
        return cls.from_parts(
            sum(p.years for p in parts), sum(p.months for p in parts), sum(p.days for p in parts)
        )

    def __str__(self) -> str:
        return f"{self.years} л. {self.months} мес. {self.days} дн."


def merge(periods: Iterable[tuple[date, date | None]], today: date) -> list[tuple[date, date]]:
    """Inclusive periods, open ones ended today, future parts cut off, overlaps joined."""
    closed = []
    for start, end in periods:
        end = min(end or today, today)
        if start <= end:
            closed.append((start, end))
    closed.sort()
    merged: list[tuple[date, date]] = []
    for start, end in closed:
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def days_of(periods: Iterable[tuple[date, date | None]], today: date) -> int:
    """Calendar days covered by at least one period."""
    return sum((end - start).days + 1 for start, end in merge(periods, today))


@dataclass(frozen=True)
class Seniority:
    """Total стаж, стаж per specialty, and the merged periods that make up the total."""

    total: Span
    total_days: int
    by_specialty: dict[str, Span]
    periods: list[tuple[date, date]]


def seniority(jobs: Iterable[dict], today: date) -> Seniority:
    """Jobs are dicts with start_date, end_date (or None) and specialty (or None)."""
    jobs = list(jobs)
    spans = [(job["start_date"], job["end_date"]) for job in jobs]
    specialties = sorted({job["specialty"] for job in jobs if job.get("specialty")})
    by_specialty = {
        name: Span.total_of(
            merge(
                [(j["start_date"], j["end_date"]) for j in jobs if j.get("specialty") == name],
                today,
            )
        )
        for name in specialties
    }
    merged = merge(spans, today)
    return Seniority(Span.total_of(merged), days_of(spans, today), by_specialty, merged)
