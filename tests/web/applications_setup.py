"""Shared setup for the applications tests: a worker ready for periodic accreditation, with the
documents a portfolio needs, uploaded through the real upload route."""

import hashlib
import io
import re
import uuid
from datetime import timedelta

from tests.conftest import PASSWORD, code_from, create_active_user, csrf_from, post_form
from tests.fixtures.make_fixtures import ensure_fixtures
from webapp import clock
from webapp.applications import store
from webapp.clock import now_iso
from webapp.db import connect

PDF = ensure_fixtures()["plain.pdf"].read_bytes()  # generated on first use (git-ignored)
JSON = {"Accept": "application/json"}


def upload(client, doc_type: str, body: bytes = PDF, name: str = "scan.pdf") -> int:
    token = csrf_from(client.get("/documents/new").get_data(as_text=True))
    response = client.post(
        "/documents/upload",
        data={"csrf_token": token, "doc_type": doc_type, "pages": [(io.BytesIO(body), name)]},
        headers={**JSON, "Idempotency-Key": str(uuid.uuid4())},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def ready_worker(app, *, n=1, expires_in_days=120) -> int:
    """A worker whose accreditation in «Терапия» ends soon, with 150 h of ПК in 5 years."""
    user_id = create_active_user(app, n=n)
    db = connect(app.config["DATABASE"])
    stamp = "2026-01-01T00:00:00+00:00"
    today = clock.today()
    db["certificates"].insert(
        {
            "user_id": user_id,
            "kind": "periodic",
            "specialty": "Терапия",
            "number": "7722 000001",
            "issued_on": (today - timedelta(days=5 * 365 - expires_in_days)).isoformat(),
            "valid_until": (today + timedelta(days=expires_in_days)).isoformat(),
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    db["educations"].insert(
        {
            "user_id": user_id,
            "kind": "pk",
            "organization": "РМАНПО",
            "program": "Актуальные вопросы терапии",
            "end_date": (today - timedelta(days=400)).isoformat(),
            "doc_number": "180000123456",
            "hours": 150,
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    db.close()
    return user_id


def login(client, n=1):
    response = post_form(client, "/login", {"login": f"+7912{n:07d}", "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]


def start_periodic(client) -> int:
    """Create the draft through «Подать заявление»; returns its id."""
    response = post_form(client, "/applications/new", {"kind": "periodic", "specialty": "Терапия"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(re.search(r"/applications/(\d+)/step/", response.headers["Location"]).group(1))


def revision(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="revision"[^>]*value="(\d+)"', html).group(1)


def save_step(client, application_id: int, step: str, data: dict, *, autosave=False):
    url = f"/applications/{application_id}/step/{step}"
    html = client.get(url).get_data(as_text=True)
    rev = re.search(r'name="revision"[^>]*value="(\d+)"', html).group(1)
    target = url + ("?autosave=1" if autosave else "")
    return client.post(target, data={**data, "revision": rev, "csrf_token": csrf_from(html)})


def fill_periodic(client, application_id: int, documents: list[int]) -> None:
    assert (
        save_step(
            client,
            application_id,
            "contacts",
            {
                "phone": "+79120000001",
                "email": "user1@example.ru",
                "region": "Москва",
                "by_email": "y",
            },
        ).status_code
        == 303
    )
    html = client.get(f"/applications/{application_id}/step/details").get_data(as_text=True)
    hours = re.findall(r'name="hours" value="([^"]+)"', html)
    assert (
        save_step(
            client, application_id, "details", {"employer_agreed": "yes", "hours": hours}
        ).status_code
        == 303
    )
    assert (
        save_step(
            client, application_id, "documents", {"documents": [str(d) for d in documents]}
        ).status_code
        == 303
    )


def digest_on_review(client, application_id: int) -> str:
    html = client.get(f"/applications/{application_id}/step/review").get_data(as_text=True)
    match = re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', html) or re.search(
        r'id="digest" name="digest" type="hidden" value="([0-9a-f]{64})"', html
    )
    assert match, html[-3000:]
    return match.group(1)


def sign_with_sms(client, app, application_id: int, digest: str):
    page = f"/applications/{application_id}/step/review"
    sent = post_form(
        client, f"/applications/{application_id}/sign/sms/send", {"digest": digest}, page=page
    )
    assert sent.status_code == 303
    db = connect(app.config["DATABASE"])
    body = next(db.query("select body from dev_outbox where channel = 'sms' order by id desc"))
    db.close()
    assert digest[:8] in body["body"]
    return post_form(
        client,
        f"/applications/{application_id}/sign/sms",
        {"digest": digest, "code": code_from(body["body"])},
        page=page,
    )


def add_submitted(
    db,
    storage,
    user_id: int,
    *,
    kind="periodic",
    specialty="Терапия",
    region="Москва",
    number=None,
    deadline=None,
    assignee_id=None,
    document_id=None,
    files=1,
    data=None,
) -> int:
    """A submitted application made through the store (the signature ceremony is the wizard's
    own tests' business), with `files` attached copies of the 2-page fixture PDF."""
    deadline = deadline or clock.today() + timedelta(days=3)
    with db.atomic():
        application_id = store.create_draft(
            db, user_id, kind, specialty, data or {"contacts": {"phone": "+79991234567"}}
        )
        store.update(db, application_id, state="draft", region=region)
        assert store.move(
            db,
            application_id,
            source="draft",
            target="submitted",
            action="submit",
            actor_id=user_id,
            actor_role="worker",
            number=number or f"А-2026-{application_id:06d}",
            submitted_at=now_iso(),
            signed_hash="0" * 64,
            signed_factor="sms",
            signed_at=now_iso(),
            stage_started=clock.today().isoformat(),
            stage_deadline=deadline,
            assignee_id=assignee_id,
        )
        key = storage.put(PDF)
        store.add_files(
            db,
            application_id,
            1,
            [
                {
                    "doc_type": "diploma" if i == 0 else "other",
                    "title": "Диплом" if i == 0 else f"Документ {i}",
                    "file_key": key,
                    "mime": "application/pdf",
                    "pages": 2,
                    "size": len(PDF),
                    "sha256": hashlib.sha256(PDF).hexdigest(),
                    "document_id": document_id if i == 0 else None,
                    "version": 1 if document_id and i == 0 else None,
                }
                for i in range(files)
            ],
        )
    return application_id
