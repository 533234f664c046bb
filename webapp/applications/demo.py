"""Demo applications for `flask seed-demo`: the demo worker's in several states (one passed, with
its signed выписка) and a queue for the demo reviewer. Everything goes through the engine's own
moves, so the timeline, notices and effects are the real ones."""

import hashlib
from datetime import timedelta

from flask import current_app

from webapp.applications import engine, report, states, store
from webapp.auth.store import users
from webapp.clock import now_iso, today


class _Actor:
    """Who makes a demo move: enough of a signed-in user for the engine."""

    def __init__(self, user_id: int, roles: tuple[str, ...]):
        self.id = user_id
        self.time_zone = None
        self._roles = roles

    def has_role(self, role: str) -> bool:
        return role in self._roles


def _sample_pdf(title: str, person: dict) -> bytes:
    return report.render(
        report.Report(
            full_name=f"{person['surname']} {person['name']} {person['patronymic'] or ''}".strip(),
            specialty="",
            workplace="ГБУЗ «Городская поликлиника № 5 ДЗМ»",
            position="Врач",
            period="2021–2026",
            duties=title,
            achievements=None,
            proposals=None,
            written_on=today(),
        )
    )


def _submitted(db, user_id: int, kind: str, specialty, region: str, files, data=None) -> dict:
    """A signed-and-sent application (the demo skips the ceremony, not the move)."""
    person = users.get_row(db, user_id)
    application_id = store.create_draft(db, user_id, kind, specialty, data or {})
    store.save_draft(db, application_id, data or {}, 1, region=region)
    storage = current_app.extensions["storage"]
    attached = []
    for doc_type, title in files:
        body = _sample_pdf(title, person)
        attached.append(
            {
                "doc_type": doc_type,
                "title": title,
                "file_key": storage.put(body),
                "mime": "application/pdf",
                "pages": 1,
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
        )
    with db.atomic():
        number = engine.new_number(db, today().year)
        store.move(
            db,
            application_id,
            source="draft",
            target="submitted",
            action="submit",
            actor_id=user_id,
            actor_role="worker",
            number=number,
            signed_hash=hashlib.sha256(number.encode()).hexdigest(),
            signed_factor="sms",
            signed_at=now_iso(),
            signature={"factor": "sms", "demo": True},
            submitted_at=now_iso(),
            stage_started=today().isoformat(),
            stage_deadline=today() + timedelta(days=3),
        )
        store.add_files(db, application_id, 1, attached)
    return store.get(db, application_id)


def _moves(db, application: dict, reviewer, actions, **last_columns) -> dict:
    for index, action in enumerate(actions):
        columns = last_columns if index == len(actions) - 1 else {}
        if states.MOVES[action].needs_accepted_files:
            for f in store.files(db, application["id"]):
                store.set_verdict(db, f["id"], "accepted", None, reviewer.id)
        engine.move(db, application, action, reviewer, "reviewer", **columns)
        application = store.get(db, application["id"])
    return application


def seed(db, worker_id: int, reviewer_id: int, applicants: list[int]) -> None:
    """The demo worker: a passed primary specialised accreditation with its выписка and a
    qualification check in progress; other applicants fill the reviewer's queue."""
    reviewer = _Actor(reviewer_id, ("reviewer",))
    passed = _submitted(
        db,
        worker_id,
        "primary_special",
        "Функциональная диагностика",
        "Москва",
        [("diploma", "Диплом врача"), ("pp_diploma", "Диплом о профессиональной переподготовке")],
    )
    _moves(
        db,
        passed,
        reviewer,
        ["take", "check", "forward", "review", "pass"],
        decision_protocol="47/2026",
        decision_date=today() - timedelta(days=2),
    )
    checking = _submitted(
        db,
        worker_id,
        "qualification",
        None,
        "Москва",
        [("pk_certificate", "Удостоверение о ПК")],
        data={"record": None},
    )
    _moves(db, checking, reviewer, ["take", "check"])
    kinds = ("periodic", "primary_special", "primary", "periodic", "qualification")
    regions = ("Москва", "Московская область", "Санкт-Петербург", "Республика Татарстан")
    specialties = ("Терапия", "Педиатрия", "Сестринское дело", "Хирургия", "Неврология")
    for index, applicant in enumerate(applicants):
        kind = kinds[index % len(kinds)]
        application = _submitted(
            db,
            applicant,
            kind,
            None if kind == "qualification" else specialties[index % len(specialties)],
            regions[index % len(regions)],
            [("activity_report", "Отчёт о профессиональной деятельности")],
        )
        if index % 3 == 1:
            _moves(db, application, reviewer, ["take", "check"])
        elif index % 3 == 2:
            _moves(db, application, reviewer, ["take", "check", "forward"])
