"""Per-factor failure counters: a growing delay from the 5th failure, disabled at the 100th."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.clock import now, now_iso


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
    row = next(
        db.query(
            "select count, last_failure_at from factor_failures where user_id = ? and factor = ?",
            [user_id, factor],
        ),
        None,
    )
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
    db.execute(
        "insert into factor_failures (user_id, factor, count, last_failure_at) values (?, ?, 1, ?) "
        "on conflict (user_id, factor) do update set count = count + 1, "
        "last_failure_at = excluded.last_failure_at",
        [user_id, factor, now_iso()],
    )
    return db.execute(
        "select count from factor_failures where user_id = ? and factor = ?", [user_id, factor]
    ).fetchone()[0]


def reset(db, user_id: int, factor: str) -> None:
    """A success ends the run of failures for this factor only."""
    db.execute("delete from factor_failures where user_id = ? and factor = ?", [user_id, factor])


def mark_notified(db, user_id: int, factor: str) -> bool:
    """Claim the right to tell the owner about this run of failures once."""
    cursor = db.execute(
        "update factor_failures set notified_at = ? where user_id = ? and factor = ? "
        "and notified_at is null",
        [now_iso(), user_id, factor],
    )
    return cursor.rowcount == 1
