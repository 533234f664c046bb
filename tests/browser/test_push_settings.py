"""Issue 12, item 5: «Уведомления на этом устройстве» in the notification settings. The page never
asks for permission by itself; the button does. Headless Chromium here has no push service, so
subscribing fails and the page says so in Russian, storing nothing; the device list and
«Отключить» work as plain forms."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, watch
from tests.conftest import create_active_user
from webapp.db import connect
from webapp.notifications import store

pytestmark = pytest.mark.browser

LOGIN = "+79125550121"
# Counts calls of Notification.requestPermission, before any of the page's own scripts run.
COUNT_ASKS = """
window.__medkabAsked = 0;
if (window.Notification) {
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => { window.__medkabAsked += 1; return ask(...args); };
}
"""
SERVICE_DOWN = "Не удалось подключить уведомления: сервис push недоступен. Попробуйте позже."
# Chromium's own console line when a browser context (incognito-like) subscribes.
NO_PUSH_HERE = r"does not support the Push API in incognito mode"


def devices(app) -> list[dict]:
    db = connect(app.config["DATABASE"])
    try:
        return list(db.query("select * from push_subscriptions order by id"))
    finally:
        db.close()


def add_device(app, user_id: int, name: str) -> None:
    """A device subscribed earlier, as the store keeps it."""
    db = connect(app.config["DATABASE"])
    try:
        store.save_push_subscription(
            db,
            user_id,
            endpoint=f"https://fcm.googleapis.com/fcm/send/{name.replace(' ', '-')}",
            p256dh="B" + "A" * 86,
            auth="A" * 22,
            device=name,
        )
    finally:
        db.close()


def test_permission_is_asked_only_by_the_button_and_devices_can_be_removed(
    live_server, new_context
):
    base = live_server.url
    user_id = create_active_user(live_server.app, phone=LOGIN)
    add_device(live_server.app, user_id, "Firefox, Windows")
    phone = new_context("phone")
    phone.add_init_script(COUNT_ASKS)
    page = phone.new_page()
    seen = watch(page)
    sign_in(page, base, LOGIN)

    # Reached the way a person does: Профиль → Профессиональные данные → Контакты и уведомления.
    page.goto(base + "/profile/record")
    page.get_by_role("link", name="Контакты и уведомления").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Контакты и уведомления")
    section = page.locator("#push")
    expect(section.get_by_role("heading", level=2)).to_have_text("Уведомления на этом устройстве")
    button = section.get_by_role("button", name="Включить уведомления на этом устройстве")
    expect(button).to_be_visible()
    settle(page)
    assert page.evaluate("Notification.permission") == "default"
    assert page.evaluate("window.__medkabAsked") == 0
    expect(section.locator(".push-list li")).to_have_count(1)
    expect(section.locator(".push-list")).to_contain_text("Firefox, Windows")
    shot(page, "push-01-settings-360")

    # Permission granted: the browser's push service is out of reach here, and the page says so.
    phone.grant_permissions(["notifications"], origin=base)
    button.click()
    status = section.get_by_role("status")
    expect(status).to_have_text(SERVICE_DOWN, timeout=30_000)
    expect(button).to_be_enabled()
    assert page.evaluate("window.__medkabAsked") == 1
    assert page.evaluate("Notification.permission") == "granted"
    assert [d["device"] for d in devices(live_server.app)] == ["Firefox, Windows"]
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header where it belongs
    shot(page, "push-02-service-down-360")

    # «Отключить» is a form: the device goes, the page says which.
    section.get_by_role("button", name="Отключить уведомления: Firefox, Windows").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Уведомления на устройстве «Firefox, Windows» отключены."
    )
    expect(page.locator("#push")).to_contain_text("Пока ни на одном.")
    assert devices(live_server.app) == []
    shot(page, "push-03-removed-360")
    assert seen.problems(allow=[NO_PUSH_HERE]) == []


def test_a_refused_permission_is_explained_and_the_desktop_page_looks_right(
    live_server, new_context
):
    base = live_server.url
    user_id = create_active_user(live_server.app, phone=LOGIN)
    for name in ("Chrome, Android", "Safari, iPhone"):
        add_device(live_server.app, user_id, name)
    desktop = new_context("desktop")
    desktop.add_init_script(COUNT_ASKS)
    page = desktop.new_page()
    seen = watch(page)
    sign_in(page, base, LOGIN)
    page.goto(base + "/profile/contacts")
    settle(page)
    expect(page.locator("#push .push-list li")).to_have_count(2)
    assert page.evaluate("window.__medkabAsked") == 0
    shot(page, "push-04-settings-1280")

    # Nobody answers the prompt in a headless browser: Chromium answers «denied» for them.
    page.get_by_role("button", name="Включить уведомления на этом устройстве").click()
    expect(page.locator("#push").get_by_role("status")).to_have_text(
        "Уведомления запрещены в настройках браузера. Разрешите их для этого сайта и нажмите "
        "кнопку ещё раз.",
        timeout=15_000,
    )
    assert page.evaluate("window.__medkabAsked") == 1
    assert len(devices(live_server.app)) == 2
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header where it belongs
    shot(page, "push-05-not-allowed-1280")
    assert seen.problems() == []
