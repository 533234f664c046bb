"""The app shell's frame: what every page carries around its content and what depends on
nothing personal. The links in <head> (the same for every page while the process runs) and the
section tabs (the same for every account with the same roles). Both are built once per script
root and reused; the tabs' only per-person part, the «Сотрудники» count, is put in on each page.
Templates call them as `head_links()` and `section_tabs(...)` (registered by `pwa.views`).

Built through Jinja on every page (a dozen `url_for` and `icon` calls, the tab list put together
with `do`) they cost 0.45 M instructions: 5 % of the dashboard, 10 % of «Мои документы»
(bench/README.md, issue 13). In DEBUG nothing is kept, since static file names change as files
are edited.
"""

from flask import current_app, request
from markupsafe import Markup

from webapp.icons import icon
from webapp.pwa.shell import HEAD_SCRIPTS, script_url

# (endpoint, key, title, icon, role that sees it; None: every signed-in account), in tab order.
TABS = (
    ("main.index", "home", "Главная", "home", None),
    ("documents.index", "documents", "Документы", "document", "worker"),
    ("applications.index", "applications", "Заявления", "inbox", "worker"),
    ("review.index", "review", "Экспертиза", "inbox", "reviewer"),
    ("staff.index", "staff", "Сотрудники", "team", "orgadmin"),
    ("admin.audit_log", "admin", "Журнал", "shield", "admin"),
    ("admin.recovery_queue", "recovery", "Запросы", "user", "admin"),
    ("profile.index", "profile", "Профиль", "user", None),
)
COUNTED_TAB = "staff"  # the tab that shows a count: jobs waiting for an HR admin
COUNT_SLOT = Markup("\x00")  # where that count goes while the tabs are built
KEPT_MAX = 1000  # role sets × tabs × script roots: a few dozen in practice


def _kept(key: tuple, build):
    """`build()` once per key (a bounded number of them); every time in DEBUG."""
    if current_app.debug:
        return build()
    known = current_app.extensions.setdefault("page_chrome", {})
    found = known.get(key)
    if found is None:
        found = build()
        if len(known) < KEPT_MAX:
            known[key] = found
    return found


def _url(endpoint: str, **values) -> str:
    return current_app.extensions["fixed_urls"](endpoint, **values)


def head_links() -> Markup:
    """The manifest, icons, stylesheet and deferred scripts of <head>."""

    def build() -> Markup:
        static = lambda name: _url("static", filename=name)  # noqa: E731
        return Markup("\n  ").join(
            [
                Markup('<link rel="manifest" href="%s">') % _url("pwa.manifest"),
                Markup('<link rel="icon" href="%s" type="image/svg+xml">')
                % static("icons/icon.svg"),
                Markup('<link rel="apple-touch-icon" href="%s">')
                % static("icons/apple-touch-icon-180.png"),
                Markup('<link rel="stylesheet" href="%s">') % static("css/app.css"),
                *(
                    Markup('<script src="%s" defer></script>') % script_url(name)
                    for name in HEAD_SCRIPTS
                ),
            ]
        )

    return _kept(("head", request.script_root), build)


def _tab_parts(roles: frozenset, active: str | None) -> tuple[Markup, Markup]:
    """The tabs' markup for these roles and current tab, split where the count goes (the end of
    the counted tab's title; all of it is in the first part when that tab is not shown)."""
    links = [
        Markup('<a href="%s"%s>%s<span>%s</span>%s</a>')
        % (
            _url(endpoint),
            Markup(' aria-current="page"') if key == active else "",
            icon(icon_name),
            title,
            COUNT_SLOT if key == COUNTED_TAB else "",
        )
        for endpoint, key, title, icon_name, role in TABS
        if role is None or role in roles
    ]
    before, _, after = Markup("\n    ").join(links).partition(COUNT_SLOT)
    return before, after


def tabs(user, active: str | None, counted: int | None = None) -> Markup:
    """The section tabs for this account, `active` marked as the current page, with the
    count of jobs waiting on the «Сотрудники» tab when there are any."""
    roles = user.roles
    active = active if isinstance(active, str) else None  # a page may not name its tab
    before, after = _kept(
        ("tabs", request.script_root, roles, active), lambda: _tab_parts(roles, active)
    )
    if not counted:
        return before + after
    shown = str(counted) if counted < 100 else "99+"
    badge = Markup('<span class="tab-count" aria-label="ждут проверки: %s">%s</span>') % (
        counted,
        shown,
    )
    return before + badge + after
