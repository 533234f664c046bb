"""Every page at 360×780 and 1280×800: screenshots plus layout and hygiene checks.

For each page: no horizontal overflow, exactly one <h1>, touch targets (tab bar links and
every `.button`) at least 44 px tall, the bottom tab bar never covers the end of the content,
and no console errors, uncaught exceptions or CSP violations.
"""

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import KINDS, shot, sign_in, sign_out, watch
from tests.conftest import PASSWORD, create_active_user, totp_now

pytestmark = pytest.mark.browser

ADMIN_LOGIN = "+79120000001"
WORKER_LOGIN = "+79120000002"
MIN_TARGET = 44
TABS = {
    "worker": ["Главная", "Документы", "Заявления", "Профиль"],
    "admin": ["Главная", "Журнал", "Запросы", "Профиль"],
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    h1: str
    role: str | None = None  # None: signed out
    status: int = 200


PAGES = [
    Page("login", "/login", "Вход"),
    Page("register", "/register", "Регистрация"),
    Page("register-errors", "/register", "Регистрация"),
    Page("reset", "/reset", "Восстановление доступа"),
    Page("dashboard", "/", "Здравствуйте, Мария!", "worker"),
    Page("documents", "/documents", "Мои документы", "worker"),
    Page("documents-new", "/documents/new", "Новый документ", "worker"),
    Page("record", "/profile/record", "Профессиональные данные", "worker"),
    Page("nmo", "/profile/nmo", "Баллы НМО", "worker"),
    Page("check", "/profile/check", "Проверка данных", "worker"),
    Page("access-log", "/profile/access-log", "Журнал доступа к моим данным", "worker"),
    Page("applications", "/applications", "Мои заявления", "worker"),
    Page("profile", "/profile", "Профиль", "worker"),
    Page("sessions", "/account/sessions", "Мои сессии", "worker"),
    Page("history", "/account/history", "История входов", "worker"),
    Page("time-zone", "/account/time-zone", "Часовой пояс", "worker"),
    Page("admin-audit", "/admin/audit", "Журнал аудита", "admin"),
    Page("not-found", "/no-such-page", "Страница не найдена", "worker", status=404),
    Page("offline", "/offline", "Нет соединения с интернетом"),
]

# Chromium logs every 4xx response, including the ones a page is expected to answer with.
EXPECTED_STATUS_LOG = r"^console: Failed to load resource: the server responded with a status of {}"


@pytest.fixture(scope="module")
def signed_in(shared_server, browser):
    """Cookies of signed-in accounts, per role and device kind.

    The worker has a session per device kind (so «Мои сессии» shows a «Завершить» button)
    and one failed sign-in first (so «История входов» shows both kinds of events). The admin
    signs in once, with password and TOTP, and both device kinds share that session.
    """
    create_active_user(shared_server.app, n=1, role="admin")
    create_active_user(shared_server.app, n=2, role="worker")
    states = {}
    for role, login, kinds in (("worker", WORKER_LOGIN, KINDS), ("admin", ADMIN_LOGIN, ["phone"])):
        for kind in kinds:
            context = browser.new_context(**KINDS[kind])
            try:
                page = context.new_page()
                if role == "worker" and kind == "phone":
                    page.goto(shared_server("/login"))
                    page.get_by_label("Телефон, email или СНИЛС").fill(login)
                    page.get_by_label("Пароль").fill(PASSWORD + "!")
                    page.get_by_role("button", name="Войти", exact=True).click()
                    expect(page.locator(".alert-error")).to_contain_text("Не удалось войти")
                totp = totp_now() if role == "admin" else None
                sign_in(page, shared_server.url, login, totp=totp)
                states[role, kind] = context.storage_state()
            finally:
                context.close()
    states["admin", "desktop"] = states["admin", "phone"]
    return states


def layout_problems(page, kind: str) -> list[str]:
    """Overflow, headings, touch targets and tab-bar overlap, as readable messages."""
    problems = []
    width = KINDS[kind]["viewport"]["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"horizontal overflow: scrollWidth {scroll_width} > {width}")
    h1_count = page.locator("h1").count()
    if h1_count != 1:
        problems.append(f"{h1_count} <h1> elements instead of one")
    targets = page.evaluate(
        """() => [...document.querySelectorAll("nav.tabs a, nav.tabs button, .button")]
        .filter((e) => e.checkVisibility({visibilityProperty: true}))
        .map((e) => ({label: e.innerText.trim() || e.getAttribute("href"),
                      height: e.getBoundingClientRect().height}))"""
    )
    assert targets, "no buttons or tabs found at all"
    for target in targets:
        if target["height"] < MIN_TARGET:
            problems.append(f"touch target «{target['label']}» is {target['height']:.0f}px tall")
    covered = page.evaluate(
        """() => {
        const tabs = document.querySelector("nav.tabs");
        if (!tabs || getComputedStyle(tabs).position !== "fixed") return null;
        window.scrollTo(0, document.documentElement.scrollHeight);
        const items = [...document.querySelectorAll("main *")].filter(
            (e) => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden"
                // a closed <details> keeps boxes for its hidden content (content-visibility)
                && (!e.closest("details:not([open])") || e.closest("summary")));
        const bottom = Math.max(...items.map((e) => e.getBoundingClientRect().bottom));
        const top = tabs.getBoundingClientRect().top;
        window.scrollTo(0, 0);
        return bottom > top ? `content ends at ${bottom}px, under the tab bar at ${top}px` : null;
        }"""
    )
    if covered:
        problems.append(covered)
    return problems


@pytest.mark.parametrize("kind", ["phone", "desktop"])
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_page_layout(spec, kind, shared_server, signed_in, new_context):
    state = signed_in[spec.role, kind] if spec.role else None
    context = new_context(kind, storage_state=state)
    page = context.new_page()
    seen = watch(page)
    response = page.goto(shared_server(spec.path))
    assert response.status == spec.status
    allow = [EXPECTED_STATUS_LOG.format(spec.status)] if spec.status >= 400 else []

    if spec.name == "register-errors":
        page.get_by_role("button", name="Зарегистрироваться").click()
        expect(page.locator(".alert-error")).to_have_text("Проверьте отмеченные поля.")
        # surname, name, birth date, СНИЛС, phone, email, password, consent
        expect(page.locator(".field.has-error")).to_have_count(8)
        expect(page.locator("#surname")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#consent-error")).to_contain_text("Без согласия")
        assert page.url == shared_server("/register")
        allow.append(EXPECTED_STATUS_LOG.format(422))

    expect(page.get_by_role("heading", level=1)).to_have_text(spec.h1)
    if spec.role:
        expect(page.locator("nav.tabs")).to_be_visible()
        # Each role sees only the sections it can use, on a phone too.
        expect(page.locator("nav.tabs a")).to_have_text(TABS[spec.role])
    else:
        expect(page.locator("nav.tabs")).to_have_count(0)

    width = KINDS[kind]["viewport"]["width"]
    shot(page, f"{spec.name}-{width}")
    assert layout_problems(page, kind) == []
    assert seen.problems(allow=allow) == []


def test_watch_reports_csp_violations_and_console_errors(shared_server, new_context):
    """The hygiene checks above can fail: an inline style and a console.error are caught."""
    page = new_context("phone").new_page()
    seen = watch(page)
    page.goto(shared_server("/login"))
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.evaluate("console.error('boom')")
    for _ in range(50):  # the violation report arrives asynchronously through the binding
        if seen.csp_violations:
            break
        page.wait_for_timeout(20)
    problems = seen.problems()
    assert any(p.startswith("csp: style-src-attr") for p in problems), problems
    assert "console: boom" in problems


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_layout_follows_sign_in_and_out_without_reload(kind, live_server, new_context):
    """Boosted sign-in and sign-out swap only the body's content: the layout must follow.

    (It once hung on a class of <body>, which kept the value of the first full page load.)
    """
    create_active_user(live_server.app, n=3)
    page = new_context(kind).new_page()
    width = KINDS[kind]["viewport"]["width"]
    sign_in(page, live_server.url, "+79120000003")  # a boosted form post, no page load
    shot(page, f"boosted-sign-in-{width}")
    assert layout_problems(page, kind) == []  # on phones: the tab bar covers the content
    if kind == "desktop":  # the side navigation sits left of the content, not above it
        nav, main = page.locator("nav.tabs").bounding_box(), page.locator("main").bounding_box()
        assert main["x"] >= nav["x"] + nav["width"]

    page.reload()  # a real page load, signed in
    sign_out(page)  # boosted again
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    shot(page, f"boosted-sign-out-{width}")
    card = page.locator(".card.narrow").bounding_box()
    assert card["width"] >= min(width - 32, 460) - 1  # not squeezed into the sidebar column
    assert layout_problems(page, kind) == []


def test_desktop_side_navigation_fits_under_the_header(shared_server, signed_in, new_context):
    """The sticky side navigation starts where the header ends and adds no scrolling."""
    page = new_context("desktop", storage_state=signed_in["worker", "desktop"]).new_page()
    page.goto(shared_server("/documents"))  # short content: nothing should scroll
    header = page.locator("header.topbar").bounding_box()
    nav = page.locator("nav.tabs").bounding_box()
    assert nav["y"] == header["y"] + header["height"]
    assert page.evaluate("document.documentElement.scrollHeight") <= 800
