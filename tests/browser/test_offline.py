"""The service worker registers on http://127.0.0.1 and serves /offline without a network."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in, watch
from tests.conftest import create_active_user

pytestmark = pytest.mark.browser

OFFLINE_TEXT = "Нет соединения с интернетом"


def test_service_worker_serves_the_offline_page(live_server, new_context):
    context = new_context("phone")
    page = context.new_page()
    seen = watch(page)
    page.goto(live_server("/login"))

    assert page.evaluate("window.isSecureContext") is True
    registration = page.evaluate(
        """async () => {
        const ready = await navigator.serviceWorker.ready;
        return {scope: ready.scope, script: ready.active.scriptURL,
                offlineCached: Boolean(await caches.match("/offline"))};
        }"""
    )
    assert registration == {
        "scope": live_server("/"),
        "script": live_server("/sw.js"),
        "offlineCached": True,
    }
    assert len(context.service_workers) == 1

    context.set_offline(True)
    try:
        response = page.goto(live_server("/documents"))
        # the worker answered with the precached page; the address stays what was asked for
        assert response.status == 200
        assert response.from_service_worker
        assert page.url == live_server("/documents")
        expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_TEXT)
        expect(page.get_by_role("link", name="Обновить")).to_be_visible()
        shot(page, "offline-via-service-worker-360")
        # everything the offline page loads must come from the precache, or it breaks offline
        not_precached = page.evaluate(
            """async () => {
            const urls = [...document.querySelectorAll(
                "script[src], link[rel=stylesheet], link[rel=icon], link[rel=manifest], img[src]")]
                .map((e) => e.src || e.href);
            const missing = [];
            for (const url of urls) {
                if (!(await caches.match(url))) missing.push(new URL(url).pathname);
            }
            return missing;
            }"""
        )
        assert not_precached == []
    finally:
        context.set_offline(False)

    # back online: the offline page reloads itself into the real answer (sign-in required)
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    assert page.url.startswith(live_server("/login"))
    assert seen.problems() == []


def test_tab_click_while_offline_shows_the_offline_page(live_server, new_context):
    """Tabs are boosted (htmx requests): offline they too must end on the offline page."""
    create_active_user(live_server.app)
    context = new_context("phone")
    page = context.new_page()
    sign_in(page, live_server.url, "+79120000001")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")

    context.set_offline(True)
    try:
        page.locator("nav.tabs").get_by_role("link", name="Документы").click()
        # the worker gives up on the network after 3 s
        expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_TEXT, timeout=6000)
    finally:
        shot(page, "offline-tab-click-360")
        context.set_offline(False)
    # back online, the offline page reloads itself into the page the tab asked for
    expect(page.get_by_role("heading", level=1)).to_have_text("Мои документы", timeout=15_000)
    page.wait_for_load_state("networkidle")


def test_offline_page_retries_by_itself_while_the_browser_is_online(live_server, new_context):
    """The server (not the device) was unreachable: no «online» event will come, so the offline
    page tries again by itself after 1 s, then 2 s, … until the page comes back."""
    context = new_context("phone")
    page = context.new_page()
    page.goto(live_server("/login"))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # controlled by the worker from now on
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")

    refused = []

    def unreachable(route):
        refused.append(route.request.url)
        route.abort("connectionrefused")

    context.route("**/documents", unreachable)  # the worker's own fetch goes through here too
    page.goto(live_server("/documents"))
    expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_TEXT)
    assert page.evaluate("navigator.onLine") is True
    assert page.evaluate("sessionStorage.getItem('medkab:offline-retries')") == "1"
    # the first retry (after 1 s) still finds the server unreachable: the next waits 2 s
    page.wait_for_function("() => sessionStorage.getItem('medkab:offline-retries') === '2'")
    expect(page.get_by_role("heading", level=1)).to_have_text(OFFLINE_TEXT)
    assert len(refused) >= 2

    context.unroute("**/documents", unreachable)
    # the server is back: within the 2 s wait the page turns into the real answer by itself
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход", timeout=6000)
    assert page.url.startswith(live_server("/login"))
    assert page.evaluate("sessionStorage.getItem('medkab:offline-retries')") is None
