"""The reviewer's queue and review screen, and the public check page, at 360×780 and 1280×800:
screenshots, no horizontal overflow, touch targets, the htmx page viewer and a verdict."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import KINDS, shot, sign_in, watch
from tests.browser.test_pages_look import EXPECTED_STATUS_LOG, layout_problems
from tests.conftest import create_active_user, totp_now
from tests.web.test_access_matrix import add_record
from tests.web.test_review import submit
from webapp import clock
from webapp.applications import engine, store
from webapp.auth.store import users
from webapp.db import connect

pytestmark = pytest.mark.browser

REVIEWER = "+79120000003"


def moved(app, application_id, reviewer_id, actions, **columns):
    """Take the reviewer's moves through the engine, as the pages would."""
    db = connect(app.config["DATABASE"])
    try:
        with app.test_request_context():
            reviewer = users.get_user(db, reviewer_id)
            for action in actions:
                if action == "forward":
                    for file in store.files(db, application_id):
                        store.set_verdict(db, file["id"], "accepted", None, reviewer_id)
                extra = columns if action in ("pass", "fail") else {}
                engine.move(db, store.get(db, application_id), action, reviewer, "reviewer",
                            comment="Не видна печать" if action == "return" else None,
                            **extra)  # fmt: skip
        return store.get(db, application_id)
    finally:
        db.close()


def seed(app):
    """A worker with a record, applications in several states, two reviewers."""
    worker = create_active_user(app, n=1)
    reviewer = create_active_user(app, n=3, role="reviewer")
    other = create_active_user(app, n=4, role="reviewer")
    db = connect(app.config["DATABASE"])
    try:
        add_record(db, "employment", worker, verification="confirmed")
        add_record(db, "education", worker)
        stamp = "2026-01-01T00:00:00+00:00"
        db["educations"].insert(
            {
                "user_id": worker,
                "kind": "pk",
                "organization": "РМАНПО",
                "program": "Актуальные вопросы терапии",
                "end_date": "2024-03-01",
                "hours": 144,
                "doc_number": "7700123",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        add_record(db, "certificate", worker)
    finally:
        db.close()
    today = clock.today()
    regions = ("Москва", "Ханты-Мансийский автономный округ — Югра", "Томская область")
    for n in range(1, 9):
        submit(app, worker, n=n, region=regions[n % 3],
               kind=("periodic", "primary_special", "primary", "qualification")[n % 4],
               specialty=None if n % 4 == 3 else ("Терапия", "Кардиология")[n % 2],
               deadline=today + timedelta(days=n - 3))  # fmt: skip
    moved(app, 2, other, ["take"])
    moved(app, 5, reviewer, ["take"])
    checked = submit(app, worker, n=9, files=3, deadline=today + timedelta(days=10))
    moved(app, checked, reviewer, ["take", "check"])
    passed = submit(app, worker, n=10)
    row = moved(app, passed, reviewer, ["take", "check", "forward", "review", "pass"],
                decision_protocol="17/А", decision_date=today)  # fmt: skip
    return {"reviewer": reviewer, "checked": checked, "token": row["result_token"]}


def reviewer_page(live_server, new_context, kind):
    db = connect(live_server.app.config["DATABASE"])
    db.execute("update totp_secrets set last_step = 0")  # each sign-in is a new step
    db.close()
    page = new_context(kind).new_page()
    seen = watch(page)
    sign_in(page, live_server.url, REVIEWER, totp=totp_now())
    return page, seen


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_review_pages_look_right(kind, live_server, new_context):
    # Signing the выписка runs its own asyncio loop: not in the thread Playwright's loop runs in.
    with ThreadPoolExecutor(1) as pool:
        world = pool.submit(seed, live_server.app).result()
    width = KINDS[kind]["viewport"]["width"]
    page, seen = reviewer_page(live_server, new_context, kind)

    page.goto(live_server("/review"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Заявления на экспертизу")
    expect(page.locator("nav.tabs a")).to_have_text(["Главная", "Экспертиза", "Профиль"])
    expect(page.locator("#queue-rows tr")).to_have_count(9)  # the passed one left the queue
    expect(page.locator("#queue-rows")).to_contain_text("в работе у другого эксперта")
    shot(page, f"review-queue-{width}")
    assert layout_problems(page, kind) == []

    page.locator(".filters-toggle summary").click()
    page.get_by_label("Только мои").check()
    page.get_by_role("button", name="Показать").click()
    expect(page.locator("#queue-rows tr")).to_have_count(2)
    shot(page, f"review-queue-mine-{width}")
    assert layout_problems(page, kind) == []

    page.locator("#queue-rows a", has_text="А-2026-000009").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Заявление А-2026-000009")
    shot(page, f"review-show-{width}")
    assert layout_problems(page, kind) == []

    first = page.locator(".review-file").first
    first.locator("details.viewer summary").click()
    expect(first.locator(".viewer-pages img")).to_have_count(2)
    first.locator(".viewer-pages img").first.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.viewer-pages img')].slice(0, 1)"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    shot(page, f"review-viewer-{width}")
    assert layout_problems(page, kind) == []

    first.locator("summary", has_text="Требуется уточнение").click()
    first.get_by_role("button", name="Сохранить замечание").click()
    expect(first.locator(".field.has-error")).to_contain_text("Напишите, что нужно уточнить")
    shot(page, f"review-verdict-error-{width}")
    assert layout_problems(page, kind) == []
    first = page.locator(".review-file").first
    first.get_by_label("Что уточнить").fill("Не видна печать на второй странице")
    first.get_by_role("button", name="Сохранить замечание").click()
    expect(page.locator(".flash-success")).to_contain_text("требуется уточнение")
    expect(page.locator(".review-file").first).to_contain_text("Замечание: Не видна печать")
    page.locator("details.move summary", has_text="Вернуть на доработку").click()
    shot(page, f"review-actions-{width}")
    assert layout_problems(page, kind) == []
    assert seen.problems(allow=[EXPECTED_STATUS_LOG.format(422)]) == []

    public = new_context(kind).new_page()
    public_seen = watch(public)
    public.goto(live_server(f"/check/{world['token']}"))
    expect(public.locator(".check-status")).to_have_text("Действительна")
    shot(public, f"check-{width}")
    assert public.evaluate("document.documentElement.scrollWidth") <= width
    public.goto(live_server("/check/not-a-real-token"))
    expect(public.get_by_role("heading", level=1)).to_have_text("Документ не найден")
    shot(public, f"check-not-found-{width}")
    assert public_seen.problems(allow=[EXPECTED_STATUS_LOG.format(404)]) == []
