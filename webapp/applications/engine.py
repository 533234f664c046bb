"""The application engine: what a draft looks like to the rules, signing and submitting, every
other move, deadlines, notices and what approval does. It knows no kind by name: everything
kind-specific comes from `kinds.KINDS` and the effects it names."""

import hashlib
from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for

from webapp import audit
from webapp.applications import effects, readiness, signing, states, store
from webapp.applications.kinds import KINDS, STAGE_OF, Kind
from webapp.auth.store import users
from webapp.clock import now_iso
from webapp.clock import today as local_today
from webapp.documents import store as documents
from webapp.documents.types import TYPES
from webapp.links import external_url
from webapp.notifications.deliver import Notice, deliver
from webapp.profile import readiness as profile_rules
from webapp.profile import store as profile
from webapp.profile.certificates import current_certificates
from webapp.profile.store import regulator
from webapp.workdays import add_working_days, load_overrides

MoveRefused = states.MoveRefused


def storage():
    return current_app.extensions["storage"]


# What the rules see ------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A draft with everything the wizard's review step and the signature need."""

    application: dict
    kind: Kind
    attachments: list[dict]  # the picked documents that still exist, latest versions
    missing: list[int]  # picked ids that are gone (deleted in another tab)
    checks: list[readiness.Check]
    hours: list[dict]  # every ПК/ПП/НМО item the worker could pick

    @property
    def blocking(self) -> list[readiness.Check]:
        return readiness.blocking(self.checks)


def hour_items(records: dict, entries: list[dict]) -> list[dict]:
    """Education with hours and НМО entries, as items the portfolio can include."""
    items = [
        {
            "key": f"education:{row['id']}",
            "title": row["program"],
            "detail": f"{row['organization']}, {row['hours'] or 0} ч",
            "day": row["end_date"],
            "hours": row["hours"] or 0,
            "formal": row["kind"] == "pk",
        }
        for row in records.get("education", [])
        if row["kind"] in ("pk", "pp")
    ]
    items += [
        {
            "key": f"nmo:{e['id']}",
            "title": e["title"],
            "detail": f"НМО, {e['zet']} ЗЕТ",
            "day": e["day"],
            "hours": e["zet"],
            "formal": False,
            "specialty": e["specialty"],
            "element": e["element"],
        }
        for e in entries
    ]
    return sorted(items, key=lambda i: i["day"], reverse=True)


def assemble(db, application: dict, today: date) -> Draft:
    """Load what the draft refers to (a fixed number of queries) and run the kind's rules."""
    kind = KINDS[application["kind"]]
    data = application["data"]
    picked = [int(i) for i in data.get("documents", [])]
    attachments = documents.latest_versions(db, application["user_id"], picked)
    found = {a["id"] for a in attachments}
    record = profile.everything(db, application["user_id"])
    records, entries = record["records"], record["nmo"]
    items = hour_items(records, entries)
    chosen = set(data.get("hours", []))
    courses = tuple(
        profile_rules.Course(i["day"], i["hours"], i["formal"])
        for i in items
        if i["key"] in chosen and i.get("element") != "course"
    )
    specialty = (application["specialty"] or "").casefold()
    current = current_certificates(records.get("certificate", [])).get(specialty)
    mine = [e for e in entries if e["specialty"].casefold() == specialty]
    by_year: dict[int, int] = {}
    for e in mine:
        by_year[e["day"].year] = by_year.get(e["day"].year, 0) + e["zet"]
    facts = readiness.Facts(
        kind=kind,
        today=today,
        expires=current["valid_until"] if current else None,
        courses=courses,
        nmo_zet_cycle=sum(e["zet"] for e in mine if current and e["day"] >= current["issued_on"]),
        nmo_zet_by_year=by_year,
        attachments=tuple(
            {
                "doc_type": a["doc_type"],
                "title": a["title"] or TYPES[a["doc_type"]].title,
                "size": a["size"],
                "mime": a["mime"],
            }
            for a in attachments
        ),
        fields=data.get("fields", {}),
        record_title=record_title(db, application["user_id"], data.get("record")),
    )
    return Draft(
        application,
        kind,
        attachments,
        [i for i in picked if i not in found],
        readiness.evaluate(facts),
        items,
    )


def file_bytes(attachments: list[dict]) -> list[tuple[dict, bytes]]:
    """Each attachment's decrypted bytes (≤ 10 MB in all: the rules saw to that)."""
    return [(a, storage().get(a["file_key"])) for a in attachments]


def signed_form(db, draft: Draft) -> tuple[str, list[dict], list[bytes]]:
    """The hash to sign now, the attachment facts it covers, and their bytes."""
    pairs = file_bytes(draft.attachments)
    facts = [
        {
            "doc_type": a["doc_type"],
            "title": a["title"] or TYPES[a["doc_type"]].title,
            "sha256": hashlib.sha256(body).hexdigest(),
            "size": len(body),
            "document_id": a["id"],
            "version": a["version"],
            "mime": a["mime"],
            "pages": a["pages"],
        }
        for a, body in pairs
    ]
    applicant = users.get_row(db, draft.application["user_id"])
    form = signing.canonical(draft.application, applicant, facts)
    return signing.digest(form), facts, [body for _, body in pairs]


def record_title(db, user_id: int, reference: str | None, missing: str | None = None):
    """The title of the record a confirmation is about («education:12»), or `missing`."""
    if not reference:
        return missing
    kind_name, _, record_id = str(reference).partition(":")
    return next(
        (
            r["title"]
            for r in regulator.confirmable(db, user_id)
            if r["kind"] == kind_name and str(r["id"]) == record_id
        ),
        missing,
    )


def audit_look(db, application: dict, action: str, file_title: str | None = None) -> None:
    """Someone other than the applicant looked at the application or one of its files: a row
    for the worker's «Журнал доступа»."""
    details = {"number": application["number"]}
    if file_title:
        details["file"] = file_title
    audit.record(
        db,
        action,
        subject_user_id=application["user_id"],
        object_type="application",
        object_id=application["id"],
        details=details,
    )


# Moves ----------------------------------------------------------------------------------------


def _deadline(db, kind: Kind, application: dict, target: str, today: date):
    """(stage_started, stage_deadline) after entering `target`: a new stage starts its clock,
    a state within the same stage keeps it, a state outside any stage has none."""
    stage = STAGE_OF.get(target)
    if stage is None or stage not in kind.stages:
        return None, None
    if STAGE_OF.get(application["state"]) == stage and application["stage_deadline"]:
        return application["stage_started"], application["stage_deadline"]
    days = kind.stages[stage][1]
    return today.isoformat(), add_working_days(today, days, load_overrides(db))


def submit(db, application: dict, user, *, expected: str, factor: str, evidence: dict) -> str:
    """Sign and send a draft (or a returned application): the hash must still be `expected`.

    Returns the number. Raises MoveRefused with a Russian reason; nothing changes then.
    """
    kind = KINDS[application["kind"]]
    action = "resubmit" if application["state"] == "returned" else "submit"
    target = states.target(application["state"], action, "worker", kind.actions)
    today = _today(user)
    draft = assemble(db, application, today)
    if draft.missing:
        raise MoveRefused(
            "Один из выбранных документов удалён. Вернитесь к шагу «Документы» и выберите "
            "документы заново."
        )
    if draft.blocking:
        raise MoveRefused("Заявление не готово: " + draft.blocking[0].title.lower() + ".")
    digest, facts, bodies = signed_form(db, draft)
    if digest != expected:
        raise MoveRefused(
            "Заявление или документы изменились после начала подписания. Проверьте их и "
            "подпишите ещё раз."
        )
    keys = [storage().put(body) for body in bodies]
    try:
        with db.atomic():
            number = application["number"] or new_number(db, today.year)
            started, deadline = _deadline(db, kind, application, target, today)
            round_ = store.last_round(db, application["id"]) + 1
            moved = store.move(
                db,
                application["id"],
                source=application["state"],
                target=target,
                action=action,
                actor_id=user.id,
                actor_role="worker",
                number=number,
                signed_hash=digest,
                signed_factor=factor,
                signed_at=now_iso(),
                signature=evidence,
                submitted_at=now_iso(),
                stage_started=started,
                stage_deadline=deadline,
            )
            if not moved:
                raise MoveRefused("Заявление уже отправлено.")
            earlier = store.earlier_verdicts(db, application["id"])
            store.add_files(
                db,
                application["id"],
                round_,
                [
                    {
                        **{k: f[k] for k in ("doc_type", "title", "sha256", "size", "mime")},
                        "pages": f["pages"],
                        "document_id": f["document_id"],
                        "version": f["version"],
                        "file_key": key,
                        # A file the reviewer already accepted stays accepted.
                        "verdict": "accepted"
                        if earlier.get(f["sha256"], {}).get("verdict") == "accepted"
                        else "pending",
                    }
                    for f, key in zip(facts, keys, strict=True)
                ],
            )
            audit.record(
                db,
                f"application.{action}",
                subject_user_id=user.id,
                object_type="application",
                object_id=application["id"],
                details={"number": number, "hash": digest, "factor": factor},
            )
    except BaseException:
        for key in keys:
            storage().delete(key)
        raise
    _notify(db, {**application, "number": number, "stage_deadline": deadline}, target)
    return number


def new_number(db, year: int) -> str:
    return f"А-{year}-{store.next_number(db, year):06d}"


def _today(user) -> date:
    return local_today(getattr(user, "time_zone", None))


def move(db, application: dict, action: str, user, role: str, *, comment=None, **columns) -> str:
    """Any move but the signature: check it against the machine, compare-and-set, timeline
    row, audit, notice, and the kind's effect on a decision. Returns the new state."""
    kind = KINDS[application["kind"]]
    target = states.target(application["state"], action, role, kind.actions)
    move_rule = states.MOVES[action]
    if move_rule.needs_comment and not (comment or "").strip():
        raise MoveRefused("Напишите причину: её увидит заявитель.")
    if role == "reviewer" and not user.has_role(kind.handler):
        raise MoveRefused("Это заявление рассматривают другие сотрудники.")
    if role == "reviewer" and action != "take" and application["assignee_id"] != user.id:
        raise MoveRefused("Заявление в работе у другого эксперта.")
    if move_rule.needs_accepted_files:
        unchecked = [
            f["title"] for f in store.files(db, application["id"]) if f["verdict"] != "accepted"
        ]
        if unchecked:
            raise MoveRefused(
                "Сначала примите все документы или верните заявление на доработку. "
                "Не приняты: " + ", ".join(unchecked) + "."
            )
    today = _today(user)
    started, deadline = _deadline(db, kind, application, target, today)
    extra = dict(columns)
    if action == "take":
        extra["assignee_id"] = user.id
    with db.atomic():
        moved = store.move(
            db,
            application["id"],
            source=application["state"],
            target=target,
            action=action,
            actor_id=user.id,
            actor_role=role,
            comment=(comment or "").strip() or None,
            expect_assignee=None if action == "take" else application["assignee_id"],
            stage_started=started,
            stage_deadline=deadline,
            **extra,
        )
        if not moved:
            raise MoveRefused(
                "Заявление уже изменилось (его взял другой эксперт или изменил заявитель). "
                "Обновите страницу."
            )
        audit.record(
            db,
            f"application.{action}",
            subject_user_id=application["user_id"],
            object_type="application",
            object_id=application["id"],
            details={"number": application["number"], "comment": comment} if comment else None,
        )
        updated = store.get(db, application["id"])
        if target in ("passed", "confirmed", "refused") and kind.on_approval:
            effects.EFFECTS[kind.on_approval](db, updated, kind, approved=target != "refused")
    if target == "passed" and kind.result_document:
        return target  # told when the выписка is ready: `notify_result`
    _notify(db, store.get(db, application["id"]), target, comment)
    return target


def notify_result(db, application_id: int) -> None:
    """The worker's notice of a decision whose выписка has just been made («Выписка готова»)."""
    _notify(db, store.get(db, application_id), "passed")


# Notices --------------------------------------------------------------------------------------

NOTICES = {
    "submitted": ("Заявление принято", "Заявление {number} принято и ждёт регистрации."),
    "registered": (
        "Заявление зарегистрировано",
        "Заявление {number} зарегистрировано. Проверка документов — до {deadline}.",
    ),
    "under_check": ("Документы проверяются", "Эксперт проверяет документы заявления {number}."),
    "returned": (
        "Заявление возвращено на доработку",
        "Заявление {number} вернули на доработку: {comment} Исправьте и отправьте повторно.",
    ),
    "forwarded": (
        "Заявление передано в комиссию",
        "Документы по заявлению {number} проверены. Комиссия рассмотрит его до {deadline}.",
    ),
    "under_review": ("Комиссия рассматривает заявление", "Заявление {number} на рассмотрении."),
    "passed": (
        "Аккредитация пройдена",
        "По заявлению {number} принято решение: аккредитация пройдена. Выписка готова.",
    ),
    "not_passed": (
        "Аккредитация не пройдена",
        "По заявлению {number} принято решение: аккредитация не пройдена. {comment}",
    ),
    "confirmed": ("Запись подтверждена", "По заявлению {number} запись профиля подтверждена."),
    "refused": ("В подтверждении отказано", "По заявлению {number} отказано: {comment}"),
    "withdrawn": ("Заявление отозвано", "Заявление {number} отозвано."),
}


def _notify(db, application: dict, target: str, comment: str | None = None) -> None:
    title, body = NOTICES[target]
    deadline = application.get("stage_deadline")
    text = body.format(
        number=application["number"],
        deadline=f"{deadline:%d.%m.%Y}" if isinstance(deadline, date) else deadline or "—",
        comment=(comment or "").strip(),
    ).strip()
    path = url_for("applications.show", application_id=application["id"])
    link = external_url("applications.show", application_id=application["id"])
    worker = dict(users.get_row(db, application["user_id"]))
    # The contacts and channels the worker gave for this application (its contacts step).
    contacts = (application.get("data") or {}).get("contacts") or {}
    channels = None
    if contacts:
        worker.update({k: contacts[k] for k in ("phone", "email") if contacts.get(k)})
        channels = [
            c
            for c, on in (("email", contacts.get("by_email")), ("sms", contacts.get("by_sms")))
            if on
        ]
    deliver(db, worker, Notice("applications", title, text, link=link, path=path), channels)
