"""A code step survives reload, back and a restored tab (issue 10: a reload after a wrong code
used to end on «405 Действие недоступно»)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot
from tests.conftest import PASSWORD, create_active_user, totp_now

pytestmark = pytest.mark.browser


def test_reload_back_and_restore_after_a_wrong_code(live_server, new_context):
    base = live_server.url
    create_active_user(live_server.app, totp=True)
    context = new_context("phone")
    page = context.new_page()
    page.goto(base + "/login")
    settle(page)
    page.get_by_label("Телефон, email или СНИЛС").fill("+79120000001")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")
    page.locator("#totp-code").fill("000000")
    page.locator("#totp-code").press("Enter")
    expect(page.get_by_text("Неверный код")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")
    expect(page.get_by_text("Действие недоступно")).to_have_count(0)
    shot(page, "reload-after-wrong-code-360")

    page.go_back()
    page.go_forward()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")

    restored = context.new_page()  # a tab the phone restores opens its last address anew
    restored.goto(page.url)
    expect(restored.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")
    restored.locator("#totp-code").fill(totp_now())
    restored.locator("#totp-code").press("Enter")
    expect(restored.get_by_role("heading", level=1)).to_contain_text("Здравствуйте")
