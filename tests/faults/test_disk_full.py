"""A disk that is full (issue 13, item 4c): a real tmpfs of a few megabytes, really filled.

The files' disk full while a document is stored: a clear Russian answer (JSON for the page's
script, a page for a plain form post), the key's claim released, no row and no partial file —
and once there is space the same key stores the document once. The database's disk full: each
write answers the Russian page, never a 500, every answered write is there and the database is
intact; with space again the next write is stored.
"""

import uuid

import pytest

from tests.faults.conftest import blob_files, fill, integrity, nmo_entry, photo

pytestmark = pytest.mark.faults

FULL = "Не хватает места на сервере: документ не сохранён"


def test_files_disk_full_refuses_the_upload_in_russian_and_keeps_nothing(small_disk, served):
    files = small_disk("files", "3m")
    server = served(files=files)
    browser = server.browser()
    browser.sign_in()
    token = browser.csrf()
    page = [("page.jpg", photo(7))]
    filler = fill(files, leave=96 * 1024)  # room for a directory, not for the PDF

    key = str(uuid.uuid4())
    answer = browser.upload(page, key, token=token)
    assert answer.status == 507, answer.text[:300]
    assert answer.json()["error"].startswith(FULL)
    plain = browser.upload(page, str(uuid.uuid4()), token=token, accept="text/html")
    assert plain.status == 507 and FULL in plain.text  # the form again, with the reason
    assert 'name="doc_type"' in plain.text and "Traceback" not in plain.text

    assert server.rows("documents") == [] and server.rows("document_versions") == []
    assert server.rows("uploads") == []  # both claims released: the keys may be tried again
    assert blob_files(files) == {"filler"}  # no temp file cut short, no lone blob

    filler.unlink()
    retry = browser.upload(page, key, token=token)
    assert retry.status == 201, retry.text[:300]
    again = browser.upload(page, key, token=token)
    assert again.status == 200 and again.json() == retry.json()
    [version] = server.rows("document_versions")
    assert server.storage().get(version["file_key"]).startswith(b"%PDF")


def test_database_disk_full_answers_a_russian_page_and_loses_no_answered_write(small_disk, served):
    disk = small_disk("database", "4m")
    server = served(database=disk / "medkab.sqlite3")
    browser = server.browser()
    browser.sign_in()
    token = browser.csrf("/profile/nmo/new")
    filler = fill(disk, leave=64 * 1024)  # a few writes fit, then the WAL cannot grow

    answered, statuses = [], []
    for n in range(500):  # the WAL takes what space is left; then a write cannot be kept
        answer = browser.post_form("/profile/nmo/new", nmo_entry(f"full-{n}", token))
        statuses.append(answer.status)
        if answer.status == 303:
            answered.append(f"full-{n}")
        else:
            break
    assert statuses[-1] == 507, (statuses[-1], answer.text[:500])
    assert "Не хватает места на сервере" in answer.text and "Traceback" not in answer.text
    assert browser.get("/profile/nmo").status == 200  # reading still works

    filler.unlink()
    assert integrity(server.database) == "ok"
    titles = {row["title"] for row in server.rows("nmo_entries")}
    assert titles == set(answered)
    after = browser.post_form("/profile/nmo/new", nmo_entry("after", token))
    assert after.status == 303
    assert "after" in {row["title"] for row in server.rows("nmo_entries")}
