"""The app on the phone: the opt-in offline snapshot, updates, sign-out clearing, the outbox of
documents captured offline, the share target and installability (DESIGN §8, issue 12)."""

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, PHONE, settle, shot, sign_in, watch
from tests.fixtures.make_fixtures import ensure_fixtures
from tests.web.applications_setup import add_submitted, ready_worker
from webapp.db import connect

pytestmark = pytest.mark.browser

LOGIN = "+79120000001"
SNAPSHOT_BANNER = "Нет сети. Данные на"
OFFLINE_HEADING = "Нет соединения с интернетом"

CACHE_STATE = """async () => {
    const names = await caches.keys();
    const personal = [];
    for (const name of names) {
        for (const request of await (await caches.open(name)).keys()) {
            const path = new URL(request.url).pathname;
            const shell = ["/offline", "/manifest.webmanifest"].includes(path);
            if (!path.startsWith("/static/") && !shell) {
                personal.push(name + " " + path);
            }
        }
    }
    const databases = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [];
    return {names, personal, databases};
}"""


# What the device's IndexedDB holds, opened without creating anything.
STORED = """async () => {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes("medkab")) return {outbox: 0, state: 0};
    const db = await new Promise((resolve) => {
        const r = indexedDB.open("medkab");
        r.onsuccess = () => resolve(r.result);
    });
    const count = (name) => new Promise((resolve) => {
        const r = db.transaction(name).objectStore(name).count();
        r.onsuccess = () => resolve(r.result);
    });
    const result = {outbox: await count("outbox"), state: await count("state")};
    db.close();
    return result;
}"""


@pytest.fixture(scope="module")
def fixtures():
    return ensure_fixtures()


def worker_with_applications(app) -> list[int]:
    """The worker of LOGIN with two submitted applications; returns their ids."""
    user_id = ready_worker(app)
    db = connect(app.config["DATABASE"])
    try:
        storage = app.extensions["storage"]
        return [add_submitted(db, storage, user_id), add_submitted(db, storage, user_id)]
    finally:
        db.close()


def controlled(page) -> None:
    """Wait until the service worker controls the page (the first load is not controlled)."""
    settle(page)
    if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        page.reload()
        settle(page)
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")


def turn_on_snapshot(page, base_url: str) -> None:
    page.goto(base_url + "/profile")
    toggle = page.get_by_label("Доступ без сети на этом устройстве")
    expect(toggle).to_be_enabled()
    toggle.check()
    expect(page.locator("[data-snapshot-status]")).to_contain_text("Сохранено страниц:")


def moscow_time() -> str:
    return datetime.now(ZoneInfo("Europe/Moscow")).strftime("%H:%M")


def signed_in_phone(live_server, new_context, kind="phone"):
    """A phone (or desktop) signed in as the worker, its page controlled by the service worker."""
    context = new_context(kind)
    page = context.new_page()
    sign_in(page, live_server.url, LOGIN)
    controlled(page)
    return context, page


def add_refused(page, error: str) -> None:
    """A document in the outbox that the server refused: kept with its reason, not retried."""
    page.evaluate(
        """(error) => window.medkabStore.outbox.add({key: crypto.randomUUID(),
            user: document.getElementById("app").dataset.user, action: "/documents/upload",
            fields: [["doc_type", "diploma"]], pages: [{blob: new Blob(["x"]), name: "p.jpg"}],
            label: "Диплом с приложением", created: Date.now(), error})""",
        error,
    )


def documents_of(app) -> list[dict]:
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query("select id, doc_type, title from documents order by id"))
    finally:
        db.close()


# ---------------------------------------------------------------- the offline snapshot


def test_opted_in_pages_read_offline_with_their_time_and_nothing_else(
    live_server, new_context, fixtures
):
    ids = worker_with_applications(live_server.app)
    context = new_context("phone")
    page = context.new_page()
    seen = watch(page)
    sign_in(page, live_server.url, LOGIN)
    controlled(page)
    turn_on_snapshot(page, live_server.url)
    shot(page, "snapshot-toggle-on-360")
    visited = {
        "/": "Здравствуйте",
        "/applications": "Мои заявления",
        f"/applications/{ids[0]}": "А-2026-",
        "/profile/record": "Профессиональные данные",
        "/documents": "Мои документы",
    }
    for path in visited:
        page.goto(live_server(path))
    saved_at = moscow_time()

    context.set_offline(True)
    try:
        for path, heading in visited.items():
            started = time.monotonic()
            response = page.goto(live_server(path))
            expect(page.locator(".snapshot-banner")).to_contain_text(SNAPSHOT_BANNER)
            took = time.monotonic() - started
            assert took < 1.0, f"{path} took {took:.2f} s offline"
            assert response.from_service_worker
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            # read-only: nothing on a kept page can be sent
            assert page.locator("main form:visible, header form:visible").count() == 0
        banner = page.locator(".snapshot-banner").inner_text()
        assert banner.startswith(SNAPSHOT_BANNER) and "только просмотр" in banner
        assert saved_at in banner or moscow_time() in banner  # the person's zone, not the device's
        # the timeline of the application is there
        page.goto(live_server(f"/applications/{ids[0]}"))
        expect(page.locator("main")).to_contain_text("Ход рассмотрения")
        expect(page.locator(".timeline")).to_contain_text("Подано")
        shot(page, "snapshot-application-offline-360")
        # «Новый документ» is kept too, and its capture still works: the photo waits on the phone
        page.goto(live_server("/documents/new"))
        expect(page.locator(".snapshot-banner")).to_be_visible()
        page.get_by_label("Тип документа").select_option("diploma")
        page.set_input_files("#camera", str(fixtures["orientation_1.jpg"]))
        page.get_by_role("button", name="Сохранить документ").click()
        expect(page.locator("#capture-queued")).to_contain_text("сохранён на телефоне")
        # a page never kept (security settings) gives the offline page
        page.goto(live_server("/security"))
        expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_HEADING)
        # the files themselves are not in the snapshot
        state = page.evaluate(CACHE_STATE)
        assert not [p for p in state["personal"] if "/file" in p or p.endswith(".pdf")]
    finally:
        context.set_offline(False)
    assert seen.problems(allow=[r"ERR_INTERNET_DISCONNECTED", r"Failed to fetch"]) == []


def test_without_the_opt_in_nothing_personal_is_kept(live_server, new_context):
    worker_with_applications(live_server.app)
    context, page = signed_in_phone(live_server, new_context)
    for path in ("/", "/applications", "/profile/record", "/documents"):
        page.goto(live_server(path))
    state = page.evaluate(CACHE_STATE)
    assert state["personal"] == []
    context.set_offline(True)
    try:
        page.goto(live_server("/applications"))
        expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_HEADING)
    finally:
        context.set_offline(False)


def test_sign_out_leaves_nothing_personal_on_the_device(live_server, new_context):
    worker_with_applications(live_server.app)
    context, page = signed_in_phone(live_server, new_context)
    turn_on_snapshot(page, live_server.url)
    # one document waits in the outbox: the server refused it (too big), so it is not retried
    page.goto(live_server("/documents/new"))
    add_refused(page, "Файлы слишком большие.")
    expect(page.locator("#outbox-list li")).to_contain_text("Не принят: Файлы слишком большие.")
    page.goto(live_server("/"))
    expect(page.locator("[data-outbox-count]")).to_contain_text("1 не отправлено")
    before = page.evaluate(CACHE_STATE)
    assert before["personal"]
    assert page.evaluate(STORED)["outbox"] == 1

    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.locator("header").get_by_role("button", name="Выйти", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    assert questions and "не отправлен" in questions[0]
    page.wait_for_function("""async () => !(await caches.keys()).includes("medkab-snapshot")""")
    after = page.evaluate(CACHE_STATE)
    assert after["personal"] == []
    assert page.evaluate(STORED) == {"outbox": 0, "state": 0}
    assert any(name.startswith("medkab-shell-") for name in after["names"])  # the shell stays


# ---------------------------------------------------------------- updates


def test_a_new_version_is_offered_and_leaves_only_its_caches(live_server, new_context):
    context = new_context("phone")
    page = context.new_page()
    page.goto(live_server("/login"))
    controlled(page)
    first = page.evaluate("caches.keys()")
    assert len([n for n in first if n.startswith("medkab-shell-")]) == 1

    live_server.app.config["RELEASE"] = "next-release"  # a deployment: /sw.js changes
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = page.locator(".update-banner")
    expect(banner).to_contain_text("Доступна новая версия")
    shot(page, "update-offered-360")
    with page.expect_navigation():
        banner.get_by_role("button", name="Обновить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    page.wait_for_function(
        """async (old) => {
            const names = (await caches.keys()).filter((n) => n.startsWith("medkab-shell-"));
            return names.length === 1 && names[0] !== old;
        }""",
        arg=first[0],
    )
    names = page.evaluate("caches.keys()")
    assert first[0] not in names
    assert page.locator(".update-banner").count() == 0


# ---------------------------------------------------------------- the outbox


def test_two_documents_captured_offline_arrive_once_each(live_server, new_context, fixtures):
    ready_worker(live_server.app)
    context = new_context("phone")
    page = context.new_page()
    seen = watch(page)
    sign_in(page, live_server.url, LOGIN)
    controlled(page)
    page.goto(live_server("/documents/new"))
    settle(page)

    context.set_offline(True)
    for doc_type, photo in (("diploma", "orientation_1.jpg"), ("other", "orientation_3.jpg")):
        page.get_by_label("Тип документа").select_option(doc_type)
        page.set_input_files("#camera", str(fixtures[photo]))
        expect(page.locator("#capture-pages li")).to_have_count(1)
        page.get_by_role("button", name="Сохранить документ").click()
        expect(page.locator("#capture-queued")).to_contain_text("сохранён на телефоне")
    expect(page.locator("#outbox-list li")).to_have_count(2)
    shot(page, "outbox-two-waiting-360")
    page.reload()  # offline: the offline page, the outbox survives
    expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_HEADING)
    expect(page.locator("[data-outbox-count]")).to_contain_text("2 не отправлено")
    assert documents_of(live_server.app) == []

    context.set_offline(False)  # the page sends them and reloads itself
    expect(page.get_by_role("heading", level=1)).not_to_have_text(OFFLINE_HEADING, timeout=15_000)
    page.wait_for_function(
        "async () => (await window.medkabStore.outbox.list()).length === 0", timeout=15_000
    )
    stored = documents_of(live_server.app)
    assert sorted(d["doc_type"] for d in stored) == ["diploma", "other"]
    page.goto(live_server("/"))
    expect(page.locator("[data-outbox-count]")).to_be_hidden()
    assert seen.problems(allow=[r"ERR_INTERNET_DISCONNECTED", r"Failed to fetch"]) == []


def test_one_upload_replayed_three_times_two_at_once_makes_one(live_server, new_context, fixtures):
    ready_worker(live_server.app)
    context = new_context("phone")
    page = context.new_page()
    sign_in(page, live_server.url, LOGIN)
    photo = list(fixtures["orientation_1.jpg"].read_bytes())
    statuses = page.evaluate(
        """async (bytes) => {
        const key = crypto.randomUUID();
        const send = () => {
            const body = new FormData();
            body.append("doc_type", "diploma");
            body.append("pages", new Blob([new Uint8Array(bytes)], {type: "image/jpeg"}), "p.jpg");
            return fetch("/documents/upload", {method: "POST", body, headers: {
                "Idempotency-Key": key, "X-CSRFToken": window.medkab.csrfToken(),
                "Accept": "application/json"}}).then((r) => r.status);
        };
        const together = await Promise.all([send(), send()]);
        let last = await send();
        for (let i = 0; i < 20 && last === 409; i++) {
            await new Promise((r) => setTimeout(r, 250));
            last = await send();
        }
        return together.concat([last]);
        }""",
        photo,
    )
    assert sorted(statuses[:2])[0] in (200, 201) and statuses[2] in (200, 201), statuses
    assert set(statuses[:2]) <= {200, 201, 409}
    assert len(documents_of(live_server.app)) == 1


# ---------------------------------------------------------------- share target


def test_a_shared_photo_opens_new_document_with_it(live_server, new_context, fixtures):
    ready_worker(live_server.app)
    context, page = signed_in_phone(live_server, new_context)
    manifest = page.evaluate("fetch('/manifest.webmanifest').then((r) => r.json())")
    target = manifest["share_target"]
    assert target["method"] == "POST" and target["enctype"] == "multipart/form-data"
    # What Android does: a multipart POST navigation to the share target's action.
    action, field = live_server(target["action"]), target["params"]["files"][0]["name"]
    page.set_content(
        f'<form method="post" enctype="multipart/form-data" action="{action}">'
        f'<input type="file" name="{field}"><button>go</button></form>'
    )
    page.set_input_files("input[type=file]", str(fixtures["orientation_1.jpg"]))
    page.click("button")
    expect(page).to_have_url(live_server("/documents/new?shared=1"))
    expect(page.locator("#capture-pages li")).to_have_count(1)
    expect(page.locator("#capture-pages li")).to_contain_text("orientation_1.jpg")
    shot(page, "shared-photo-360")
    page.get_by_label("Тип документа").select_option("diploma")
    page.get_by_role("button", name="Сохранить документ").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Новый документ")
    assert [d["doc_type"] for d in documents_of(live_server.app)] == ["diploma"]
    # the shared file does not linger on the device
    assert page.evaluate("window.medkabStore.get('shared')") is None


# ---------------------------------------------------------------- install


def test_chromium_finds_the_app_installable(live_server, playwright_driver, tmp_path):
    """Installability is judged only in a normal (non-incognito) profile."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=LAUNCH_ARGS,
        **{k: v for k, v in PHONE.items()},
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(live_server("/login"))
        controlled(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], json.dumps(errors, ensure_ascii=False)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
    finally:
        context.close()


# ---------------------------------------------------------------- push


def test_a_push_shows_its_notice_and_a_tap_opens_its_page(live_server, new_context):
    context = new_context("phone")
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.goto(live_server("/login"))
    controlled(page)
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    registration = next(r for r in registrations if not r["isDeleted"])
    payload = {
        "title": "Заявление А-2026-000001",
        "body": "Новый статус",
        "url": "/offline",
        "tag": "application-1",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload, ensure_ascii=False),
        },
    )
    shown = page.wait_for_function(
        """async () => {
            const list = await (await navigator.serviceWorker.ready).getNotifications();
            const seen = list.map(
                (n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}));
            return seen.length ? seen : null;
        }"""
    ).json_value()
    assert shown == [payload]
    worker = context.service_workers[0]
    # A tap: the browser dispatches «notificationclick» to the worker; the open window goes to
    # the notice's page.
    worker.evaluate(
        """async () => {
            const [notice] = await self.registration.getNotifications();
            self.dispatchEvent(new NotificationEvent("notificationclick", {notification: notice}));
        }"""
    )
    expect(page).to_have_url(live_server("/offline"))
    expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_HEADING)


# ---------------------------------------------------------------- the look


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_device_card_outbox_and_snapshot_look(live_server, new_context, kind):
    ids = worker_with_applications(live_server.app)
    context = new_context(kind)
    page = context.new_page()
    seen = watch(page)
    sign_in(page, live_server.url, LOGIN)
    controlled(page)
    turn_on_snapshot(page, live_server.url)
    width = page.viewport_size["width"]
    shot(page, f"device-card-{width}")
    page.goto(live_server("/documents/new"))
    add_refused(page, "Файлы слишком большие. Уберите лишние страницы.")
    expect(page.locator("#outbox")).to_be_visible()
    shot(page, f"outbox-refused-{width}")
    page.goto(live_server("/"))
    expect(page.locator("[data-outbox-count]")).to_be_visible()
    shot(page, f"dashboard-unsent-{width}")
    page.goto(live_server(f"/applications/{ids[1]}"))
    context.set_offline(True)
    try:
        page.goto(live_server("/applications"))
        expect(page.locator(".snapshot-banner")).to_be_visible()
        shot(page, f"snapshot-list-offline-{width}")
    finally:
        context.set_offline(False)
    assert seen.problems(allow=[r"ERR_INTERNET_DISCONNECTED", r"Failed to fetch"]) == []


def test_the_snapshot_goes_when_turned_off_and_when_the_session_ends(live_server, new_context):
    worker_with_applications(live_server.app)
    context, page = signed_in_phone(live_server, new_context)
    turn_on_snapshot(page, live_server.url)
    assert page.evaluate(CACHE_STATE)["personal"]
    page.get_by_label("Доступ без сети на этом устройстве").uncheck()
    page.wait_for_function("""async () => !(await caches.keys()).includes("medkab-snapshot")""")
    assert page.evaluate(CACHE_STATE)["personal"] == []

    turn_on_snapshot(page, live_server.url)
    add_refused(page, "Отказ.")  # a waiting document belongs to the person, not the session
    db = connect(live_server.app.config["DATABASE"])
    db.execute("delete from sessions")  # the session ends on the server (timeout, «Завершить»)
    db.conn.commit()
    db.close()
    page.goto(live_server("/applications"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    page.wait_for_function("""async () => !(await caches.keys()).includes("medkab-snapshot")""")
    assert page.evaluate(CACHE_STATE)["personal"] == []
    assert page.evaluate(STORED)["outbox"] == 1
    context.set_offline(True)
    try:
        page.goto(live_server("/applications"))
        expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_HEADING)
    finally:
        context.set_offline(False)
