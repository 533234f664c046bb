"""Documents through the test client: idempotent upload, hostile files, ownership, storage."""

import io
import uuid
import zipfile
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from tests.conftest import create_active_user, csrf_from, unread_body_status
from tests.fixtures.make_fixtures import ensure_fixtures
from webapp.db import connect

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="session")
def fixtures():
    return ensure_fixtures()


@pytest.fixture
def worker(app, auth):
    create_active_user(app)
    auth.login()


def jpeg(color="white", size=(1200, 1600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=85)
    return out.getvalue()


def upload(client, files, *, key=None, doc_type="diploma", extra=None, headers=None):
    """POST /documents/upload the way capture.js does."""
    token = csrf_from(client.get("/documents/new").get_data(as_text=True))
    data = {"csrf_token": token, "doc_type": doc_type, **(extra or {})}
    data["pages"] = [(io.BytesIO(body), name) for name, body in files]
    sent = dict(JSON)
    if key is not False:
        sent["Idempotency-Key"] = key or str(uuid.uuid4())
    sent.update(headers or {})
    return client.post(
        "/documents/upload", data=data, headers=sent, content_type="multipart/form-data"
    )


def table(app, name):
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query(f"select * from {name} order by 1"))  # noqa: S608
    finally:
        db.close()


def blobs(app) -> list[Path]:
    root = Path(app.config["INSTANCE_PATH"]) / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_two_photos_become_one_encrypted_pdf(app, client, worker):
    response = upload(client, [("a.jpg", jpeg("white")), ("b.jpg", jpeg("lightgray"))])
    assert response.status_code == 201
    assert response.get_json() == {"id": 1, "url": "/documents/1", "pages": 2, "version": 1}
    [version] = table(app, "document_versions")
    assert version["pages"] == 2 and version["mime"] == "application/pdf"
    stored = app.extensions["storage"].get(version["file_key"])
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        assert len(pdf.pages) == 2
    on_disk = [p.read_bytes() for p in blobs(app)]
    assert len(on_disk) == 2  # the PDF and the thumbnail
    assert all(b"%PDF" not in body and b"JFIF" not in body for body in on_disk)
    assert [e["action"] for e in table(app, "audit_log")][-1] == "documents.upload"


def test_retry_with_the_same_key_returns_the_first_result(app, client, worker):
    key = str(uuid.uuid4())
    files = [("a.jpg", jpeg())]
    first = upload(client, files, key=key)
    again = upload(client, files, key=key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert len(table(app, "documents")) == 1 and len(blobs(app)) == 2


def test_same_key_with_other_content_is_422_and_no_key_is_400(app, client, worker):
    key = str(uuid.uuid4())
    upload(client, [("a.jpg", jpeg())], key=key)
    other = upload(client, [("a.jpg", jpeg("black"))], key=key)
    assert other.status_code == 422 and "другого документа" in other.get_json()["error"]
    missing = upload(client, [("a.jpg", jpeg())], key=False)
    assert missing.status_code == 400 and "Idempotency-Key" in missing.get_json()["error"]
    garbage = upload(client, [("a.jpg", jpeg())], key="not-a-uuid")
    assert garbage.status_code == 400
    assert len(table(app, "documents")) == 1


def test_same_key_still_in_flight_is_409(app, client, worker, db):
    key = str(uuid.uuid4())
    files = [("a.jpg", jpeg())]
    from webapp.documents.upload_views import _body_digest

    digest = _body_digest(files, {"doc_type": "diploma"})
    db["uploads"].insert(
        {
            "idempotency_key": key,
            "user_id": 1,
            "body_sha256": digest,
            "state": "in_flight",
            "created_at": "2099-01-01T00:00:00+00:00",
        }
    )
    response = upload(client, files, key=key)
    assert response.status_code == 409 and "ещё загружается" in response.get_json()["error"]


def test_a_claim_whose_process_was_killed_is_taken_over_at_once(app, client, worker, db):
    """A worker killed mid-upload (OOM, kill -9) leaves its claim; the retry need not wait out
    the five-minute grace: the claimer is gone, so the key is taken over."""
    import subprocess

    from webapp import processes
    from webapp.documents.upload_views import _body_digest

    dead = subprocess.Popen(["sleep", "30"])
    claimer = processes.identity(dead.pid)
    dead.kill()
    dead.wait()
    key, files = str(uuid.uuid4()), [("a.jpg", jpeg())]
    db["uploads"].insert(
        {
            "idempotency_key": key,
            "user_id": 1,
            "body_sha256": _body_digest(files, {"doc_type": "diploma"}),
            "state": "in_flight",
            "created_at": "2099-01-01T00:00:00+00:00",
            "claimed_by": claimer,
        }
    )
    assert upload(client, files, key=key).status_code == 201
    [claim] = table(app, "uploads")
    assert claim["state"] == "done" and claim["claimed_by"] == processes.current()


def test_another_users_key_is_never_their_result(app, client, auth, worker):
    key = str(uuid.uuid4())
    upload(client, [("a.jpg", jpeg())], key=key)
    auth.logout()
    create_active_user(app, n=2)
    auth.login("+79120000002")
    response = upload(client, [("a.jpg", jpeg())], key=key)
    assert response.status_code == 422 and "id" not in response.get_json()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.jpg", "пустой"),
        ("truncated.jpg", "ещё раз"),
        ("bomb.png", "Мпикс"),
        ("html.pdf", "не PDF"),
        ("zip_appended.jpg", "архив"),
        ("encrypted.pdf", "паролем"),
        ("encrypted_no_user_password.pdf", "зашифрован"),
        ("jpeg_named.pdf", "не совпадает"),
        ("broken.pdf", "повреждён"),
        ("document.docx", "PDF, JPEG, PNG или HEIC"),
    ],
)
def test_hostile_files_get_a_russian_message_and_leave_nothing(
    app, client, worker, fixtures, name, message
):
    response = upload(client, [(name, fixtures[name].read_bytes())])
    assert response.status_code == 422
    body = response.get_json()
    assert message in body["error"], body["error"]
    assert body["field"] == "pages"
    assert table(app, "documents") == [] and table(app, "uploads") == []
    assert blobs(app) == []


def test_pdf_with_javascript_is_stored_without_it(app, client, worker, fixtures):
    response = upload(client, [("js.pdf", fixtures["javascript.pdf"].read_bytes())])
    assert response.status_code == 201
    [version] = table(app, "document_versions")
    stored = app.extensions["storage"].get(version["file_key"])
    assert b"/JavaScript" not in stored and b"/JS" not in stored
    assert version["thumb_key"] is None  # a PDF's preview is rendered on demand
    thumb = client.get("/documents/1/thumb")
    assert thumb.status_code == 200 and thumb.content_type == "image/jpeg"


def test_pdf_and_photos_do_not_mix(app, client, worker, fixtures):
    response = upload(client, [("a.pdf", fixtures["plain.pdf"].read_bytes()), ("b.jpg", jpeg())])
    assert response.status_code == 422 and "отдельно" in response.get_json()["error"]
    assert blobs(app) == []


def test_a_100_mb_body_is_refused_before_it_is_read(app):
    status, _ = unread_body_status(
        app, "/documents/upload", "multipart/form-data; boundary=x", 100 * 1024 * 1024
    )
    assert status.startswith("413")


def test_uploads_may_be_bigger_than_other_requests(client, worker):
    """40 MB for an upload, 1 MB elsewhere: a 3 MB photo passes here, not on /login."""
    token = csrf_from(client.get("/documents/new").get_data(as_text=True))
    boundary = "medkab-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nother\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="pages"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + _noise_png()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    # raw bytes: the test client would spool a big multipart body to a temporary file
    response = client.post(
        "/documents/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={**JSON, "X-CSRFToken": token, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201
    login = client.post(
        "/login", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert login.status_code == 413


def _noise_png() -> bytes:
    import os

    image = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    assert len(out.getvalue()) > 2 * 1024 * 1024
    return out.getvalue()


def test_quota_counts_every_version(app, client, worker):
    app.config["DOCUMENTS_QUOTA_BYTES"] = 50_000
    response = upload(client, [("a.jpg", jpeg(size=(2000, 2000)))])
    assert (
        response.status_code == 422
        and "Место для документов закончилось" in (response.get_json()["error"])
    )


def test_bad_details_are_refused_beside_the_field(app, client, worker):
    response = upload(
        client,
        [("a.jpg", jpeg())],
        extra={"issued_on": "2020-05-01", "valid_until": "2019-01-01"},
    )
    assert response.status_code == 422 and response.get_json()["field"] == "valid_until"
    hostile = upload(client, [("a.jpg", jpeg())], extra={"title": "<script>x</script>"})
    assert hostile.status_code == 422 and "Уберите символы" in hostile.get_json()["error"]
    unknown = upload(client, [("a.jpg", jpeg())], doc_type="selfie")
    assert unknown.status_code == 422
    assert table(app, "documents") == []


def test_plain_form_post_without_script_works_too(app, client, worker):
    html = client.get("/documents/new").get_data(as_text=True)
    token = csrf_from(html)
    key = html.split('name="idempotency_key" value="')[1].split('"')[0]
    response = client.post(
        "/documents/upload",
        data={
            "csrf_token": token,
            "idempotency_key": key,
            "doc_type": "snils",
            "pages": [(io.BytesIO(jpeg()), "scan.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/documents/1"
    bad = client.post(
        "/documents/upload",
        data={
            "csrf_token": token,
            "idempotency_key": str(uuid.uuid4()),
            "doc_type": "snils",
            "pages": [(io.BytesIO(b""), "scan.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "Файл пустой" in bad.get_data(as_text=True)


def test_replace_keeps_the_old_version_in_the_history(app, client, worker):
    upload(client, [("a.jpg", jpeg())])
    response = upload(
        client, [("b.jpg", jpeg("gray")), ("c.jpg", jpeg())], extra={"document_id": "1"}
    )
    assert response.get_json()["version"] == 2
    page = client.get("/documents/1").get_data(as_text=True)
    assert "Версия 2" in page and "Версия 1" in page
    old = client.get("/documents/1/file?version=1")
    with pikepdf.open(io.BytesIO(old.data)) as pdf:
        assert len(pdf.pages) == 1
    assert "filename*=UTF-8" in old.headers["Content-Disposition"]
    assert old.headers["Content-Security-Policy"].startswith("sandbox")


def test_delete_asks_then_removes_rows_and_files(app, client, worker):
    upload(client, [("a.jpg", jpeg())])
    assert client.get("/documents/1/delete").status_code == 200
    token = csrf_from(client.get("/documents/1").get_data(as_text=True))
    response = client.post("/documents/1/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert table(app, "documents") == [] and table(app, "document_versions") == []
    assert blobs(app) == []
    assert table(app, "audit_log")[-1]["action"] == "documents.delete"


ROUTES = [
    ("get", "/documents/1"),
    ("post", "/documents/1"),
    ("get", "/documents/1/file"),
    ("get", "/documents/1/file?version=1"),
    ("get", "/documents/1/thumb"),
    ("get", "/documents/1/pages/1"),
    ("get", "/documents/1/delete"),
    ("post", "/documents/1/delete"),
    ("post", "/documents/1/original"),
    ("get", "/documents/new?replace=1"),
]


def test_another_worker_reaches_none_of_the_document_routes(app, client, auth, worker):
    upload(client, [("a.jpg", jpeg())])
    auth.logout()
    create_active_user(app, n=2)
    auth.login("+79120000002")
    token = csrf_from(client.get("/documents/new").get_data(as_text=True))
    for method, url in ROUTES:
        response = getattr(client, method)(url, data={"csrf_token": token, "doc_type": "other"})
        assert response.status_code == 404, (method, url)
    replace = upload(client, [("x.jpg", jpeg())], extra={"document_id": "1"})
    assert replace.status_code == 404
    linked = upload(client, [("x.jpg", jpeg())], extra={"linked": "education:1"})
    assert linked.status_code == 422 and "нет в вашем профиле" in linked.get_json()["error"]
    export = client.post("/documents/export", data={"csrf_token": token, "document": ["1"]})
    assert export.status_code == 422  # someone else's id is simply not among the choices
    assert len(table(app, "document_versions")) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for _method, url in ROUTES[:1] + [("get", "/documents"), ("get", "/documents/new")]:
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_export_names_files_the_fac_way(app, client, worker):
    upload(client, [("a.jpg", jpeg()), ("b.jpg", jpeg())])
    upload(client, [("c.jpg", jpeg())], doc_type="pk_certificate")
    token = csrf_from(client.get("/documents/export").get_data(as_text=True))
    response = client.post("/documents/export", data={"csrf_token": token, "document": ["1", "2"]})
    assert response.status_code == 200 and response.content_type == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert sorted(names) == [
        "Иванова М.П. диплом на 2 л.pdf",
        "Иванова М.П. удостоверение ПК на 1 л.pdf",
    ]
    nothing = client.post("/documents/export", data={"csrf_token": token})
    assert nothing.status_code == 422


def test_list_groups_by_type_with_status(client, worker):
    upload(
        client,
        [("a.jpg", jpeg())],
        extra={"title": "Диплом специалиста", "issued_on": "2017-06-30"},
    )
    html = client.get("/documents").get_data(as_text=True)
    assert "Диплом с приложением" in html and "Диплом специалиста" in html
    assert "Загружен" in html and "выдан 30 июня 2017" in html


def test_documents_feed_readiness_and_the_name_check(client, worker):
    from tests.web.test_profile_record import CERTIFICATE, add

    add(client, "certificate", CERTIFICATE)
    report = '<li class="warn" data-rule="report">'
    assert report in client.get("/profile/readiness").get_data(as_text=True)
    upload(client, [("a.jpg", jpeg())], doc_type="activity_report")
    ready = client.get("/profile/readiness").get_data(as_text=True)
    assert '<li class="ok" data-rule="report">' in ready and "Отчёт загружен" in ready
    upload(client, [("b.jpg", jpeg())], extra={"holder_name": "Петрова М.П."})
    check = client.get("/profile/check").get_data(as_text=True)
    assert "ФИО в документе «Диплом с приложением» не совпадает с профилем" in check
    token = csrf_from(client.get("/profile/name").get_data(as_text=True))
    client.post(
        "/profile/name",
        data={
            "csrf_token": token,
            "surname": "Сидорова",
            "name": "Мария",
            "patronymic": "Петровна",
            "changed_on": "2020-01-01",
            "reason": "marriage",
            "document_title": "Свидетельство",
        },
    )
    db_check = client.get("/profile/check").get_data(as_text=True)
    assert "не совпадает с профилем" in db_check  # Петрова was never her name
    token = csrf_from(client.get("/documents/2").get_data(as_text=True))
    client.post(
        "/documents/2",
        data={"csrf_token": token, "doc_type": "diploma", "holder_name": "Иванова М.П."},
    )
    assert "не совпадает с профилем" not in client.get("/profile/check").get_data(as_text=True)


def test_a_database_failure_after_the_files_were_written_leaves_nothing(app, client, worker, db):
    """A real failure at commit time (a trigger refusing the version row) after the blobs were
    stored: the claim is released, the blobs are deleted, no row remains; a retry then works."""
    db.execute(
        "create trigger refuse_versions before insert on document_versions "
        "begin select raise(abort, 'disk full'); end"
    )
    key = str(uuid.uuid4())
    assert upload(client, [("a.jpg", jpeg())], key=key).status_code == 500
    assert table(app, "documents") == [] and table(app, "uploads") == []
    assert blobs(app) == []
    db.execute("drop trigger refuse_versions")
    assert upload(client, [("a.jpg", jpeg())], key=key).status_code == 201


def test_a_storage_failure_midway_deletes_what_was_written(app, client, worker):
    """The second blob (the thumbnail) cannot be written: the first is removed again."""
    storage = app.extensions["storage"]
    real_put, calls = storage.put, []

    def failing_put(data):
        calls.append(len(data))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_put(data)

    storage.put = failing_put
    try:
        response = upload(client, [("a.jpg", jpeg())])
    finally:
        storage.put = real_put
    assert response.status_code == 507
    assert response.get_json()["error"].startswith("Не хватает места на сервере: документ не")
    assert blobs(app) == [] and table(app, "documents") == [] and table(app, "uploads") == []


def test_sweep_removes_orphans_left_by_a_killed_process(app, client, worker, runner):
    upload(client, [("a.jpg", jpeg())])
    orphan = app.extensions["storage"].put(b"written just before the process was killed")
    kept = {p.name for p in blobs(app)} - {orphan}
    result = runner.invoke(args=["documents-sweep", "--older-than", "0"])
    assert "Удалено файлов без записи: 1" in result.output
    assert {p.name for p in blobs(app)} == kept
    assert client.get("/documents/1/file").status_code == 200
