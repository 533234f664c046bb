"""Server-side sessions: the cookie holds only an opaque random id; the row holds the rest."""

import hashlib
import json
import secrets
import sqlite3
from datetime import datetime, timedelta

from flask import g, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from webapp.auth.store import sessions as rows
from webapp.auth.store.users import User, get_row, user_from_row
from webapp.clock import now
from webapp.db import get_db
from webapp.errors import is_disk_full

SESSIONLESS_PATHS = ("/static/", "/sw.js", "/manifest.webmanifest", "/offline")
REPLACED_GRACE_SECONDS = 60


def _hash(token: str) -> str:
    """The table keeps a digest, so a copy of the database holds no live session ids."""
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """Session data plus the bookkeeping the interface needs."""

    def __init__(self, initial=None, token=None, row=None, frozen=False):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row = row or {}
        self.modified = False
        self.rotate = False
        self.destroy = False
        self.frozen = frozen  # never stored, never sets or clears the cookie


def rotate_session() -> None:
    """Issue a new session id at the end of this request (sign-in, step-up)."""
    from flask import session

    session.rotate = True
    session.modified = True


def destroy_session() -> None:
    """Delete this session's row and cookie at the end of this request (sign-out)."""
    from flask import session

    session.clear()
    session.destroy = True


def cookie_name(app) -> str:
    """`__Host-` prefixed name behind HTTPS; plain name on http://localhost."""
    return "__Host-medkab" if app.config["HTTPS"] else "medkab_session"


class ServerSessionInterface(SessionInterface):
    """Loads and stores sessions in the `sessions` table with idle and absolute timeouts."""

    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS_PATHS):
            return ServerSession(frozen=True)
        token = request.cookies.get(cookie_name(app))
        if not token or len(token) > 100:
            return ServerSession()
        row = self._load(app, token)
        if row is None:
            return ServerSession()
        if row["replaced_at"]:
            # A request that left before sign-in rotated the id: answer it without a session
            # and without touching the cookie the browser now holds.
            return ServerSession(frozen=True)
        try:
            data = json.loads(row["data"])
        except ValueError:
            data = {}
        return ServerSession(data, token=token, row=row)

    def _load(self, app, token):
        db = get_db()
        found = rows.by_token_hash(db, _hash(token))
        if found is None:
            return None
        row, user = found
        moment = now()
        idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
        absolute = timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])
        replaced = row["replaced_at"] and moment - datetime.fromisoformat(
            row["replaced_at"]
        ) > timedelta(seconds=REPLACED_GRACE_SECONDS)
        if (
            replaced
            or moment - datetime.fromisoformat(row["last_seen_at"]) > idle
            or moment - datetime.fromisoformat(row["created_at"]) > absolute
        ):
            rows.delete(db, row["id"])
            return None
        g.session_user = user  # Flask-Login's loader takes it from here: no second query
        if user is not None:
            g.unread_notices = (user["id"], user["unread_notices"])  # for the bell
        return row

    def save_session(self, app, session, response):
        if session.frozen:
            return
        name = cookie_name(app)
        secure = app.config["HTTPS"]
        db = get_db()
        if session.destroy or (not session and session.token and session.modified):
            if session.token:
                rows.delete_by_token_hash(db, _hash(session.token))
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
            return
        if not session.token and not session:
            return
        moment = now()
        stamp = moment.isoformat(timespec="seconds")
        user_id = session.get("_user_id")
        user_id = int(user_id) if user_id is not None else None
        if session.token is None or session.rotate:
            old = session.token
            token = secrets.token_urlsafe(32)
            fields = {
                "token_hash": _hash(token),
                "user_id": user_id,
                "last_seen_at": stamp,
                "ip": request.remote_addr,
                "user_agent": (request.user_agent.string or "")[:300],
                "auth_level": session.get("auth_level"),
                "auth_at": session.get("auth_at"),
                "data": json.dumps(dict(session)),
            }
            fields["created_at"] = stamp
            with db.atomic():
                rows.replace(db, _hash(old) if old else None, fields)
                if secrets.randbelow(100) == 0:
                    rows.purge_expired(db, app.config["SESSION_IDLE_SECONDS"])
            session.token = token
            self._set_cookie(app, response, token)
            return
        last_seen = session.row.get("last_seen_at", "")
        stale = (moment - datetime.fromisoformat(last_seen)).total_seconds() >= app.config[
            "SESSION_TOUCH_SECONDS"
        ]
        try:
            if session.modified:
                rows.save(
                    db,
                    _hash(session.token),
                    data=json.dumps(dict(session)),
                    user_id=user_id,
                    auth_level=session.get("auth_level"),
                    auth_at=session.get("auth_at"),
                    seen_at=stamp,
                    ip=request.remote_addr,
                )
            elif stale:
                rows.touch(db, _hash(session.token), seen_at=stamp, ip=request.remote_addr)
        except sqlite3.OperationalError as error:
            # The request's own work is committed by now: on a full disk, losing a flash
            # message or a last-seen time beats answering an error for a saved entry.
            if not is_disk_full(error):
                raise
            app.logger.error("session not saved: the disk is full")

    def _set_cookie(self, app, response, token):
        response.set_cookie(
            cookie_name(app),
            token,
            max_age=app.config["SESSION_ABSOLUTE_SECONDS"],
            path="/",
            secure=app.config["HTTPS"],
            httponly=True,
            samesite="Lax",
        )


def session_user(user_id) -> User | None:
    """The user this request's session row came with, when it is the one asked for."""
    row = g.get("session_user")
    if row is None or str(row["id"]) != str(user_id):
        return None
    return user_from_row(row)


def user_row(db, user_id: int) -> dict | None:
    """The raw users row: the one this request's session came with, else read."""
    row = g.get("session_user")
    if row is not None and row["id"] == user_id:
        return dict(row)
    return get_row(db, user_id)


def current_session_id() -> int | None:
    """Row id of this request's session, for 'this device' marks."""
    from flask import session

    return session.row.get("id") if getattr(session, "row", None) else None
