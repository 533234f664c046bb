"""The app with its documents in S3 (SeaweedFS), and `flask storage-migrate` from local files."""

import io
import socket
import time
import uuid
from pathlib import Path

import pikepdf
import pytest

from tests.conftest import AuthActions, create_active_user, settings_for
from tests.web.test_documents import jpeg, table, upload
from webapp import create_app
from webapp.adapters.s3 import s3_from_config
from webapp.adapters.storage import EncryptedStorage, blob_name
from webapp.backup import referenced_keys
from webapp.db import close_keeper, connect, migrate

MASTER = bytes.fromhex("11" * 32)  # settings_for's DATA_KEY


def make_app(tmp_path):
    app = create_app(settings_for(tmp_path))
    db = connect(app.config["DATABASE"])
    migrate(db)
    db.close()
    return app


@pytest.fixture
def s3_app(tmp_path, monkeypatch, s3_settings):
    """The app configured through MEDKAB_* variables to keep documents in a new bucket."""
    monkeypatch.setenv("MEDKAB_STORAGE_BACKEND", "s3")
    for name, value in s3_settings.items():
        monkeypatch.setenv(f"MEDKAB_{name}", value)
    app = make_app(tmp_path)
    yield app
    close_keeper(app)


@pytest.fixture
def local_app(tmp_path, s3_settings):
    """The app on local files, with the S3 settings a migration copies to."""
    app = make_app(tmp_path)
    app.config.update(s3_settings)
    yield app
    close_keeper(app)


def signed_in(app):
    """A test client of app signed in as a new worker."""
    create_active_user(app)
    client = app.test_client()
    AuthActions(client).login()
    return client


def keys_of(app) -> set[str]:
    db = connect(app.config["DATABASE"])
    try:
        return referenced_keys(db)
    finally:
        db.close()


def test_a_document_uploads_to_and_downloads_from_s3(s3_app, raw_s3, s3_settings):
    client = signed_in(s3_app)
    assert upload(client, [("a.jpg", jpeg("white"))]).status_code == 201
    [version] = table(s3_app, "document_versions")
    listed = raw_s3.list_objects_v2(Bucket=s3_settings["S3_BUCKET"])["Contents"]
    assert blob_name(version["file_key"]) in {item["Key"] for item in listed}
    raw = raw_s3.get_object(Bucket=s3_settings["S3_BUCKET"], Key=blob_name(version["file_key"]))
    assert raw["Body"].read().startswith(b"MKB1")
    assert not (Path(s3_app.config["INSTANCE_PATH"]) / "files").exists()
    download = client.get("/documents/1/file")
    assert download.status_code == 200
    with pikepdf.open(io.BytesIO(download.data)) as pdf:
        assert len(pdf.pages) == 1


def test_the_orphan_sweep_deletes_unreferenced_objects_only(s3_app):
    client = signed_in(s3_app)
    assert upload(client, [("a.jpg", jpeg("white"))]).status_code == 201
    storage = s3_app.extensions["storage"]
    orphan = storage.put(b"written just before the process was killed")
    result = s3_app.test_cli_runner().invoke(args=["documents-sweep", "--older-than=-60"])
    assert result.exit_code == 0, result.output
    assert "Удалено файлов без записи: 1, недописанных: 0" in result.output
    assert not storage.exists(orphan)
    assert all(storage.exists(key) for key in keys_of(s3_app))


def test_storage_migrate_copies_resumes_verifies_and_is_idempotent(local_app, s3_settings):
    app = local_app
    client = signed_in(app)
    assert upload(client, [("a.jpg", jpeg("white"))]).status_code == 201
    assert upload(client, [("b.jpg", jpeg("gray")), ("c.jpg", jpeg("black"))]).status_code == 201
    orphan = app.extensions["storage"].put(b"no row names this blob")
    keys = keys_of(app)
    assert len(keys) >= 2 and orphan not in keys
    first, *rest = sorted(keys)
    target = s3_from_config(s3_settings)
    with open(app.extensions["storage"].root / blob_name(first), "rb") as body:
        target.put_new(first, body)  # an earlier run that was interrupted after one file

    runner = app.test_cli_runner()
    result = runner.invoke(args=["storage-migrate"])
    assert result.exit_code == 0, result.output
    assert (
        f"скопировано {len(rest)}, уже были 1, нет нигде 0, не прошли проверку 0" in result.output
    )
    again = runner.invoke(args=["storage-migrate"])
    assert again.exit_code == 0, again.output
    assert f"copied 0, already there {len(keys)}, missing 0, failed verification 0" in again.output

    in_s3 = EncryptedStorage(target, MASTER)
    for key in keys:
        assert in_s3.get(key) == app.extensions["storage"].get(key)
    assert not target.exists(orphan)


def test_storage_migrate_reports_a_copy_that_does_not_verify(local_app, s3_settings, raw_s3):
    app = local_app
    client = signed_in(app)
    assert upload(client, [("a.jpg", jpeg("white"))]).status_code == 201
    runner = app.test_cli_runner()
    assert runner.invoke(args=["storage-migrate"]).exit_code == 0
    key = sorted(keys_of(app))[0]
    raw = bytearray(app.extensions["storage"].blobs.get(key))
    raw[-1] ^= 0x01  # same size, other bytes
    raw_s3.put_object(Bucket=s3_settings["S3_BUCKET"], Key=blob_name(key), Body=bytes(raw))
    result = runner.invoke(args=["storage-migrate"])
    assert result.exit_code != 0
    assert "не прошли проверку 1" in result.output and key in result.output


def test_backup_and_restore_work_from_and_into_a_bucket(s3_app, tmp_path, monkeypatch):
    client = signed_in(s3_app)
    assert upload(client, [("a.jpg", jpeg("white"))]).status_code == 201
    keys = keys_of(s3_app)
    target = tmp_path / "backup"
    made = s3_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert {path.name for path in (target / "files").rglob("*") if path.is_file()} == keys
    monkeypatch.setenv("MEDKAB_S3_BUCKET", f"medkab-restored-{uuid.uuid4().hex[:8]}")
    fresh = create_app(settings_for(tmp_path / "fresh"))
    try:
        restored = fresh.test_cli_runner().invoke(args=["restore", str(target)])
        assert restored.exit_code == 0, restored.output
        for key in keys:
            assert fresh.extensions["storage"].get(key) == s3_app.extensions["storage"].get(key)
        again = fresh.test_cli_runner().invoke(args=["restore", str(target)])
        assert again.exit_code != 0 and "пустой экземпляр" in again.output
    finally:
        close_keeper(fresh)


def test_a_store_that_does_not_answer_gets_a_russian_503_and_nothing_is_kept(
    s3_app, tmp_path, monkeypatch
):
    """The S3 server goes away: an upload is refused with «Хранилище документов недоступно»
    within seconds (not the minutes of boto3's defaults) and leaves no rows; a download of a
    document already there gets the same page instead of «Что-то пошло не так»."""
    client = signed_in(s3_app)
    assert upload(client, [("a.jpg", jpeg("white"))]).status_code == 201
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    s3_app.extensions["storage"].blobs._options["endpoint_url"] = f"http://127.0.0.1:{closed}"
    s3_app.extensions["storage"].blobs._client = None

    started = time.monotonic()
    refused = upload(client, [("b.jpg", jpeg("gray"))])
    assert time.monotonic() - started < 15
    assert refused.status_code == 503
    assert refused.get_json()["error"].startswith("Хранилище документов сейчас недоступно")
    assert len(table(s3_app, "documents")) == 1 and table(s3_app, "uploads")[-1]["document_id"]
    assert len(table(s3_app, "document_versions")) == 1

    download = client.get("/documents/1/file")
    assert download.status_code == 503
    assert "Хранилище документов недоступно" in download.get_data(as_text=True)
