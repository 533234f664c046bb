"""Applications on the job queue: the выписка after a decision, stages past their deadline."""

from datetime import timedelta

from flask import current_app
from huey import crontab

from webapp import jobs
from webapp.applications import effects, engine, overdue, store
from webapp.clock import now, today

LOST_AFTER = timedelta(minutes=2)  # a выписка not made by then lost its task


@jobs.task()
def make_extracts(db, ids: list[int]) -> int:
    """Make the выписки of these decided applications (those still without one)."""
    made = 0
    with current_app.test_request_context():  # the notice's path comes from url_for
        for application_id in ids:
            if effects.make_extract(db, application_id):
                engine.notify_result(db, application_id)
                made += 1
    return made


@jobs.periodic_task(crontab(minute="*/5"))
def sweep_extracts(db) -> int:
    """Every five minutes: enqueue the выписки whose task was lost (a queue outage)."""
    ids = store.awaiting_result(db, (now() - LOST_AFTER).isoformat(timespec="seconds"), 500)
    jobs.enqueue_in_chunks(make_extracts, ids)
    return len(ids)


@jobs.periodic_task(crontab(minute="7"))
def tell_overdue(db) -> int:
    """Tell workers and reviewers about stages that ran past their deadline (once each)."""
    with current_app.test_request_context():  # the notices' paths come from url_for
        return overdue.run(db, today()).told  # the accreditation body's day (Moscow)
