"""The worker's side of applications through the Flask test client: the wizard, signing with an
SMS code, the number, double submission, withdrawing, the list and its filters, overdue
notices, and the whole loop to a verifiable выписка."""

import io
import json
import re
import uuid
from pathlib import Path

from tests.conftest import code_from, csrf_from, post_form
from tests.web.applications_setup import (
    PDF,
    add_submitted,
    digest_on_review,
    fill_periodic,
    login,
    ready_worker,
    save_step,
    sign_with_sms,
    start_periodic,
    upload,
)
from webapp import clock
from webapp.db import connect


def rows(app, sql, params=()):
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def test_a_worker_files_and_signs_a_periodic_accreditation(app, client):
    ready_worker(app)
    login(client)
    report = upload(client, "activity_report")
    pk = upload(client, "pk_certificate")
    application_id = start_periodic(client)
    fill_periodic(client, application_id, [report, pk])
    digest = digest_on_review(client, application_id)
    response = sign_with_sms(client, app, application_id, digest)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Заявление принято" in page
    number = re.search(r"А-\d{4}-\d{6}", page).group(0)
    (row,) = rows(app, "select * from applications")
    assert row["state"] == "submitted" and row["number"] == number
    assert row["signed_hash"] == digest and row["signed_factor"] == "sms"
    files = rows(app, "select * from application_files where application_id = ?", [row["id"]])
    assert sorted(f["doc_type"] for f in files) == ["activity_report", "pk_certificate"]
    events = rows(app, "select * from application_events")
    assert [(e["from_state"], e["to_state"]) for e in events] == [("draft", "submitted")]
    assert rows(app, "select * from notifications where kind = 'applications'")


def test_a_second_signature_makes_no_second_application(app, client):
    ready_worker(app)
    login(client)
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    digest = digest_on_review(client, application_id)
    assert sign_with_sms(client, app, application_id, digest).status_code == 303
    again = post_form(
        client,
        f"/applications/{application_id}/sign/sms",
        {"digest": digest, "code": "123456"},
        page="/applications",
    )
    assert again.status_code == 303
    assert len(rows(app, "select * from applications")) == 1
    assert len(rows(app, "select * from application_events")) == 1
    assert len(rows(app, "select * from application_files")) == 2


def test_signing_a_changed_application_is_refused(app, client, outbox):
    ready_worker(app)
    login(client)
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    digest = digest_on_review(client, application_id)
    review = f"/applications/{application_id}/step/review"
    post_form(
        client, f"/applications/{application_id}/sign/sms/send", {"digest": digest}, page=review
    )
    code = code_from(outbox()[0]["body"])
    details = client.get(f"/applications/{application_id}/step/details").get_data(as_text=True)
    hours = re.findall(r'name="hours" value="([^"]+)" [^>]*checked', details)
    assert hours
    save_step(client, application_id, "details", {"employer_agreed": "no", "hours": hours})
    stale = post_form(
        client, f"/applications/{application_id}/sign/sms/send", {"digest": digest}, page=review
    )
    assert "изменилось" in client.get(stale.headers["Location"]).get_data(as_text=True)
    response = post_form(
        client,
        f"/applications/{application_id}/sign/sms",
        {"digest": digest, "code": code},
        page=review,
    )
    assert "изменились" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert rows(app, "select state from applications")[0]["state"] == "draft"
    assert not rows(app, "select * from application_files")


def test_a_stale_revision_is_refused_and_loses_nothing(app, client):
    ready_worker(app)
    login(client)
    application_id = start_periodic(client)
    url = f"/applications/{application_id}/step/contacts"
    html = client.get(url).get_data(as_text=True)
    token = csrf_from(html)
    data = {"phone": "+79120000001", "email": "a@example.ru", "region": "Москва", "revision": "1"}
    first = client.post(url, data={**data, "csrf_token": token})
    assert first.status_code == 303
    second = client.post(url, data={**data, "email": "b@example.ru", "csrf_token": token})
    assert second.status_code == 409
    assert "другой вкладке" in second.get_data(as_text=True)
    saved = rows(app, "select data from applications")[0]["data"]
    assert "a@example.ru" in saved and "b@example.ru" not in saved


def test_autosave_answers_with_the_new_revision(app, client):
    ready_worker(app)
    login(client)
    application_id = start_periodic(client)
    response = save_step(
        client,
        application_id,
        "contacts",
        {"phone": "+79120000001", "email": "x@example.ru", "region": "Москва"},
        autosave=True,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Сохранено" in body and 'value="2"' in body


def test_garbage_in_the_wizard_is_refused_in_russian(app, client):
    ready_worker(app)
    login(client)
    application_id = start_periodic(client)
    bad = save_step(
        client,
        application_id,
        "contacts",
        {"phone": "<script>", "email": "not-an-email", "region": "Атлантида"},
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Нужен российский мобильный номер" in page
    assert "Введите адрес почты" in page and "Неверный вариант" in page  # the tampered region
    tampered = save_step(client, application_id, "documents", {"documents": ["999999"]})
    assert tampered.status_code == 422
    assert rows(app, "select revision from applications")[0]["revision"] == 1


def test_another_workers_documents_cannot_be_attached(app, client):
    ready_worker(app, n=2)
    login(client, n=2)
    foreign = upload(client, "activity_report")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    ready_worker(app)
    login(client)
    application_id = start_periodic(client)
    response = save_step(client, application_id, "documents", {"documents": [str(foreign)]})
    assert response.status_code == 422
    saved = rows(app, "select data from applications where id = ?", [application_id])[0]["data"]
    assert json.loads(saved)["documents"] == []


def test_withdraw_until_registered(app, client):
    ready_worker(app)
    login(client)
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    sign_with_sms(client, app, application_id, digest_on_review(client, application_id))
    response = post_form(
        client,
        f"/applications/{application_id}/withdraw",
        {},
        page=f"/applications/{application_id}",
    )
    assert response.status_code == 303
    assert rows(app, "select state from applications")[0]["state"] == "withdrawn"
    again = post_form(
        client,
        f"/applications/{application_id}/withdraw",
        {},
        page=f"/applications/{application_id}",
    )
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "невозможно" in page


def test_the_list_filters_and_pages(app, client):
    ready_worker(app)
    login(client)
    db = connect(app.config["DATABASE"])
    user_id = rows(app, "select id from users")[0]["id"]
    for i in range(25):
        db["applications"].insert(
            {
                "user_id": user_id,
                "kind": "primary" if i % 2 else "periodic",
                "specialty": "Терапия",
                "state": "withdrawn",
                "number": f"А-2026-{i + 1:06d}",
                "created_at": "2026-01-01T00:00:00+00:00",
                "updated_at": "2026-01-01T00:00:00+00:00",
            }
        )
    db.close()
    first = client.get("/applications").get_data(as_text=True)
    assert first.count('class="card application-item"') == 20
    more = re.search(r'href="(/applications\?after=\d+[^"]*)"', first).group(1)
    second = client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert second.get_data(as_text=True).count('class="card application-item"') == 5
    only_primary = client.get("/applications?kind=primary").get_data(as_text=True)
    assert only_primary.count('class="card application-item"') == 12
    garbage = client.get("/applications?kind=<x>&from=yesterday&after=abc")
    assert garbage.status_code == 200


def test_overdue_stages_are_told_once_to_the_worker_and_the_reviewer(app, runner):
    from tests.conftest import create_active_user

    worker = ready_worker(app)
    reviewer = create_active_user(app, n=3, role="reviewer")
    db = connect(app.config["DATABASE"])
    application_id = add_submitted(
        db, app.extensions["storage"], worker, number="А-2026-000042", deadline="2026-01-10",
        assignee_id=reviewer, data={},
    )  # fmt: skip
    db.close()
    first = runner.invoke(args=["reminders"])
    assert "просроченным этапом: 1, уведомлений о них: 2" in first.output
    second = runner.invoke(args=["reminders"])
    assert "просроченным этапом: 1, уведомлений о них: 0" in second.output
    told = rows(
        app,
        "select user_id, link from notifications where kind = 'applications' order by user_id",
    )
    assert [(t["user_id"], t["link"]) for t in told] == [
        (worker, f"/applications/{application_id}"),
        (reviewer, f"/review/{application_id}"),
    ]
    bodies = rows(app, "select body from notifications where kind = 'applications'")
    assert "8 800 550-99-03" in bodies[0]["body"]


def test_a_stage_is_overdue_by_the_accreditation_body_s_day_not_utc_s(app, runner):
    """At 01:30 in Moscow (22:30 UTC, still the day before there) yesterday's deadline has
    passed: the stage is told overdue now, not three hours later."""
    from datetime import UTC, datetime

    worker = ready_worker(app)
    db = connect(app.config["DATABASE"])
    add_submitted(
        db, app.extensions["storage"], worker, number="А-2026-000043", deadline="2026-12-01",
        data={},
    )  # fmt: skip
    db.close()
    clock.freeze(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
    try:
        result = runner.invoke(args=["reminders"])
    finally:
        clock.freeze(None)
    assert "просроченным этапом: 1, уведомлений о них: 1" in result.output


def test_the_sweep_keeps_the_copies_attached_to_applications(app, client, runner):
    ready_worker(app)
    login(client)
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    sign_with_sms(client, app, application_id, digest_on_review(client, application_id))
    result = runner.invoke(args=["documents-sweep", "--older-than", "0"])
    assert "Удалено файлов без записи: 0" in result.output
    for f in rows(app, "select id from application_files"):
        response = client.get(f"/applications/{application_id}/files/{f['id']}")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_the_whole_loop_ends_with_a_verifiable_extract(app, client, tmp_path):
    """Worker files and signs; a reviewer (own client, TOTP) returns it with a remark on the
    ПК certificate; the worker replaces it and signs again; the reviewer passes it; the worker
    downloads the signed выписка from the application and from the profile; /check says valid."""

    from tests.conftest import AuthActions, create_active_user
    from webapp.applications.signature import validate

    app.config["SMS_MIN_INTERVAL_SECONDS"] = 0  # the second signature comes a second later
    ready_worker(app)
    create_active_user(app, n=3, role="reviewer")
    login(client)
    report, pk = upload(client, "activity_report"), upload(client, "pk_certificate")
    application_id = start_periodic(client)
    fill_periodic(client, application_id, [report, pk])
    sign_with_sms(client, app, application_id, digest_on_review(client, application_id))

    reviewer = app.test_client()
    AuthActions(reviewer).login("+79120000003")
    screen = f"/review/{application_id}"

    def act(url, data=None):
        token = csrf_from(reviewer.get(screen).get_data(as_text=True))
        response = reviewer.post(url, data={**(data or {}), "csrf_token": token})
        assert response.status_code == 303, (url, response.status_code)

    act(f"{screen}/move/take")
    act(f"{screen}/move/check")
    pk_file = rows(app, "select id from application_files where doc_type = 'pk_certificate'")[0]
    prefix = f"file{pk_file['id']}"
    act(
        f"{screen}/files/{pk_file['id']}/verdict",
        {f"{prefix}-verdict": "needs_fix", f"{prefix}-reason": "Нечитаемая печать"},
    )
    act(f"{screen}/move/return", {"return-comment": "Переснимите удостоверение"})
    assert rows(app, "select state from applications")[0]["state"] == "returned"

    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Нечитаемая печать" in page and "Исправить и отправить повторно" in page
    documents = client.get("/documents").get_data(as_text=True)
    assert "Требуется уточнение" in documents
    token = csrf_from(client.get(f"/documents/new?replace={pk}").get_data(as_text=True))
    replaced = client.post(
        "/documents/upload",
        data={
            "csrf_token": token,
            "doc_type": "pk_certificate",
            "document_id": str(pk),
            "pages": [(io.BytesIO(PDF + b"\n% v2\n"), "v2.pdf")],
        },
        headers={"Accept": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        content_type="multipart/form-data",
    )
    assert replaced.status_code == 201, replaced.get_data(as_text=True)
    sign_with_sms(client, app, application_id, digest_on_review(client, application_id))
    states = [
        e["to_state"] for e in rows(app, "select to_state from application_events order by id")
    ]
    assert states == ["submitted", "registered", "under_check", "returned", "submitted"]
    accepted = rows(app, "select doc_type, verdict from application_files where round = 2")
    assert dict((r["doc_type"], r["verdict"]) for r in accepted)["pk_certificate"] == "pending"

    act(f"{screen}/move/take")
    act(f"{screen}/move/check")
    act(f"{screen}/move/forward")  # refused: nothing accepted yet
    assert rows(app, "select state from applications")[0]["state"] == "under_check"
    for f in rows(app, "select id from application_files where round = 2"):
        act(f"{screen}/files/{f['id']}/verdict", {f"file{f['id']}-verdict": "accepted"})
    act(f"{screen}/move/forward")
    act(f"{screen}/move/review")
    act(
        f"{screen}/move/pass",
        {"pass-protocol_number": "17/А", "pass-protocol_date": clock.today().isoformat()},
    )
    assert rows(app, "select state from applications")[0]["state"] == "passed"

    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Скачать выписку" in page
    extract = client.get(f"/applications/{application_id}/extract.pdf")
    assert extract.status_code == 200 and extract.data.startswith(b"%PDF")
    certificate = Path(app.instance_path) / "extract-signing.crt"  # made on first use
    assert validate(extract.data, certificate).valid
    profile = client.get("/profile/record").get_data(as_text=True)
    link = re.search(r'href="(/applications/record/\d+/extract\.pdf)"', profile).group(1)
    assert client.get(link).data == extract.data
    (row,) = rows(app, "select result_token, result_sha256 from applications")
    check = client.get(f"/check/{row['result_token']}").get_data(as_text=True)
    assert "Действительна" in check and row["result_sha256"] in check
    assert "А-" not in check  # no number on the public page
    log = client.get("/profile/access-log").get_data(as_text=True)
    assert "Эксперт открыл заявление" in log and "Решение: аккредитация пройдена" in log


def test_a_passkey_signs_the_hash_itself_and_a_replay_changes_nothing(app, client):
    from tests.soft_authenticator import SoftAuthenticator, unb64url
    from tests.web.test_factors import add_passkey, post_json

    ready_worker(app)
    login(client)
    authenticator = SoftAuthenticator()
    assert add_passkey(client, authenticator)[0].status_code == 200
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    review = client.get(f"/applications/{application_id}/step/review").get_data(as_text=True)
    options_url = re.search(r'data-options="([^"]+)"', review).group(1).replace("&amp;", "&")
    digest = re.search(r"digest=([0-9a-f]{64})", options_url).group(1)
    csrf = csrf_from(review)
    options = post_json(client, options_url, csrf=csrf).get_json()
    assert unb64url(options["challenge"]) == bytes.fromhex(digest)
    assert options["userVerification"] == "required"
    answer = authenticator.get(options)
    signed = post_json(client, f"/applications/{application_id}/sign/passkey", answer, csrf=csrf)
    assert signed.status_code == 200, signed.get_data(as_text=True)
    assert signed.get_json()["redirect"].startswith(f"/applications/{application_id}")
    (row,) = rows(app, "select * from applications")
    assert (row["state"], row["signed_factor"], row["signed_hash"]) == (
        "submitted",
        "passkey",
        digest,
    )
    evidence = json.loads(row["signature"])
    client_data = json.loads(unb64url(evidence["client_data_json"]))
    assert unb64url(client_data["challenge"]) == bytes.fromhex(digest)

    replay = post_json(client, f"/applications/{application_id}/sign/passkey", answer, csrf=csrf)
    assert replay.status_code == 400 and "устарел" in replay.get_json()["error"]
    assert len(rows(app, "select * from applications")) == 1
    assert len(rows(app, "select * from application_events")) == 1


def test_a_deleted_document_stops_the_signature_with_a_clear_message(app, client, outbox):
    ready_worker(app)
    login(client)
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    digest = digest_on_review(client, application_id)
    review = f"/applications/{application_id}/step/review"
    post_form(
        client, f"/applications/{application_id}/sign/sms/send", {"digest": digest}, page=review
    )
    code = code_from(outbox()[0]["body"])
    deleted = post_form(
        client, f"/documents/{docs[1]}/delete", {}, page=f"/documents/{docs[1]}/delete"
    )
    assert deleted.status_code == 303
    response = post_form(
        client,
        f"/applications/{application_id}/sign/sms",
        {"digest": digest, "code": code},
        page=review,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "удалён" in page
    assert rows(app, "select state from applications")[0]["state"] == "draft"
    assert not rows(app, "select * from application_files")


def test_the_dashboard_shows_the_latest_applications(app, client):
    ready_worker(app)
    login(client)
    assert "Заявлений пока нет" in client.get("/").get_data(as_text=True)
    application_id = start_periodic(client)
    home = client.get("/").get_data(as_text=True)
    assert f"/applications/{application_id}/step/applicant" in home and "Черновик" in home


def test_the_guided_report_becomes_a_document_attached_to_the_draft(app, client):
    from pypdf import PdfReader

    ready_worker(app)
    login(client)
    application_id = start_periodic(client)
    url = f"/applications/{application_id}/report"
    bad = post_form(client, url, {"workplace": "<b>ГКБ</b>", "position": "", "period": "x" * 101})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Уберите символы" in page and "Заполните это поле" in page
    assert not rows(app, "select * from documents")
    duties = "Приём пациентов терапевтического профиля, диспансеризация прикреплённого населения."
    good = post_form(
        client,
        url,
        {
            "workplace": "ГБУЗ «Городская поликлиника № 5»",
            "position": "Врач-терапевт участковый",
            "period": "2021–2026",
            "duties": duties,
        },
    )
    assert good.status_code == 303
    assert good.headers["Location"].endswith(f"/applications/{application_id}/step/documents")
    (document,) = rows(app, "select * from documents")
    assert document["doc_type"] == "activity_report"
    saved = json.loads(rows(app, "select data from applications")[0]["data"])
    assert document["id"] in saved["documents"]
    pdf = client.get(f"/documents/{document['id']}/file").data
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "ОТЧЁТ" in text and "диспансеризация" in text


def test_a_qualification_check_confirms_or_rejects_the_record(app, client):
    from tests.conftest import AuthActions, create_active_user

    app.config["SMS_MIN_INTERVAL_SECONDS"] = 0
    ready_worker(app)
    create_active_user(app, n=3, role="reviewer")
    login(client)
    (education,) = rows(app, "select id from educations")
    reviewer = app.test_client()
    AuthActions(reviewer).login("+79120000003")

    def file_and_sign() -> int:
        response = post_form(client, "/applications/new", {"kind": "qualification"})
        application_id = int(re.search(r"/applications/(\d+)/", response.headers["Location"])[1])
        steps = client.get(f"/applications/{application_id}/step/details").get_data(as_text=True)
        assert f'value="education:{education["id"]}"' in steps
        contacts = {"phone": "+79120000001", "email": "user1@example.ru", "region": "Москва"}
        save_step(client, application_id, "contacts", contacts)
        save_step(client, application_id, "details", {"record": f"education:{education['id']}"})
        proof = str(upload(client, "pk_certificate"))
        save_step(client, application_id, "documents", {"documents": [proof]})
        sign_with_sms(client, app, application_id, digest_on_review(client, application_id))
        return application_id

    def review(application_id, last, data=None):
        screen = f"/review/{application_id}"
        for step in ("take", "check"):
            token = csrf_from(reviewer.get(screen).get_data(as_text=True))
            reviewer.post(f"{screen}/move/{step}", data={"csrf_token": token})
        attached = "select id from application_files where application_id = ?"
        for f in rows(app, attached, [application_id]):
            token = csrf_from(reviewer.get(screen).get_data(as_text=True))
            reviewer.post(
                f"{screen}/files/{f['id']}/verdict",
                data={f"file{f['id']}-verdict": "accepted", "csrf_token": token},
            )
        token = csrf_from(reviewer.get(screen).get_data(as_text=True))
        reviewer.post(f"{screen}/move/{last}", data={**(data or {}), "csrf_token": token})

    first = file_and_sign()
    review(first, "confirm")
    assert (
        rows(app, "select state from applications where id = ?", [first])[0]["state"] == "confirmed"
    )
    assert rows(app, "select verification from educations")[0]["verification"] == "confirmed"
    second = file_and_sign()
    review(second, "refuse", {"refuse-comment": "Номер удостоверения не найден в реестре"})
    record = rows(app, "select verification, rejection_reason from educations")[0]
    assert record["verification"] == "rejected"
    assert "не найден в реестре" in record["rejection_reason"]


def test_notices_follow_the_applications_own_contacts(app, client, outbox):
    ready_worker(app)
    login(client)
    docs = [upload(client, "activity_report"), upload(client, "pk_certificate")]
    application_id = start_periodic(client)
    fill_periodic(client, application_id, docs)
    contacts = {"phone": "+79121112233", "email": "work@example.ru", "region": "Москва"}
    assert (
        save_step(client, application_id, "contacts", {**contacts, "by_sms": "y"}).status_code
        == 303
    )
    sign_with_sms(client, app, application_id, digest_on_review(client, application_id))
    sent = [(m["channel"], m["recipient"]) for m in outbox() if "принято" in m["body"]]
    assert sent == [("sms", "+79121112233")]  # no e-mail: it was switched off for this one
    inbox = rows(app, "select title from notifications where kind = 'applications'")
    assert [n["title"] for n in inbox] == ["Заявление принято"]
