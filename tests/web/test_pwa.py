"""The service worker's settings, the shell's one version, the snapshot marks, the snapshot page
list and the share target's fallback (DESIGN §8, issue 12)."""

import gzip
import io
import json
import re
from datetime import datetime, timedelta

from tests.conftest import create_active_user, static_url
from tests.web.applications_setup import add_submitted, ready_worker
from webapp.config import ROOT
from webapp.pwa import shell, snapshot

HEADER = "X-Medkab-Snapshot"


def settings_of(client) -> dict:
    with client.get("/sw.js") as response:
        source = response.get_data(as_text=True)
    first, _, rest = source.partition("\n")
    assert first.startswith("const SETTINGS = ") and first.endswith(";")
    assert rest == (ROOT / "service_worker" / "sw.js").read_text()
    return json.loads(first.removeprefix("const SETTINGS = ").removesuffix(";"))


def test_the_worker_precaches_every_script_and_style_a_page_loads(client):
    settings = settings_of(client)
    page = client.get("/offline").get_data(as_text=True)
    loaded = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    assert loaded  # the offline page loads the shell: every piece of it must be precached
    assert loaded <= set(settings["shell"])
    for url in settings["shell"]:
        with client.get(url) as response:
            assert response.status_code == 200, url
    assert settings["store"] in settings["shell"]


def test_one_place_names_the_vendored_htmx(client):
    """The htmx file name is written in webapp/pwa/shell.py only; pages and worker follow it."""
    name = shell.SCRIPTS["htmx"].rsplit("/", 1)[1]
    assert (ROOT / "static" / shell.SCRIPTS["htmx"]).exists()
    mentions = [
        path.relative_to(ROOT).as_posix()
        for folder in ("templates", "static/js", "service_worker", "webapp")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in {".html", ".js", ".py"} and name in path.read_text()
    ]
    assert mentions == ["webapp/pwa/shell.py"]
    url = static_url(client.application, shell.SCRIPTS["htmx"])
    assert url.startswith("/static/vendor/htmx-2.0.11.min.")  # + the content hash
    assert f'src="{url}"' in client.get("/login").get_data(as_text=True)
    assert url in settings_of(client)["shell"]


def test_the_version_changes_with_a_release_and_only_then(app, client):
    first = settings_of(client)["version"]
    assert settings_of(client)["version"] == first
    app.config["RELEASE"] = "2026-12-01"
    second = settings_of(client)["version"]
    assert second != first and re.fullmatch(r"[0-9a-f]{12}", second)


def test_kept_pages_are_marked_for_the_signed_in_owner_only(app, client, auth):
    user_id = ready_worker(app)
    auth.login()
    before = datetime.now()
    for path in ("/", "/applications", "/profile", "/profile/record", "/documents"):
        response = client.get(path)
        assert response.status_code == 200, path
        mark = response.headers[HEADER]
        until, user, zone = re.fullmatch(r"until=(\d+); user=(\d+); zone=(.+)", mark).groups()
        assert int(user) == user_id and zone == "Europe/Moscow"
        end = datetime.fromtimestamp(int(until) / 1000)
        lifetime = timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])
        assert before + lifetime - timedelta(minutes=1) < end < before + lifetime + timedelta(1)
        assert response.headers["Cache-Control"] == "no-store"  # no other cache may keep it
    # not kept: other pages, fragments, answers to a POST, other people
    assert HEADER not in client.get("/security").headers
    assert HEADER not in client.get("/applications", headers={"HX-Request": "true"}).headers
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    assert HEADER in client.get("/applications", headers=boosted).headers
    auth.logout()
    assert HEADER not in client.get("/login").headers
    assert HEADER not in client.get("/", follow_redirects=True).headers


def test_snapshot_pages_list_the_person_s_own_timelines_without_drafts(app, client, auth, db):
    user_id = ready_worker(app)
    other = create_active_user(app, n=2)
    storage = app.extensions["storage"]
    mine = add_submitted(db, storage, user_id)
    theirs = add_submitted(db, storage, other)
    assert client.get("/pwa/snapshot-pages").status_code == 302  # sign-in first
    auth.login()
    client.get("/applications/new?kind=periodic&specialty=Терапия")  # a draft
    response = client.get("/pwa/snapshot-pages")
    assert response.headers["Cache-Control"] == "no-store"
    pages = response.get_json()["pages"]
    assert f"/applications/{mine}" in pages
    assert f"/applications/{theirs}" not in pages
    drafts = [r["id"] for r in db.query("select id from applications where state = 'draft'")]
    assert not any(f"/applications/{d}" in pages for d in drafts)
    assert {"/", "/applications", "/profile/record", "/documents", "/documents/new"} <= set(pages)
    for page in pages:  # every listed page is one the worker keeps
        assert HEADER in client.get(page).headers, page
    assert len(pages) <= 7 + snapshot.APPLICATIONS


def test_the_manifest_names_the_share_target(client):
    manifest = client.get("/manifest.webmanifest").get_json()
    target = manifest["share_target"]
    assert target["action"] == "/documents/share" and target["method"] == "POST"
    assert target["enctype"] == "multipart/form-data"
    accepts = target["params"]["files"][0]["accept"]
    assert "application/pdf" in accepts and "image/*" in accepts


def test_a_share_that_reaches_the_server_is_explained_and_stores_nothing(app, client, auth, db):
    ready_worker(app)
    auth.login()
    response = client.post(
        "/documents/share",
        data={"files": (io.BytesIO((ROOT / "static/icons/icon-192.png").read_bytes()), "x.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/documents/new"
    page = client.get("/documents/new").get_data(as_text=True)
    assert "Файл не удалось принять" in page
    assert db.execute("select count(*) from documents").fetchone()[0] == 0
    assert client.get("/documents/share").status_code in (303, 405)


def test_the_shell_stays_within_100_kb_gzipped(client):
    total = 0
    for url in settings_of(client)["shell"]:
        with client.get(url) as response:
            total += len(gzip.compress(response.data, 9))
    assert total <= 100 * 1024, f"{total / 1024:.1f} KB"


def test_the_manifest_and_the_worker_answer_304_when_unchanged(client):
    for path in ("/manifest.webmanifest", "/sw.js"):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
