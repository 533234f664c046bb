"""Стаж from employment periods: overlaps counted once, open periods run to today.

Days are turned into years, months and days the way Russian record-of-service rules do it:
every 30 days make a month and every 12 months a year.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Span:
    """Years, months and days of service."""

    years: int
    months: int
    days: int

    @classmethod
    def from_days(cls, total: int) -> "Span":
        months, days = divmod(total, 30)
        years, months = divmod(months, 12)
        return cls(years, months, days)

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
        name: Span.from_days(
            days_of(
                [(j["start_date"], j["end_date"]) for j in jobs if j.get("specialty") == name],
                today,
            )
        )
        for name in specialties
    }
    total = days_of(spans, today)
    return Seniority(Span.from_days(total), total, by_specialty, merge(spans, today))
