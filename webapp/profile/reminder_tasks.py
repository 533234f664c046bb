"""Reminders on the job queue: a periodic tick cuts the workers into batches, and each batch
is one task (`reminder_runner.run_once` for a range of ids), so many consumers share the work and
a retried or duplicated batch claims nothing twice."""

from datetime import date

from huey import crontab

from webapp import jobs
from webapp.profile import reminder_runner
from webapp.profile.store import reminders as rows

BATCH = 1000  # workers per batch task


@jobs.task()
def remind_batch(db, first: int, last: int, today: str | None = None) -> int:
    """Claim and queue the reminders due to workers with ids first…last; returns how many."""
    day = date.fromisoformat(today) if today else None
    return reminder_runner.run_once(db, day, users=(first, last)).sent


def fan_out(db, today: date | None = None) -> int:
    """Enqueue one batch task per BATCH active workers; returns how many batches."""
    bounds = rows.worker_id_bounds(db, BATCH)
    day = today.isoformat() if today else None
    for first, last in bounds:
        remind_batch(first, last, day)
    return len(bounds)


@jobs.periodic_task(crontab(minute="*/15"))
def remind(db) -> int:
    """Every 15 minutes: what fell due since (each worker's day turns at their own midnight)."""
    return fan_out(db)
