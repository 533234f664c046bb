"""Stages past their deadline: the worker is told what to do and whom to contact, the assigned
reviewer is told to act; each once per stage (claimed like reminders), run by `flask reminders`."""

import os
import socket
from dataclasses import dataclass
from datetime import date

from flask import url_for

from webapp.applications import store
from webapp.applications.kinds import STAGE_OF, STAGES
from webapp.auth.store import users
from webapp.links import external_url
from webapp.notifications.deliver import Notice, deliver
from webapp.profile.store import reminders as claims


@dataclass(frozen=True)
class Report:
    overdue: int
    told: int


def run(db, today: date) -> Report:
    """Tell the worker and the assignee about every stage that ran past its deadline."""
    runner = f"{socket.gethostname()}:{os.getpid()}"
    rows = store.overdue(db, today)
    told = 0
    for row in rows:
        stage = STAGES[STAGE_OF[row["state"]]][0]
        deadline = date.fromisoformat(row["stage_deadline"])
        link = external_url("applications.show", application_id=row["id"])
        path = url_for("applications.show", application_id=row["id"])
        notices = [
            (
                row["user_id"],
                Notice(
                    "applications",
                    f"Заявление {row['number']}: срок этапа прошёл",
                    f"Этап «{stage}» должен был закончиться {deadline:%d.%m.%Y}. Ничего делать "
                    "не нужно: заявление не потеряется. Если ответа нет больше недели, "
                    "позвоните в аккредитационный центр своего региона или на горячую линию "
                    f"Методического центра аккредитации 8 800 550-99-03, назовите номер "
                    f"{row['number']}.",
                    link=link,
                    path=path,
                ),
            )
        ]
        if row["assignee_id"]:
            review = url_for("review.show", application_id=row["id"])
            notices.append(
                (
                    row["assignee_id"],
                    Notice(
                        "applications",
                        f"Просрочено: {row['number']}",
                        f"Этап «{stage}» по заявлению {row['number']} должен был закончиться "
                        f"{deadline:%d.%m.%Y}. Примите решение или передайте заявление дальше.",
                        link=external_url("review.show", application_id=row["id"]),
                        path=review,
                    ),
                )
            )
        for user_id, notice in notices:
            key = f"overdue:{row['id']}:{row['state']}:{row['stage_deadline']}"
            with db.atomic():
                claim = claims.claim(db, user_id, key, deadline, runner)
            if claim is None:
                continue
            deliver(db, users.get_row(db, user_id), notice)
            claims.finish(db, claim, None)
            told += 1
    return Report(len(rows), told)
