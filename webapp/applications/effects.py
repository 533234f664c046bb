"""What a decision does, named by kinds (`Kind.on_approval`): the engine calls
`EFFECTS[name](db, application, kind, approved=...)` inside the decision's transaction; the
выписка is made afterwards by the job queue (`make_extract`)."""

import hashlib
import secrets
from datetime import date
from pathlib import Path

from flask import current_app

from webapp import jobs
from webapp.applications import extract, signature, store
from webapp.applications.kinds import KINDS
from webapp.auth.store import users
from webapp.clock import now
from webapp.links import external_url
from webapp.profile.readiness import shift_months
from webapp.profile.store import regulator


def valid_until(decided_on: date, years: int) -> date:
    """The last day of an accreditation granted on `decided_on` for `years`."""
    return date.fromordinal(shift_months(decided_on, 12 * years).toordinal() - 1)


def accreditation(db, application: dict, kind, *, approved: bool) -> None:
    """A verified accreditation in the worker's record, and its signed выписка."""
    if not approved:
        return
    decided = application["decision_date"]
    until = valid_until(decided, kind.valid_years)
    record_id = regulator.add_accreditation(
        db,
        application["user_id"],
        kind=application["kind"],
        specialty=application["specialty"],
        number=application["number"],
        issued_on=decided,
        valid_until=until,
    )
    if not kind.result_document:
        store.update(db, application["id"], state=application["state"], record_id=record_id)
        return
    # The выписка itself is made by the job queue once this decision commits (rendering and
    # signing take a while, and must not hold the database's write lock): `make_extract`.
    store.update(
        db,
        application["id"],
        state=application["state"],
        record_id=record_id,
        result_token=secrets.token_urlsafe(18),
        result_valid_until=until,
    )
    from webapp.applications import tasks

    jobs.after_commit(db, tasks.make_extracts, application["id"])


def make_extract(db, application_id: int) -> bool:
    """Render, sign and store the выписка of a decided application that has none yet; then tell
    the worker. Safe to run twice at once: the one whose file is not kept deletes it. Returns
    whether this call made it."""
    application = store.get(db, application_id)
    if application is None or application["result_key"] or not application["result_token"]:
        return False
    kind = KINDS[application["kind"]]
    pdf = render_extract(
        db, application, kind, application["result_token"], application["result_valid_until"]
    )
    storage = current_app.extensions["storage"]
    key = storage.put(pdf)
    if not store.set_result(db, application_id, key, hashlib.sha256(pdf).hexdigest()):
        storage.delete(key)  # another run stored it first
        return False
    return True


def render_extract(db, application: dict, kind, token: str, until: date) -> bytes:
    """The выписка, signed by the instance's key."""
    person = users.get_row(db, application["user_id"])
    birth = person["birth_date"]
    document = extract.Extract(
        number=application["number"],
        full_name=" ".join(
            part for part in (person["surname"], person["name"], person["patronymic"]) if part
        ),
        birth_date=date.fromisoformat(birth) if isinstance(birth, str) else birth,
        kind_title=kind.title,
        specialty=application["specialty"],
        protocol_number=application["decision_protocol"],
        protocol_date=application["decision_date"],
        decided_on=application["decision_date"],
        valid_until=until,
        verify_url=external_url("check.show", token=token),
        issued_at=now(),
        issuer=current_app.config["ACCREDITATION_ISSUER"],
    )
    return signature.sign(extract.render(document), Path(current_app.instance_path))


def confirm_record(db, application: dict, kind, *, approved: bool) -> None:
    """The regulator's answer on the record the worker asked to confirm."""
    record_kind, _, record_id = str(application["data"].get("record") or "").partition(":")
    if record_kind in regulator.CONFIRMABLE and record_id.isdigit():
        comment = None if approved else _last_comment(db, application["id"])
        regulator.set_verification(
            db,
            record_kind,
            int(record_id),
            application["user_id"],
            confirmed=approved,
            reason=comment,
        )


def _last_comment(db, application_id: int) -> str | None:
    return next((e["comment"] for e in reversed(store.events(db, application_id))), None)


EFFECTS = {"accreditation": accreditation, "confirm_record": confirm_record}
