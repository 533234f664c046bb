"""Sign-in factors in a real browser: passkeys through the DevTools virtual authenticator,
the authenticator app with codes computed independently, SMS codes and recovery codes."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, watch
from tests.conftest import PASSWORD, create_active_user

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server):
    """The live server reached as http://localhost:<port>: WebAuthn needs a domain, not an IP."""
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://localhost:{port}"
    live_server.app.config["WEBAUTHN_ORIGINS"] = [base]
    create_active_user(live_server.app, n=1, email="maria@example.ru")
    return base


def virtual_authenticator(context, page, **options):
    """A platform authenticator with resident keys and user verification (fingerprint/face);
    `options` override the DevTools authenticator options."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    defaults = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {**defaults, **options}})
    return cdp, made["authenticatorId"]


def password_sign_in(page, base, login="+79120000001"):
    page.goto(base + "/login")
    page.get_by_label("Телефон, email или СНИЛС").fill(login)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()


def sign_out(page, base):
    page.locator("header").get_by_role("button", name="Выйти", exact=True).click()
    expect(page).to_have_url(base + "/login?signed_out=1")


def outbox_code(context, base, recipient="+79120000001"):
    tab = context.new_page()
    tab.goto(base + "/dev/outbox")
    body = tab.locator(f'.outbox-item[data-recipient="{recipient}"] pre').first.inner_text()
    tab.close()
    return re.search(r"#(\d{6})\s*$", body).group(1)


def test_passkey_register_autofill_button_rename_delete(site, new_context):
    context = new_context("phone")
    page = context.new_page()
    seen = watch(page)
    cdp, authenticator = virtual_authenticator(context, page)

    password_sign_in(page, site)
    expect(page).to_have_url(site + "/")
    page.goto(site + "/security/enrol")
    expect(page.get_by_role("heading", level=1)).to_have_text("Защитите вход")
    shot(page, "factors-01-enrol-360")
    page.get_by_role("button", name="Создать ключ доступа").click()
    expect(page).to_have_url(site + "/security/enrol?backup=1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Добавьте запасной способ")
    shot(page, "factors-02-backup-prompt-360")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True

    # Sign out; the login page offers the passkey through autofill (conditional mediation),
    # which the virtual authenticator accepts at once, as a person picking it would.
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.locator("header").get_by_role("button", name="Выйти", exact=True).click()
    page.wait_for_url(site + "/login?signed_out=1")
    started = time.monotonic()
    mark = len(requests)
    expect(page).to_have_url(site + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Здравствуйте")
    autofill_seconds = time.monotonic() - started
    sign_in_requests = requests[mark:]
    assert any(u.endswith("/login/passkey") for u in sign_in_requests)
    print(
        f"passkey autofill sign-in: {len(sign_in_requests)} requests, "
        f"{autofill_seconds:.2f} s from the login page to the dashboard"
    )

    # The button, on another browser that holds the same passkey but offers no autofill
    # (the virtual authenticator answers autofill requests at once, so it is switched off).
    other = new_context("phone")
    other.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
    )
    button_page = other.new_page()
    seen_other = watch(button_page)
    other_cdp, other_authenticator = virtual_authenticator(other, button_page)
    current = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert current["credentials"][0]["signCount"] >= 1  # the autofill sign-in counted
    other_cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": other_authenticator, "credential": current["credentials"][0]},
    )
    button_page.goto(site + "/login")
    shot(button_page, "factors-02b-login-with-passkey-button-360")
    button_page.get_by_role("button", name="Войти с ключом доступа").click()
    expect(button_page).to_have_url(site + "/")
    expect(button_page.get_by_role("heading", level=1)).to_contain_text("Здравствуйте")
    assert seen.problems() == []
    # The first phone's copy of the passkey is now behind on its signature counter (a
    # clone, as far as the server can tell), so the rest happens on the second browser.
    page, seen, cdp, authenticator = button_page, seen_other, other_cdp, other_authenticator

    # Rename on the security page.
    page.goto(site + "/security")
    shot(page, "factors-03-security-360")
    expect(page.get_by_text("Защита: высокая")).to_be_visible()
    page.get_by_text("Изменить").click()
    page.get_by_label("Название").fill("Мой телефон")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Название сохранено.")).to_be_visible()
    expect(page.locator("#passkeys strong", has_text="Мой телефон")).to_be_visible()

    # Delete after step-up: make the last strong sign-in older than five minutes.
    server_time_shift(site, minutes=6)
    try:
        page.get_by_text("Изменить").click()
        page.get_by_role("button", name="Удалить ключ").click()
        expect(page).to_have_url(site + "/verify")
        expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите действие")
        shot(page, "factors-04-step-up-360")
        page.get_by_role("button", name="Подтвердить отпечатком или лицом").click()
        expect(page).to_have_url(site + "/security")
        page.get_by_text("Изменить").click()
        page.get_by_role("button", name="Удалить ключ").click()
        expect(page.get_by_text("Ключ доступа удалён.")).to_be_visible()
    finally:
        server_time_shift(site, minutes=0)
    expect(page.get_by_text("Ключей доступа нет.")).to_be_visible()
    assert seen.problems() == []


def server_time_shift(site, *, minutes):
    """Move the server's clock (it runs in this process) forward by `minutes`."""
    from datetime import UTC, datetime, timedelta

    from webapp import clock

    clock.freeze(datetime.now(UTC) + timedelta(minutes=minutes) if minutes else None)


def test_authenticator_without_user_verification_is_only_a_second_factor(site, new_context):
    """A security key that cannot verify the user (no PIN, no biometrics) proves possession
    only: after the password it completes the sign-in; alone it is not enough.

    Chromium itself refuses a discoverable (username-less) sign-in on such a key, so the
    server's other half of the rule — a passkey assertion without UV leads to the second-factor
    page — is proven with a software authenticator in tests/web/test_factors.py
    (test_passkey_without_uv_asks_for_a_second_factor).
    """
    context = new_context("phone")
    page = context.new_page()
    cdp, authenticator = virtual_authenticator(context, page)
    password_sign_in(page, site)
    expect(page).to_have_url(site + "/")
    page.goto(site + "/security/enrol")
    page.get_by_role("button", name="Создать ключ доступа").click()
    expect(page).to_have_url(site + "/security/enrol?backup=1")
    saved = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})

    other = new_context("phone")
    other.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"
    )
    page = other.new_page()
    other_cdp, key = virtual_authenticator(
        other, page, transport="usb", hasUserVerification=False, isUserVerified=False
    )
    other_cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": key, "credential": saved["credentials"][0]},
    )
    page.goto(site + "/login")
    page.get_by_role("button", name="Войти с ключом доступа").click()
    expect(page.get_by_role("alert")).to_contain_text("Подтверждение отменено")
    expect(page).to_have_url(site + "/login")

    page.get_by_label("Телефон, email или СНИЛС").fill("+79120000001")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти", exact=True).click()
    expect(page).to_have_url(site + "/verify")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтвердите вход")
    shot(page, "factors-05-second-factor-verify-360")
    page.get_by_role("button", name="Подтвердить отпечатком или лицом").click()
    expect(page).to_have_url(site + "/")


def test_totp_enrol_sign_in_and_replay(site, new_context):
    context = new_context("phone")
    page = context.new_page()
    password_sign_in(page, site)
    expect(page).to_have_url(site + "/")
    page.goto(site + "/security/totp")
    shot(page, "factors-06-totp-360")
    expect(page.locator(".qr svg")).to_be_visible()
    key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(key)
    page.locator("#totp-code").fill(totp.now())
    page.get_by_role("button", name="Подключить").click()
    expect(page).to_have_url(site + "/security/enrol?backup=1")
    sign_out(page, site)

    # The step used at enrolment cannot be used again: wait for the next one.
    time.sleep(30 - time.time() % 30 + 0.5)
    code = totp.now()
    password_sign_in(page, site)
    expect(page).to_have_url(site + "/verify")
    page.locator("#totp-code").fill(code)
    page.locator("#totp-code").press("Enter")
    expect(page).to_have_url(site + "/")
    sign_out(page, site)

    password_sign_in(page, site)
    page.locator("#totp-code").fill(code)
    page.locator("#totp-code").press("Enter")
    expect(page.get_by_text("Этот код уже использован")).to_be_visible()
    shot(page, "factors-07-totp-replay-360")
    expect(page).to_have_url(site + "/verify/totp")


def test_sms_factor_and_recovery_codes(site, new_context):
    context = new_context("phone", accept_downloads=True)
    page = context.new_page()
    password_sign_in(page, site)
    expect(page).to_have_url(site + "/")
    page.goto(site + "/security/sms")
    shot(page, "factors-08-sms-360")
    page.get_by_role("button", name="Отправить код").click()
    page.locator("#sms-code").fill(outbox_code(context, site))
    page.get_by_role("button", name="Включить").click()
    expect(page).to_have_url(site + "/security/enrol?backup=1")
    page.get_by_role("button", name="Создать коды").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Коды восстановления")
    shot(page, "factors-09-recovery-codes-360")
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.get_by_role("button", name="Скачать .txt").click()
    with open(download.value.path(), encoding="utf-8") as saved:
        text = saved.read()
    assert all(code in text for code in codes)
    page.get_by_role("link", name="Я сохранил коды").click()
    expect(page).to_have_url(site + "/security")
    sign_out(page, site)

    # Sign in with a recovery code; the owner is told and asked to re-enrol.
    password_sign_in(page, site)
    expect(page).to_have_url(site + "/verify")
    page.get_by_text("Нет доступа к устройству?").click()
    page.get_by_label("Код восстановления").fill(codes[0])
    page.get_by_role("button", name="Войти с кодом восстановления").click()
    expect(page).to_have_url(site + "/security")
    expect(page.get_by_text("Осталось 9 из 10")).to_be_visible()
    page.goto(site + "/notifications")
    expect(page.get_by_text("Использован код восстановления", exact=True)).to_be_visible()
    shot(page, "factors-10-notifications-360")
    sign_out(page, site)

    # And with an SMS code.
    password_sign_in(page, site)
    page.get_by_role("button", name=re.compile("Получить код на")).click()
    expect(page.get_by_text("Новый код можно запросить через")).to_be_visible()


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_factor_pages_look(site, new_context, kind):
    context = new_context(kind)
    page = context.new_page()
    seen = watch(page)
    width = page.viewport_size["width"]
    password_sign_in(page, site)
    expect(page).to_have_url(site + "/")
    for path, name in (
        ("/security", "security"),
        ("/security/enrol", "enrol"),
        ("/security/totp", "totp"),
        ("/notifications", "notifications"),
        ("/security/password", "password"),
        ("/account/phone", "phone"),
    ):
        page.goto(site + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"factors-page-{name}-{width}")
    sign_out(page, site)
    page.goto(site + "/recovery/assisted")
    shot(page, f"factors-page-assisted-{width}")
    assert seen.problems() == []
