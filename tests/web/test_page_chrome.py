"""What every page carries: the <head> links and the section tabs each role sees (pwa/chrome)."""

import re
from types import SimpleNamespace

import pytest

from tests.conftest import AuthActions, create_active_user
from webapp.pwa import chrome

TABS = re.compile(r'<nav class="tabs"[^>]*>(.*?)</nav>', re.S)
TAB = re.compile(r'<a href="([^"]+)"( aria-current="page")?>.*?<span>([^<]+)</span>(.*?)</a>', re.S)
SEEN = {
    "worker": ["Главная", "Документы", "Заявления", "Профиль"],
    "reviewer": ["Главная", "Экспертиза", "Профиль"],
    "orgadmin": ["Главная", "Сотрудники", "Профиль"],
    "admin": ["Главная", "Журнал", "Запросы", "Профиль"],
}


def tabs_of(html: str) -> list[tuple[str, bool, str, str]]:
    """(address, current, title, what follows the title) of each tab on the page."""
    nav = TABS.search(html)
    assert nav, "no tabs on the page"
    return [(href, bool(mark), title, rest) for href, mark, title, rest in TAB.findall(nav[1])]


@pytest.mark.parametrize("role", SEEN)
def test_each_role_sees_its_sections_and_each_tab_opens_as_current(app, client, role):
    create_active_user(app, n=4, role=role)
    assert AuthActions(client).login("+79120000004").status_code == 303
    home = tabs_of(client.get("/").get_data(as_text=True))
    assert [title for _, _, title, _ in home] == SEEN[role]
    assert [current for _, current, _, _ in home] == [True] + [False] * (len(home) - 1)
    for href, _, title, _ in home:
        response = client.get(href)
        assert response.status_code == 200, href
        tabs = tabs_of(response.get_data(as_text=True))
        assert [t for _, current, t, _ in tabs if current] == [title], href


def test_an_account_with_several_roles_sees_every_section_once_in_order(app):
    user = SimpleNamespace(roles=frozenset({"admin", "worker", "orgadmin", "reviewer"}))
    with app.test_request_context("/"):
        html = f'<nav class="tabs">{chrome.tabs(user, "review")}</nav>'
    titles = [title for _, _, title, _ in tabs_of(html)]
    assert titles == [
        "Главная",
        "Документы",
        "Заявления",
        "Экспертиза",
        "Сотрудники",
        "Журнал",
        "Запросы",
        "Профиль",
    ]
    assert [t for _, current, t, _ in tabs_of(html) if current] == ["Экспертиза"]


@pytest.mark.parametrize(("waiting", "shown"), [(0, None), (7, "7"), (99, "99"), (150, "99+")])
def test_staff_tab_counts_jobs_waiting_and_only_there(app, waiting, shown):
    user = SimpleNamespace(roles=frozenset({"orgadmin"}))
    with app.test_request_context("/"):
        html = f'<nav class="tabs">{chrome.tabs(user, "home", waiting)}</nav>'
    found = {title: rest for _, _, title, rest in tabs_of(html)}
    assert found["Главная"] == found["Профиль"] == ""
    if shown is None:
        assert "tab-count" not in html
    else:
        assert found["Сотрудники"] == (
            f'<span class="tab-count" aria-label="ждут проверки: {waiting}">{shown}</span>'
        )


def test_a_page_without_a_tab_marks_none_current(app):
    user = SimpleNamespace(roles=frozenset({"worker"}))
    with app.test_request_context("/"):
        html = f'<nav class="tabs">{chrome.tabs(user, None)}</nav>'
    assert [current for _, current, _, _ in tabs_of(html)] == [False] * 4


def test_every_head_link_is_served_hashed_and_cached_for_good(client):
    html = client.get("/login").get_data(as_text=True)
    head = html.split("</head>")[0]
    links = re.findall(r'<(?:link|script)[^>]+(?:href|src)="([^"]+)"', head)
    assert len(links) == 8  # manifest, 2 icons, stylesheet, 4 scripts
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        if link.startswith("/static/"):
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", link), link
            assert "immutable" in response.headers["Cache-Control"], link
        response.close()


def test_in_debug_nothing_is_kept(app, client):
    app.debug = True
    client.get("/login")
    assert "page_chrome" not in app.extensions
