"""The Russian production calendar: working days for deadlines («не более 20 рабочих дней»).

Public holidays, the days off moved by the Government's decrees and the weekend days those
decrees make working come from the `holidays` package (RU). The table `calendar_overrides`
corrects or completes it, and wins: 'holiday' is an extra day off, 'workday' a weekend day
worked, 'short' a shortened pre-holiday day (a working day like any other for deadlines).
Its SQL lives here (load_overrides, set_override, delete_override); the rest is pure.
"""

import functools
import time
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal

import holidays

Kind = Literal["holiday", "workday", "short"]

_DAY = timedelta(days=1)


@functools.lru_cache(maxsize=32)
def _days_off(year: int) -> frozenset[date]:
    """The year's non-working days by the package: weekends not worked, holidays, moved days
    off. The neighbouring years are loaded too, as a transfer may cross the new year."""
    calendar = holidays.country_holidays("RU", years=range(year - 1, year + 2))
    first = date(year, 1, 1)
    days = (first + timedelta(days=n) for n in range(date(year, 12, 31).timetuple().tm_yday))
    return frozenset(day for day in days if not calendar.is_working_day(day))


def is_working_day(day: date, overrides: Mapping[date, str]) -> bool:
    """Whether `day` is worked: its override decides, else the package's calendar."""
    kind = overrides.get(day)
    if kind is not None:
        return kind != "holiday"
    return day not in _days_off(day.year)


def add_working_days(start: date, count: int, overrides: Mapping[date, str]) -> date:
    """The deadline: the `count`-th working day after `start` (not counted itself); 0 → start."""
    if count < 0:
        raise ValueError(f"count must not be negative: {count}")
    day = start
    while count:
        day += _DAY
        if is_working_day(day, overrides):
            count -= 1
    return day


def working_days_between(start: date, end: date, overrides: Mapping[date, str]) -> int:
    """Working days in (start, end]; when `end` is earlier, minus those in (end, start].

    From today to a deadline: «осталось N рабочих дней», or «просрочено на N» when negative.
    """
    if end < start:
        return -working_days_between(end, start, overrides)
    count = 0
    day = start
    while day < end:
        day += _DAY
        count += is_working_day(day, overrides)
    return count


OVERRIDES_TTL_SECONDS = 60  # a change made by another process (the CLI) shows within this
_loaded: dict[str, tuple[float, dict[date, str]]] = {}  # database file → (when, overrides)


def _database(db) -> str:
    return getattr(db, "path", None) or db.execute("pragma database_list").fetchone()[2]


def load_overrides(db) -> dict[date, str]:
    """Every override: day → kind. The table changes a few times a year: it is read at most
    once a minute per process (and at once after a change made here)."""
    key = _database(db)
    loaded = _loaded.get(key)
    if loaded and time.monotonic() - loaded[0] < OVERRIDES_TTL_SECONDS:
        return loaded[1]
    overrides = {
        date.fromisoformat(row["day"]): row["kind"]
        for row in db.query("select day, kind from calendar_overrides")
    }
    _loaded[key] = (time.monotonic(), overrides)
    return overrides


def set_override(db, day: date, kind: Kind, note: str | None) -> None:
    """Add the override for `day`, or replace its kind and note."""
    db.execute(
        "insert into calendar_overrides (day, kind, note) values (?, ?, ?) "
        "on conflict (day) do update set kind = excluded.kind, note = excluded.note",
        [day.isoformat(), kind, note],
    )
    _loaded.pop(_database(db), None)


def delete_override(db, day: date) -> None:
    """Remove the override for `day`: the package's calendar decides it again."""
    db.execute("delete from calendar_overrides where day = ?", [day.isoformat()])
    _loaded.pop(_database(db), None)
