"""Applications on the job queue: stages past their deadline, checked every hour."""

from flask import current_app
from huey import crontab

from webapp import jobs
from webapp.applications import overdue
from webapp.clock import now


@jobs.periodic_task(crontab(minute="7"))
def tell_overdue(db) -> int:
    """Tell workers and reviewers about stages that ran past their deadline (once each)."""
    with current_app.test_request_context():  # the notices' paths come from url_for
        return overdue.run(db, now().date()).told
