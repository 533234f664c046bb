"""Jinja filters and globals: dates and times in the viewer's zone, phones, device names."""

from datetime import date, datetime

from flask import g, has_request_context, url_for
from flask.globals import _cv_request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from webapp import clock
from webapp.audit import title as audit_title
from webapp.forms import field_attributes
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
# The zones of Russia, west to east, with the city a person recognises their zone by.
RUSSIAN_ZONES = (
    ("Europe/Kaliningrad", "Калининград"),
    ("Europe/Moscow", "Москва"),
    ("Europe/Samara", "Самара"),
    ("Asia/Yekaterinburg", "Екатеринбург"),
    ("Asia/Omsk", "Омск"),
    ("Asia/Krasnoyarsk", "Красноярск"),
    ("Asia/Irkutsk", "Иркутск"),
    ("Asia/Yakutsk", "Якутск"),
    ("Asia/Vladivostok", "Владивосток"),
    ("Asia/Magadan", "Магадан"),
    ("Asia/Kamchatka", "Камчатка"),
)
CITIES = dict(RUSSIAN_ZONES)
NBSP = "\u00a0"  # keeps «08:15 МСК» on one line


def viewer_zone() -> str:
    """The signed-in person's time zone; Moscow for visitors and outside a request."""
    if has_request_context():
        return getattr(current_user, "time_zone", None) or clock.DEFAULT_ZONE
    return clock.DEFAULT_ZONE


def utc_offset(moment: datetime) -> str:
    """«UTC+5», «UTC−3:30», «UTC» for a zone-aware moment."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '−'}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: datetime) -> str:
    """The short label after a time: «МСК» in Moscow, else the offset («UTC+5»)."""
    if getattr(moment.tzinfo, "key", None) == clock.DEFAULT_ZONE:
        return "МСК"
    return utc_offset(moment)


def zone_title(name: str | None, at: datetime | None = None) -> str:
    """«Москва (UTC+3)», or «America/New York (UTC−5)» for a zone outside Russia."""
    moment = clock.local(at or clock.now(), name)
    key = moment.tzinfo.key
    return f"{CITIES.get(key, key.replace('_', ' '))} ({utc_offset(moment)})"


def _moment(stamp: "str | date | datetime", tz: str | None) -> "date | datetime":
    """A stored UTC stamp as wall-clock time in the zone; a plain date stays as it is (it has
    no time to move)."""
    if isinstance(stamp, str):
        stamp = date.fromisoformat(stamp) if len(stamp) == 10 else datetime.fromisoformat(stamp)
    if isinstance(stamp, datetime):
        return clock.local(stamp, tz or viewer_zone())
    return stamp


def human_datetime(stamp: "str | datetime | None", tz: str | None = None) -> str:
    """«23 ноября 2026, 15:04 МСК» from a stored UTC stamp, in the viewer's zone."""
    if not stamp:
        return "—"
    moment = _moment(stamp, tz)
    if not isinstance(moment, datetime):
        return human_date(moment)
    return (
        f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, "
        f"{moment:%H:%M}{NBSP}{zone_label(moment)}"
    )


def human_date(stamp: "str | date | None", tz: str | None = None) -> str:
    """«23 ноября 2026» from a date, or from a UTC stamp taken in the viewer's zone."""
    if not stamp:
        return "—"
    moment = _moment(stamp, tz)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def numeric_date(stamp: "str | date | None", tz: str | None = None) -> str:
    """«23.11.2026» (ДД.ММ.ГГГГ) from a date, or from a UTC stamp in the viewer's zone."""
    if not stamp:
        return "—"
    return f"{_moment(stamp, tz):%d.%m.%Y}"


def numeric_datetime(stamp: "str | datetime", tz: str | None = None) -> str:
    """«23.11.2026 15:04 МСК» for plain text (mail, SMS), in the given or the viewer's zone."""
    moment = _moment(stamp, tz)
    return f"{moment:%d.%m.%Y %H:%M} {zone_label(moment)}"


def clock_time(stamp: "str | datetime") -> str:
    """«15:04» in the viewer's zone (an autosave, a step of today)."""
    return f"{_moment(stamp, None):%H:%M}"


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


FIXED_URLS_MAX = 1000
ID_BASE = 7_300_000_000_000_001  # stand-ins for ids while a pattern is built: no URL holds them


class FixedUrls:
    """`url_for` for templates that remembers what cannot change while the process runs. A page
    names a dozen fixed addresses (the tabs, the header, the scripts) and, on the record page, a
    few dozen of one shape (`profile.edit_item` with a kind and an id); each costs ~6 µs through
    Flask and Werkzeug.

    - An endpoint with no arguments, or a static file (its hashed name): the address itself.
    - Arguments that are plain non-negative integers (ids) and strings: the address is built
      once per endpoint, string values and names, with a stand-in number for each integer; later
      calls put the integers in (Werkzeug writes an `int` argument as `str(value)`, in the path or
      the query string alike; no route here uses `fixed_digits`).

    Anything else — other types, `_external`, `_anchor`, a blueprint-relative `.name`, no
    request, DEBUG (static names change as files are edited) — goes to `flask.url_for` every
    time. Keyed by the request's script root, so a mount point is respected.
    """

    def __init__(self, app):
        self.app = app
        self.known: dict[tuple, str] = {}

    def __call__(self, endpoint: str, /, **values) -> str:
        context = _cv_request.get(None)  # `request` without its proxy: ~2 µs a call
        if context is None or endpoint.startswith(".") or self.app.debug:
            return url_for(endpoint, **values)
        script_root = context.request.script_root
        if endpoint == "static" and values.keys() == {"filename"}:
            return self._fixed((script_root, endpoint, values["filename"]), endpoint, values)
        if not values:
            return self._fixed((script_root, endpoint, None), endpoint, values)
        shape = []
        ids = []
        for name, value in sorted(values.items()):
            if type(value) is int and value >= 0:
                shape.append((name, None))
                ids.append(value)
            elif type(value) is str and not name.startswith("_"):
                shape.append((name, value))
            else:
                return url_for(endpoint, **values)
        key = (script_root, endpoint, tuple(shape))
        pattern = self.known.get(key)
        if pattern is None:
            if len(self.known) >= FIXED_URLS_MAX:
                return url_for(endpoint, **values)
            # "" when a stand-in did not come out exactly once: that shape is not guessed at
            pattern = self.known[key] = self._pattern(endpoint, shape) or ""
        if not pattern:
            return url_for(endpoint, **values)
        return pattern % {f"i{n}": value for n, value in enumerate(ids)}

    @staticmethod
    def _pattern(endpoint: str, shape: list) -> str | None:
        """The address with `%(iN)d` where the N-th integer argument goes."""
        stand_ins = iter(range(ID_BASE, ID_BASE + len(shape)))
        numbers = {name: next(stand_ins) for name, value in shape if value is None}
        built = url_for(endpoint, **{n: numbers.get(n, v) for n, v in shape})
        pattern = built.replace("%", "%%")
        for n, number in enumerate(numbers.values()):
            if pattern.count(str(number)) != 1:
                return None
            pattern = pattern.replace(str(number), f"%(i{n})d")
        return pattern

    def _fixed(self, key: tuple, endpoint: str, values: dict) -> str:
        url = self.known.get(key)
        if url is None:
            url = url_for(endpoint, **values)
            if len(self.known) < FIXED_URLS_MAX:
                self.known[key] = url
        return url


def csrf_token() -> str:
    """Flask-WTF's CSRF token for this response: made by its `generate_csrf` on first use, then
    read from `g`, where Flask-WTF keeps it. Each further `generate_csrf` call reads its settings
    again (~10 µs), and a page asks two or three times (the htmx header, the sign-out form, its
    own forms)."""
    return g.get("csrf_token") or generate_csrf()


def init_app(app) -> None:
    """Register filters, `url_for` that remembers fixed addresses, `csrf_token` and the `today`
    variable (the viewer's today, ГГГГ-ММ-ДД)."""

    @app.context_processor
    def page_variables():
        # Runs after Flask-WTF's processor, so this `csrf_token` is the one templates call.
        return {"today": clock.today(viewer_zone()).isoformat(), "csrf_token": csrf_token}

    app.jinja_env.globals["icon"] = icon
    app.jinja_env.globals["field_attributes"] = field_attributes
    app.extensions["fixed_urls"] = app.jinja_env.globals["url_for"] = FixedUrls(app)
    app.jinja_env.filters.update(
        datetime=human_datetime,
        date=human_date,
        numeric_date=numeric_date,
        time=clock_time,
        zone=zone_title,
        device=device_name,
        phone=format_phone,
        mask_phone=mask_phone,
        audit_title=audit_title,
    )
