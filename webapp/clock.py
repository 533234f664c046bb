"""The one place that reads the clock, so tests can freeze it."""

from datetime import UTC, datetime

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
