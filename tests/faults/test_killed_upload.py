"""`kill -9` of the gunicorn worker in the middle of an upload (issue 13, item 4a).

The client sends a four-page upload (≈4 MB) to real gunicorn with one worker; the worker is
SIGKILLed while it receives the body, while it turns the photos into a PDF (the idempotency key
already claimed), or while it writes the encrypted files. Nothing half-written may stay behind
once `documents-sweep` has run, and the client's retry with the same key must store the document
exactly once — at once, not after the five-minute grace of an abandoned claim.
"""

import http.client
import io
import os
import signal
import time
import uuid
from pathlib import Path

import pikepdf
import pytest

from tests.faults.conftest import blob_files, integrity, multipart, photo, serving, sweep

pytestmark = pytest.mark.faults

CHUNK = 64 * 1024
MOMENTS = ["receiving", "processing", "writing", "written"]


@pytest.fixture(scope="module")
def pages():
    return [(f"page-{n}.jpg", photo(n)) for n in range(4)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One gunicorn worker; a worker account per kill moment (the killed worker is replaced by
    the master, so the server outlives every test)."""
    with serving(tmp_path_factory.mktemp("killed-upload"), accounts=len(MOMENTS)) as server:
        yield server


def wait_until(condition, timeout=30.0, what="the moment to kill"):
    """Poll as fast as possible: some windows (a file being written) last milliseconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never saw {what}")


def start_upload(browser, pages, key, token):
    """Open the POST and send its headers; the body is sent by the caller."""
    body, content_type = multipart(
        {"csrf_token": token, "doc_type": "diploma"}, [("pages", n, d) for n, d in pages]
    )
    conn = browser.connection(timeout=60)
    conn.putrequest("POST", "/documents/upload", skip_host=True, skip_accept_encoding=True)
    headers = browser.headers(
        {
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Idempotency-Key": key,
            "Accept": "application/json",
        }
    )
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    return conn, body


def entries(root: Path) -> set[str]:
    """Every directory and file under a storage root (two fan-out levels), cheaply."""
    found = set()
    for level1 in os.scandir(root) if root.exists() else ():
        found.add(level1.name)
        for level2 in os.scandir(level1.path):
            found.add(f"{level1.name}/{level2.name}")
            found.update(f"{level1.name}/{level2.name}/{f.name}" for f in os.scandir(level2.path))
    return found


def complete_files(paths: set[str]) -> set[str]:
    """The finished blobs among entries (not directories, not temp files of a write)."""
    return {p for p in paths if p.count("/") == 2 and not p.rsplit("/", 1)[1].startswith(".tmp-")}


def referenced(server) -> set[str]:
    """Every storage key the database refers to."""
    return {
        v[k]
        for v in server.rows("document_versions")
        for k in ("file_key", "thumb_key", "original_key")
    } - {None}


def mine(server, table, user_id):
    """A table's rows that belong to one account (documents by user, versions by document)."""
    if table == "document_versions":
        ids = {d["id"] for d in mine(server, "documents", user_id)}
        return [v for v in server.rows(table) if v["document_id"] in ids]
    return [row for row in server.rows(table) if row["user_id"] == user_id]


@pytest.mark.parametrize("moment", MOMENTS)
def test_worker_killed_mid_upload_leaves_nothing_and_the_retry_stores_once(server, pages, moment):
    user_id = MOMENTS.index(moment) + 1
    browser = server.browser()
    browser.sign_in(phone=f"+7912{user_id:07d}")
    token = browser.csrf()
    key = str(uuid.uuid4())
    [worker] = server.worker_pids()
    files_before, before = blob_files(server.files), entries(server.files)

    conn, body = start_upload(browser, pages, key, token)
    if moment == "receiving":
        for start in range(0, len(body) // 2, CHUNK):  # half the body, slowly
            conn.send(body[start : start + CHUNK])
            time.sleep(0.005)
        time.sleep(0.3)
        assert mine(server, "uploads", user_id) == []  # still reading: nothing claimed yet
    else:
        conn.send(body)
        # Storing is: the PDF's fan-out directories, its temp file written, fsynced and renamed;
        # the same for the thumbnail; then one transaction for the rows.
        if moment == "processing":
            wait_until(lambda: mine(server, "uploads", user_id), what="the claim")
        elif moment == "writing":  # kill as the PDF's write begins
            wait_until(lambda: entries(server.files) != before, what="the first write")
        else:  # kill once the PDF is complete, before the rows are committed
            wait_until(
                lambda: complete_files(entries(server.files)) - before, what="a finished file"
            )
    os.kill(worker, signal.SIGKILL)
    if moment == "processing":
        assert blob_files(server.files) == files_before  # killed before anything was written
    with pytest.raises((OSError, http.client.HTTPException)):  # the connection just drops
        if moment == "receiving":
            conn.send(body[len(body) // 2 :])
        conn.getresponse()
    conn.close()
    server.wait_for_workers(other_than=[worker])

    # What the kill left: a consistent database and never a partly stored document.
    assert integrity(server.database) == "ok"
    documents = mine(server, "documents", user_id)
    versions = mine(server, "document_versions", user_id)
    claims = mine(server, "uploads", user_id)
    committed = bool(documents)
    if committed:  # the kill came after the commit: the answer was lost, the document is whole
        assert moment in ("writing", "written")
        assert len(documents) == len(versions) == 1 and claims[0]["state"] == "done"
    else:
        assert versions == []
        if moment == "receiving":
            assert claims == []
        else:  # the dead worker's claim: it must not hold the key for minutes
            [claim] = claims
            assert claim["state"] == "in_flight" and f"/{worker}/" in claim["claimed_by"]
    leftovers = blob_files(server.files) - referenced(server)
    if moment in ("receiving", "processing"):
        assert leftovers == set()
    if moment == "written" and not committed:
        assert complete_files(entries(server.files)) - before  # an orphan the sweep must take
    # A kill between writing a file and committing its row leaves a file nobody refers to (or a
    # temp file cut short): by design, the hourly sweep removes it.
    sweep(server)
    assert blob_files(server.files) == referenced(server)

    # The client's retry with the same key: stored once, at once.
    started = time.monotonic()
    retry = browser.upload(pages, key, token=token)
    assert retry.status == (200 if committed else 201), retry.text[:500]
    assert time.monotonic() - started < 20
    again = browser.upload(pages, key, token=token)
    assert again.status == 200 and again.json() == retry.json()
    assert retry.json()["pages"] == len(pages)

    [document] = mine(server, "documents", user_id)
    [version] = mine(server, "document_versions", user_id)
    assert document["id"] == retry.json()["id"] and version["pages"] == len(pages)
    [claim] = mine(server, "uploads", user_id)
    assert claim["state"] == "done" and claim["document_id"] == document["id"]
    storage = server.storage()
    keys = {version[k] for k in ("file_key", "thumb_key", "original_key")} - {None}
    assert keys <= blob_files(server.files) == referenced(server)
    with pikepdf.open(io.BytesIO(storage.get(version["file_key"]))) as pdf:
        assert len(pdf.pages) == len(pages)
