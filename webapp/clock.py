"""The one place that reads the clock, so tests can freeze it; and the time zones days are
counted in (times are stored in UTC, each person sees and counts days in their own zone)."""

import functools
import zoneinfo
from datetime import UTC, date, datetime

DEFAULT_ZONE = "Europe/Moscow"

_frozen: datetime | None = None


def now() -> datetime:
    """Current UTC time (or the frozen time in tests)."""
    return _frozen or datetime.now(UTC)


def now_iso() -> str:
    """Current UTC time as an ISO-8601 string, sortable in SQL."""
    return now().isoformat(timespec="seconds")


def freeze(moment: datetime | None) -> None:
    """Freeze (or with None, unfreeze) the clock; tests only."""
    global _frozen
    _frozen = moment


@functools.cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name this system knows (read from disk once)."""
    return frozenset(zoneinfo.available_timezones())


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The named zone; Moscow for an empty or unknown name (a stored value is checked on the
    way in, so the fallback only covers rows and dicts that carry no zone)."""
    if name not in known_zones():
        name = DEFAULT_ZONE
    return zoneinfo.ZoneInfo(name)


def local(moment: datetime, name: str | None) -> datetime:
    """A UTC moment as wall-clock time in the zone; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(name))


def today(name: str | None = None) -> date:
    """Today's date in the zone (Moscow by default): a run at 22:30 UTC is already tomorrow in
    Vladivostok."""
    return local(now(), name).date()
