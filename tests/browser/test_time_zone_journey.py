"""Issue 10, item 4: a worker whose phone is in Yekaterinburg takes the device's zone from the
offer on «Часовой пояс» and then sees sign-in times in it; a desktop elsewhere is offered its own.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settle, shot, sign_in, watch
from tests.conftest import create_active_user

pytestmark = pytest.mark.browser

LOGIN = "+79125550111"
TIME = re.compile(r"(\d{1,2}) \w+ (\d{4}), (\d{2}):(\d{2})\xa0(МСК|UTC\+5)")


def shown_times(page) -> list[datetime]:
    """The times «История входов» shows, read back as moments (with their label's offset)."""
    found = []
    for text in page.locator(".event-list .meta").all_inner_texts():
        match = TIME.search(text)
        assert match, f"no labelled time in {text!r}"
        hours = 3 if match.group(5) == "МСК" else 5
        found.append((int(match.group(3)), int(match.group(4)), hours))
    return found


def close_to_now(hour: int, minute: int, offset_hours: int) -> bool:
    """Whether hh:mm at UTC+offset is within two minutes of now (sign-in was moments ago)."""
    local = datetime.now(UTC) + timedelta(hours=offset_hours)
    return any(
        (local - timedelta(minutes=lag)).strftime("%H:%M") == f"{hour:02d}:{minute:02d}"
        for lag in range(3)
    )


def test_worker_takes_the_devices_zone_and_sees_sign_ins_in_it(live_server, new_context):
    base = live_server.url
    create_active_user(live_server.app, phone=LOGIN)
    phone = new_context("phone", timezone_id="Asia/Yekaterinburg")
    page = phone.new_page()
    seen = watch(page)
    sign_in(page, base, LOGIN)

    # Before: Moscow time, labelled.
    page.goto(base + "/account/history")
    ((hour, minute, offset),) = shown_times(page)
    assert offset == 3 and close_to_now(hour, minute, 3)

    # The profile hub names the zone and leads to the setting (a boosted navigation).
    page.goto(base + "/profile")
    entry = page.get_by_role("link", name=re.compile("Часовой пояс"))
    expect(entry).to_contain_text("Москва (UTC+3)")
    entry.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Часовой пояс")
    offer = page.locator("#zone-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Ваше устройство в поясе Екатеринбург (UTC+5) — выбрать его?")
    select = page.get_by_label("Часовой пояс")
    expect(select).to_have_value("Europe/Moscow")
    settle(page)
    shot(page, "time-zone-01-offer-360")

    offer.get_by_role("button", name="Выбрать пояс устройства").click()
    expect(select).to_have_value("Asia/Yekaterinburg")
    expect(select).to_be_focused()
    expect(offer).to_contain_text("Выбран пояс устройства. Нажмите «Сохранить».")
    expect(offer.get_by_role("button")).to_be_hidden()
    shot(page, "time-zone-02-picked-360")

    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(base + "/profile")
    expect(page.locator(".flash-success")).to_have_text(
        "Часовой пояс сохранён: Екатеринбург (UTC+5)."
    )
    expect(entry).to_contain_text("Екатеринбург (UTC+5)")
    shot(page, "time-zone-03-profile-360")

    page.get_by_role("link", name="История входов").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("История входов")
    ((hour, minute, offset),) = shown_times(page)
    assert offset == 5 and close_to_now(hour, minute, 5)
    shot(page, "time-zone-04-history-360")

    # Saved and device agree: nothing to offer.
    page.goto(base + "/account/time-zone")
    expect(select).to_have_value("Asia/Yekaterinburg")
    expect(offer).to_be_hidden()
    assert seen.problems() == []

    # A computer in Vladivostok is offered its own zone; times stay in the saved one.
    desktop = new_context("desktop", timezone_id="Asia/Vladivostok")
    wide = desktop.new_page()
    seen_wide = watch(wide)
    sign_in(wide, base, LOGIN)
    wide.goto(base + "/account/time-zone")
    expect(wide.locator("#zone-offer")).to_contain_text("Владивосток (UTC+10)")
    settle(wide)
    shot(wide, "time-zone-05-offer-1280")
    wide.goto(base + "/account/history")
    times = shown_times(wide)
    assert len(times) == 2 and {offset for *_, offset in times} == {5}
    shot(wide, "time-zone-06-history-1280")
    assert seen_wide.problems() == []
