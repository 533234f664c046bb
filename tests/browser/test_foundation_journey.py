"""The foundation's acceptance journey on a 360×780 phone, through a real browser.

Register → SMS code from /dev/outbox → dashboard → sign out → sign in → a second device →
«Мои сессии» → end the other session (htmx) → the other device is signed out → sign out.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, sign_out, watch
from tests.conftest import PASSWORD, create_active_user, make_snils, static_url

pytestmark = pytest.mark.browser

PHONE_TYPED = "+7 912 555-01-02"
EMAIL = "anna.smirnova@example.ru"
WINDOWS_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


def read_sms_code(context, base_url: str) -> str:
    """Open /dev/outbox in a new tab and take the code from the newest SMS."""
    tab = context.new_page()
    tab.goto(base_url + "/dev/outbox")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Исходящие SMS и письма")
    sms = tab.locator('.outbox-item[data-channel="sms"]').first
    expect(sms).to_be_visible()
    assert re.sub(r"\D", "", sms.get_attribute("data-recipient")) == "79125550102"
    body = sms.locator("pre.message").inner_text()
    shot(tab, "journey-03-dev-outbox")
    match = re.search(r"#(\d{6})\s*$", body)
    assert match, f"no code at the end of the SMS: {body!r}"
    tab.close()
    return match.group(1)


def test_register_confirm_sign_in_and_revoke_another_device(live_server, new_context):
    base = live_server.url
    phone = new_context("phone")
    page = phone.new_page()
    seen = watch(page)

    # 1. Registration form
    page.goto(base + "/register")
    settle(page)  # the service worker installs on this first visit
    expect(page).to_have_title(re.compile("^Регистрация"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация")
    page.get_by_label("Фамилия").fill("Смирнова")
    page.get_by_label("Имя", exact=True).fill("Анна")
    page.get_by_label("Отчество").fill("Сергеевна")
    page.get_by_label("Дата рождения").fill("1988-03-14")
    page.get_by_label("СНИЛС").fill(make_snils(4242))
    page.get_by_label("Мобильный телефон").fill(PHONE_TYPED)
    page.get_by_label("Электронная почта").fill(EMAIL)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_label("Я даю согласие на обработку персональных данных").check()
    expect(page.get_by_label("Дата рождения")).to_have_value("1988-03-14")
    shot(page, "journey-01-register-filled")

    # 2. Submit → the confirmation step names the number the code went to
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page).to_have_url(base + "/register/confirm")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите телефон")
    expect(page.locator(".lead")).to_contain_text("912")
    shot(page, "journey-02-confirm-phone")

    # 3. The code from the dev outbox
    code = read_sms_code(phone, base)
    page.get_by_label("Код из SMS").fill(code)
    page.get_by_role("button", name="Подтвердить").click()

    # 4. Dashboard
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Здравствуйте, Анна!")
    expect(page.locator(".flash-success")).to_contain_text("Телефон подтверждён")
    expect(page.locator("#account-status")).to_contain_text("подтверждён")
    expect(page.locator("#account-status")).to_contain_text(EMAIL)
    expect(page.locator("#account-status .warn")).to_contain_text("не подтверждена")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("Главная")
    shot(page, "journey-04-dashboard")

    # 5. Sign out from the header
    sign_out(page)
    expect(page).to_have_url(base + "/login?signed_out=1")
    expect(page.get_by_role("status").filter(has_text="Вы вышли")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    expect(page.locator("nav.tabs")).to_have_count(0)
    shot(page, "journey-05-signed-out")

    # 6. Sign in with phone + password
    settle(page)
    page.get_by_label("Телефон, email или СНИЛС").fill(PHONE_TYPED)
    page.get_by_label("Пароль").fill(PASSWORD)
    shot(page, "journey-06-login-filled")
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Здравствуйте, Анна!")

    # 7. A second device signs in too
    other = new_context("desktop", user_agent=WINDOWS_UA)
    other_page = other.new_page()
    other_seen = watch(other_page)
    sign_in(other_page, base, EMAIL)
    shot(other_page, "journey-07-second-device-dashboard")

    # 8. «Мои сессии» via the Профиль tab: two sessions, this one marked
    page.locator("nav.tabs").get_by_role("link", name="Профиль").click()
    expect(page).to_have_url(base + "/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Профиль")
    page.get_by_role("link", name="Мои сессии").click()
    expect(page).to_have_url(base + "/account/sessions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Мои сессии")
    cards = page.locator("li.session")
    expect(cards).to_have_count(2)
    this_device = page.locator("li.session.current")
    expect(this_device).to_have_count(1)
    expect(this_device.locator(".badge")).to_have_text("это устройство")
    expect(this_device.get_by_role("button", name="Завершить")).to_have_count(0)
    other_card = page.locator("li.session:not(.current)")
    expect(other_card).to_contain_text("Windows")
    expect(page.get_by_role("button", name="Завершить все другие сессии")).to_be_visible()
    shot(page, "journey-08-two-sessions")

    # 9. End the other session: an htmx partial swap, not a page load
    page.evaluate("window.__noReload = true")
    with page.expect_response(re.compile(r"/account/sessions/\d+/revoke$")) as revoked:
        other_card.get_by_role("button", name="Завершить").click()
    assert revoked.value.status == 200
    assert revoked.value.request.headers.get("hx-request") == "true"
    expect(cards).to_have_count(1)
    expect(page.locator("li.session.current")).to_have_count(1)
    expect(page.locator(".flash-success")).to_have_text("Сессия завершена.")
    expect(page.get_by_role("button", name="Завершить все другие сессии")).to_have_count(0)
    assert page.evaluate("window.__noReload") is True  # same document: it was a partial update
    assert page.url == base + "/account/sessions"
    shot(page, "journey-09-one-session")

    # 10. The other device is signed out on its next request
    other_page.reload()
    expect(other_page).to_have_url(re.compile(re.escape(base) + r"/login(\?.*)?$"))
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Вход")
    expect(other_page.locator(".flash-info")).to_have_text("Войдите, чтобы продолжить.")
    shot(other_page, "journey-10-second-device-signed-out")

    # 11. Sign out on the first device
    sign_out(page)
    expect(page).to_have_url(base + "/login?signed_out=1")
    expect(page.get_by_role("status").filter(has_text="Вы вышли")).to_be_visible()
    page.goto(base + "/account/sessions")
    expect(page).to_have_url(re.compile(re.escape(base) + r"/login\?next="))
    shot(page, "journey-11-signed-out-again")

    assert seen.problems() == []
    assert other_seen.problems() == []


def test_late_answer_to_a_request_sent_before_sign_in_keeps_the_session(live_server, new_context):
    create_active_user(live_server.app)
    context = new_context("phone")
    page = context.new_page()
    page.goto(live_server("/login"))
    settle(page)
    before = next(c["value"] for c in context.cookies() if c["name"] == "medkab_session")
    sign_in(page, live_server.url, "+79120000001")
    after = next(c["value"] for c in context.cookies() if c["name"] == "medkab_session")
    assert after != before  # signing in rotated the session id

    # e.g. the service worker's first-visit precache, still in flight during the sign-in
    late = context.request.get(
        live_server(static_url(live_server.app, "css/app.css")),
        headers={"Cookie": f"medkab_session={before}"},
    )
    assert late.ok
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Здравствуйте", timeout=2000)
