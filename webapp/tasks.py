"""Every module with tasks, imported by the app factory so that any process (a web worker that
enqueues, the consumer that runs them) knows them all under the same names."""

from webapp.applications import tasks as application_tasks
from webapp.notifications import tasks as notification_tasks
from webapp.profile import reminder_tasks

__all__ = ["application_tasks", "notification_tasks", "reminder_tasks"]
