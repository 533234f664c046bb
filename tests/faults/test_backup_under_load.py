"""A backup taken while people keep writing, restored into a new instance (issue 13, item 4d).

gunicorn (two workers) takes НМО entries from two people, uploads from a third and deletions of
earlier documents from a fourth while `flask backup` runs. The backup must be one moment of the
source: tables the load does not touch are identical; append-only ones (entries, audit log,
documents and versions) are exactly the source's rows up to one id, plus the documents deleted
after that moment, as they were before; an entry never comes without its audit row, nor a
deletion's audit row with its document. `flask restore` into a new instance (its key put there
separately) gives the backup's rows exactly, refuses another key, and every document version
decrypts to the bytes its SHA-256 names.
"""

import hashlib
import io
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import uuid

import pikepdf
import pytest

from tests.conftest import AuthActions
from tests.faults.conftest import BIN, ROOT, blob_files, cli, integrity, nmo_entry, photo
from webapp import create_app
from webapp.db import close_keeper

pytestmark = pytest.mark.faults

APPEND_ONLY = ("nmo_entries", "audit_log", "documents", "document_versions")
MUTABLE = ("sessions", "uploads")  # flash messages in sessions; claims become results


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited too long"


def keys_of(database, document_id) -> set[str]:
    """The storage keys of every version of one document."""
    return {
        key
        for version in rows(database, "document_versions")
        if version["document_id"] == document_id
        for key in (version["file_key"], version["thumb_key"], version["original_key"])
        if key
    }


def tables(database) -> list[str]:
    conn = sqlite3.connect(database)
    try:
        return [
            row[0]
            for row in conn.execute(
                "select name from sqlite_master where type = 'table' "
                "and name not like 'sqlite_%' order by name"
            )
        ]
    finally:
        conn.close()


def rows(database, table) -> list[dict]:
    """Every row, in a stable order (some tables have no rowid)."""
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    try:
        found = [dict(row) for row in conn.execute(f"select * from {table}")]
    finally:
        conn.close()
    return sorted(found, key=repr)


def by_id(database, table) -> dict[int, dict]:
    return {row["id"]: row for row in rows(database, table)}


class Load:
    """People writing until told to stop; every request's kind, id, times and answer."""

    def __init__(self, server):
        self.server = server
        self.stop = threading.Event()
        self.log = []  # (kind, what, sent, answered, status)
        self.lock = threading.Lock()
        self.threads = []

    def person(self, target, *args):
        browser = self.server.browser()
        browser.sign_in()
        self.threads.append(threading.Thread(target=target, args=(browser, *args), daemon=True))

    def record(self, kind, what, sent, status):
        with self.lock:
            self.log.append((kind, what, sent, time.monotonic(), status))

    def post_entries(self, browser, label):
        token = browser.csrf("/profile/nmo/new")
        n = 0
        while not self.stop.is_set():
            title, sent = f"{label}-{n}", time.monotonic()
            answer = browser.post_form("/profile/nmo/new", nmo_entry(title, token))
            self.record("nmo", title, sent, answer.status)
            n += 1

    def upload(self, browser, page):
        token = browser.csrf()
        while not self.stop.is_set():
            key, sent = str(uuid.uuid4()), time.monotonic()
            answer = browser.upload(page, key, token=token)
            ident = answer.json()["id"] if answer.status == 201 else key
            self.record("upload", ident, sent, answer.status)

    def delete(self, browser, doomed, backup_begins):
        """Delete documents back to back from the moment the backup makes its directory, i.e.
        while it snapshots the database and copies the files that snapshot names."""
        token = browser.csrf()
        while not backup_begins.exists() and not self.stop.is_set():
            time.sleep(0.001)
        for document_id in doomed:
            sent = time.monotonic()
            answer = browser.post_form(f"/documents/{document_id}/delete", {"csrf_token": token})
            self.record("delete", document_id, sent, answer.status)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_backup_under_load_restores_identical_rows_and_every_document_decrypts(served, tmp_path):
    source = served("source", workers=2)
    seeder = source.browser()
    seeder.sign_in()
    token = seeder.csrf()
    page = [("page.jpg", photo(3, size=(600, 800)))]
    seeded = [seeder.upload(page, str(uuid.uuid4()), token=token).json()["id"] for _ in range(10)]
    replaced = seeder.upload(
        [("new.jpg", photo(4, size=(600, 800)))],
        str(uuid.uuid4()),
        token=token,
        extra={"document_id": str(seeded[0])},
    )
    assert replaced.status == 201 and replaced.json()["version"] == 2
    for document_id in seeded[1:3]:  # deleted before: the copy carries their audit rows only
        seeder.post_form(f"/documents/{document_id}/delete", {"csrf_token": token})
    # seeded[0] (two versions) stays, so no deleted id is ever reused by a new document.
    candidates, doomed = seeded[3:7], seeded[7:]
    before_load = tmp_path / "before-load.sqlite3"
    origin, copy = sqlite3.connect(source.database), sqlite3.connect(before_load)
    origin.backup(copy)
    origin.close()
    copy.close()

    target = tmp_path / "backup"
    load = Load(source)
    load.person(load.post_entries, "alpha")
    load.person(load.post_entries, "beta")
    load.person(load.upload, page)
    load.person(load.delete, doomed, target)
    with load:
        time.sleep(0.5)
        began = time.monotonic()
        backing_up = subprocess.Popen(
            [BIN / "flask", "--app", "wsgi", "backup", str(target)],
            cwd=ROOT,
            env=source.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # The race a backup must survive, made certain: the snapshot is taken (its file is
            # in place), its files are not all copied yet — stop the backup there, delete a
            # document whose files it has not copied (the row goes, then the files), go on.
            wait_until(
                lambda: (target / "medkab.sqlite3").exists() or backing_up.poll() is not None
            )
            os.kill(backing_up.pid, signal.SIGSTOP)
            copied = blob_files(target / "files")
            victim = next((d for d in candidates if not keys_of(source.database, d) & copied), None)
            assert victim, "the backup copied every file before it could be stopped"
            gone = seeder.post_form(f"/documents/{victim}/delete", {"csrf_token": token})
            assert gone.status == 303
        finally:
            os.kill(backing_up.pid, signal.SIGCONT)
        output, errors = backing_up.communicate(timeout=120)
        ended = time.monotonic()
        time.sleep(0.5)
    source.stop()  # a quiet source to compare with
    assert backing_up.returncode == 0, errors
    assert "data_key" in output and "храните их отдельно" in output
    # The first snapshot named the victim's files; the backup took another one.
    assert int(re.search(r"снимков базы — (\d+)", output).group(1)) >= 2
    assert {status for *_, status in load.log} <= {201, 303}
    kinds = {kind for kind, *_ in load.log}
    assert kinds == {"nmo", "upload", "delete"}

    backup = target / "medkab.sqlite3"
    assert integrity(backup) == "ok"
    assert not (tmp_path / "backup" / "medkab.sqlite3-wal").exists()
    names = tables(backup)
    assert names == tables(source.database)

    # One moment: what the load never touches is identical …
    for table in set(names) - set(APPEND_ONLY) - set(MUTABLE):
        assert rows(backup, table) == rows(source.database, table), table
    # … append-only tables are the source's rows up to one id, plus what was deleted since,
    # exactly as it was before the load began …
    deleted_since = {}
    for table in APPEND_ONLY:
        copy, now = by_id(backup, table), by_id(source.database, table)
        cutoff = max(copy)
        assert {i: r for i, r in now.items() if i <= cutoff} == {
            i: r for i, r in copy.items() if i in now
        }, table
        assert set(now) - set(copy) == {i for i in now if i > cutoff}, table
        deleted_since[table] = {i: r for i, r in copy.items() if i not in now}
    old = {"documents": by_id(before_load, "documents")}
    old["document_versions"] = by_id(before_load, "document_versions")
    for table in ("documents", "document_versions"):
        assert deleted_since[table] == {i: old[table][i] for i in deleted_since[table]}
    assert not deleted_since["nmo_entries"] and not deleted_since["audit_log"]
    # … and within the copy, each change is whole: entry with its audit row, deletion with its.
    audit = rows(backup, "audit_log")
    assert {r["object_id"] for r in audit if r["action"] == "profile.nmo.create"} == {
        str(i) for i in by_id(backup, "nmo_entries")
    }
    deletions = {int(r["object_id"]) for r in audit if r["action"] == "documents.delete"}
    in_copy = set(by_id(backup, "documents"))
    assert deletions | in_copy >= set(seeded) and not deletions & in_copy
    assert set(seeded[1:3]) | {victim} <= deletions
    versions = rows(backup, "document_versions")
    assert {v["document_id"] for v in versions} == in_copy
    # Mutable rows: the same sessions; every finished upload in the copy is finished the same.
    assert {r["id"] for r in rows(backup, "sessions")} == {
        r["id"] for r in rows(source.database, "sessions")
    }
    finished = {r["idempotency_key"]: r for r in rows(source.database, "uploads")}
    for claim in rows(backup, "uploads"):
        if claim["state"] == "done" and claim["document_id"] is not None:
            assert finished[claim["idempotency_key"]]["document_id"] in (
                claim["document_id"],
                None,  # deleted since
            )
    # Writes answered before the backup began are in it; none sent after it ended is.
    titles = {r["title"] for r in rows(backup, "nmo_entries")}
    for kind, what, sent, answered, _status in load.log:
        if kind == "nmo" and answered < began:
            assert what in titles
        if kind == "nmo" and sent > ended:
            assert what not in titles
        if kind == "upload" and answered < began:
            assert what in in_copy
        if kind == "delete" and answered < began:
            assert what not in in_copy

    # Restore into a new instance whose data key was kept apart from the backup.
    wrong = served("wrong-key", prepare=False, start=False, data_key="44" * 32)
    refused = cli(wrong, "restore", str(target))
    assert refused.exit_code != 0 and "Ключ данных" in refused.output
    assert not wrong.database.exists() and blob_files(wrong.files) == set()
    restored = served("restored", prepare=False, start=False)
    done = cli(restored, "restore", str(target))
    assert done.exit_code == 0, done.output
    for table in names:
        assert rows(restored.database, table) == rows(backup, table), table
    storage = restored.storage()
    keys = set()
    for version in rows(restored.database, "document_versions"):
        data = storage.get(version["file_key"])
        assert hashlib.sha256(data).hexdigest() == version["sha256"]
        assert len(data) == version["size"]
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert len(pdf.pages) == version["pages"]
        if version["thumb_key"]:
            assert storage.get(version["thumb_key"]).startswith(b"\xff\xd8")
        keys |= {version["file_key"], version["thumb_key"], version["original_key"]} - {None}
    assert blob_files(restored.files) == keys  # nothing more than the copy refers to

    # The restored instance serves: the worker signs in and downloads a document.
    app = create_app(restored.settings())
    try:
        client = app.test_client()
        assert AuthActions(client).login().headers["Location"] == "/"
        versions = rows(restored.database, "document_versions")
        newest = max(versions, key=lambda v: (v["document_id"], v["number"]))
        download = client.get(f"/documents/{newest['document_id']}/file")
        assert download.status_code == 200
        assert hashlib.sha256(download.data).hexdigest() == newest["sha256"]
    finally:
        close_keeper(app)
