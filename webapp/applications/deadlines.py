"""What an application's current stage deadline means today, for the worker's and the reviewer's
pages alike."""

from datetime import date

from webapp.applications.kinds import KINDS, STAGE_OF, STAGES
from webapp.workdays import working_days_between


def deadline_facts(application: dict, day: date, overrides) -> dict | None:
    """The current stage, its deadline and the working days left (negative: overdue); None when
    the application waits on no stage's clock."""
    stage = STAGE_OF.get(application["state"])
    deadline = application.get("stage_deadline")
    if stage is None or not deadline:
        return None
    title = KINDS[application["kind"]].stages.get(stage, STAGES[stage])[0]
    left = working_days_between(day, deadline, overrides)
    return {"stage": title, "deadline": deadline, "left": left, "overdue": left < 0}
