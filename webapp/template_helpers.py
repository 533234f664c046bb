"""Jinja filters and globals: dates, phones, device names, navigation."""

from datetime import date, datetime

from webapp.clock import now
from webapp.icons import icon
from webapp.validators import format_phone, mask_phone

MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def human_datetime(stamp: str | None) -> str:
    """'23 ноября 2026, 15:04' (UTC) from an ISO string."""
    if not stamp:
        return "—"
    moment = datetime.fromisoformat(stamp)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"


def human_date(stamp: "str | date | None") -> str:
    """'23 ноября 2026' from a date or an ISO date/datetime string."""
    if not stamp:
        return "—"
    moment = stamp if isinstance(stamp, date) else datetime.fromisoformat(stamp)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def device_name(user_agent: str | None) -> str:
    """A short, recognisable device description from a User-Agent."""
    ua = user_agent or ""
    browser = next(
        (
            name
            for key, name in (
                ("YaBrowser", "Яндекс Браузер"),
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
            )
            if key in ua
        ),
        "Браузер",
    )
    system = next(
        (
            name
            for key, name in (
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Android", "Android"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("Linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    if "HeadlessChrome" in ua:
        browser = "Chrome (автоматический)"
    return f"{browser}, {system}" if system else browser


def init_app(app) -> None:
    """Register filters and the `today` variable."""

    @app.context_processor
    def today():
        return {"today": now().date().isoformat()}

    app.jinja_env.globals["icon"] = icon
    app.jinja_env.filters.update(
        datetime=human_datetime,
        date=human_date,
        device=device_name,
        phone=format_phone,
        mask_phone=mask_phone,
    )
