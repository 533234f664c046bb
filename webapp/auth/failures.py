"""Per-factor failure counters: a growing delay from the 5th failure, disabled at the 100th."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.auth.store import failures as rows
from webapp.clock import now


def delay_after(failures: int, *, delay_from: int, max_seconds: int) -> int:
    """Seconds to wait after `failures` consecutive failures: 0 before the threshold, then
    doubling from 1 s (5th → 1 s, 6th → 2 s, …) up to the cap."""
    if failures < delay_from:
        return 0
    return min(2 ** (failures - delay_from), max_seconds)


@dataclass
class FactorState:
    """What the counter says about the next attempt."""

    count: int
    wait_seconds: int
    disabled: bool

    @property
    def blocked(self) -> bool:
        return self.disabled or self.wait_seconds > 0


def state(db, config, user_id: int, factor: str) -> FactorState:
    """Whether the user may try this factor now."""
    row = rows.get(db, user_id, factor)
    if row is None or row["count"] == 0:
        return FactorState(0, 0, False)
    count = row["count"]
    if count >= config["FAILURE_DISABLE_AT"]:
        return FactorState(count, 0, True)
    delay = delay_after(
        count,
        delay_from=config["FAILURE_DELAY_FROM"],
        max_seconds=config["FAILURE_DELAY_MAX_SECONDS"],
    )
    ready_at = datetime.fromisoformat(row["last_failure_at"]) + timedelta(seconds=delay)
    wait = max(0, int((ready_at - now()).total_seconds() + 0.999))
    return FactorState(count, wait, False)


def record_failure(db, user_id: int, factor: str) -> int:
    """Count one more failure; return the new consecutive count."""
    return rows.add(db, user_id, factor)


def reset(db, user_id: int, factor: str) -> None:
    """A success ends the run of failures for this factor only."""
    rows.clear(db, user_id, factor)


mark_notified = rows.mark_notified
