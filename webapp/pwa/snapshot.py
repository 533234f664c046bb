"""The opt-in offline snapshot (DESIGN §8): which pages a device may keep, and until when.

Pages are `no-store` and the service worker never caches them, with one exception the person
turns on per device («Доступ без сети на этом устройстве»): the pages below, as full pages for
a signed-in person, carry `X-Medkab-Snapshot: until=<ms>; user=<id>; zone=<IANA>` (whose they
are, the moment their session ends at the latest, the zone their times are shown in). Only
such responses go into the snapshot; the device drops it once that moment passes, at sign-out,
and when a page comes back for a signed-out visitor.
"""

from datetime import datetime, timedelta

from flask import current_app, request, session, url_for
from flask_login import current_user

from webapp import htmx
from webapp.applications import store as applications
from webapp.clock import DEFAULT_ZONE, now
from webapp.headers import vary

HEADER = "X-Medkab-Snapshot"
ENDPOINTS = {
    "main.index",
    "applications.index",
    "applications.show",
    "profile.index",
    "profile.record",
    "documents.index",
    "documents.new",
}
APPLICATIONS = 20  # timelines kept: the newest applications


def session_end_ms() -> int:
    """When this session ends at the latest (its absolute lifetime), in Unix milliseconds."""
    row = getattr(session, "row", None) or {}
    started = datetime.fromisoformat(row["created_at"]) if row.get("created_at") else now()
    end = started + timedelta(seconds=current_app.config["SESSION_ABSOLUTE_SECONDS"])
    return int(end.timestamp() * 1000)


def mark(response):
    """Let the service worker keep this response if the device opted in."""
    if (
        request.method == "GET"
        and request.endpoint in ENDPOINTS
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not htmx.wants_partial()
        and current_user.is_authenticated
    ):
        zone = current_user.time_zone or DEFAULT_ZONE
        response.headers[HEADER] = f"until={session_end_ms()}; user={current_user.id}; zone={zone}"
        vary(response, "Cookie")
    return response


def pages(db, user) -> list[str]:
    """Every page the snapshot holds for this person: the list pages and recent timelines."""
    urls = [
        url_for("main.index"),
        url_for("profile.index"),
        url_for("profile.record"),
        url_for("documents.index"),
        url_for("documents.new"),
    ]
    if user.has_role("worker"):
        urls.append(url_for("applications.index"))
        rows = applications.for_user(db, user.id, size=APPLICATIONS)[:APPLICATIONS]
        urls += [
            url_for("applications.show", application_id=row["id"])
            for row in rows
            if row["state"] != "draft"
        ]
    return urls
