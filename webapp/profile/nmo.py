"""НМО progress: a five-year cycle per specialty from the admission document's date, 250 ЗЕТ per
cycle and 50 per calendar year (1 ЗЕТ = 1 academic hour)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from webapp.profile.readiness import shift_months

CYCLE_ZET = 250
YEAR_ZET = 50
CYCLE_YEARS = 5


@dataclass(frozen=True)
class Entry:
    """One НМО element: ПК course, event or interactive module."""

    day: date
    zet: int


@dataclass(frozen=True)
class Year:
    """A calendar year inside the cycle."""

    year: int
    zet: int
    finished: bool

    @property
    def percent(self) -> int:
        return min(100, self.zet * 100 // YEAR_ZET)

    @property
    def short(self) -> int:
        return max(0, YEAR_ZET - self.zet)


@dataclass(frozen=True)
class Progress:
    """Where the worker stands in the current cycle."""

    start: date
    end: date
    zet: int
    years: list[Year]

    @property
    def percent(self) -> int:
        return min(100, self.zet * 100 // CYCLE_ZET)

    @property
    def short_years(self) -> list[int]:
        return [y.year for y in self.years if y.finished and y.short]


def cycle(admitted: date) -> tuple[date, date]:
    """First and last day of the five-year cycle that starts on the admission date."""
    return admitted, shift_months(admitted, 12 * CYCLE_YEARS) - timedelta(days=1)


def progress(entries: Iterable[Entry], admitted: date, today: date) -> Progress:
    """ЗЕТ inside the cycle, in total and per calendar year up to today."""
    start, end = cycle(admitted)
    inside = [e for e in entries if start <= e.day <= min(end, today)]
    last_year = min(end, today).year
    years = [
        Year(
            year,
            sum(e.zet for e in inside if e.day.year == year),
            finished=year < today.year or end < today,
        )
        for year in range(start.year, last_year + 1)
    ]
    return Progress(start, end, sum(e.zet for e in inside), years)
