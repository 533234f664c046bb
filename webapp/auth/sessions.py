"""Server-side sessions: the cookie holds only an opaque random id; the row holds the rest.

A visitor who is not signed in and holds nothing but a form's CSRF secret (and a flash message
on the way to the sign-in page) gets no row: that data travels in the same cookie, signed
(HMAC-SHA256 under SECRET_KEY, a salt of its own), with the same idle and absolute timeouts,
so reading /login writes nothing. The first time such a session holds anything else (signing
in, a registration in progress, a passkey challenge) it becomes a row under a new random id, as
at sign-in, and the signed cookie it came with is kept as a replaced row for the grace period.
"""

import hashlib
import json
import secrets
import sqlite3
from datetime import datetime, timedelta

from flask import g, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import CallbackDict

from webapp.auth.store import sessions as rows
from webapp.auth.store.users import User, get_row, user_from_row
from webapp.clock import now
from webapp.db import get_db
from webapp.errors import is_disk_full

SESSIONLESS_PATHS = ("/static/", "/sw.js", "/manifest.webmanifest", "/offline")
REPLACED_GRACE_SECONDS = 60
VISITOR_KEYS = frozenset({"csrf_token", "_flashes"})  # what a visitor's signed cookie may hold
VISITOR_SALT = "medkab.visitor-session"
MAX_COOKIE_LENGTH = 1000


def _hash(token: str) -> str:
    """The table keeps a digest, so a copy of the database holds no live session ids."""
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    """Session data plus the bookkeeping the interface needs."""

    def __init__(self, initial=None, token=None, row=None, frozen=False, visitor=None):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row = row or {}
        self.modified = False
        self.rotate = False
        self.destroy = False
        self.frozen = frozen  # never stored, never sets or clears the cookie
        self.visitor = visitor  # (signed cookie, created, last seen) of a session without a row


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


def _visitor_serializer(app) -> URLSafeSerializer:
    return URLSafeSerializer(
        app.config["SECRET_KEY"], salt=VISITOR_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def is_visitor_data(session) -> bool:
    """Only what a visitor's signed cookie may carry (a row holds everything else)."""
    return session.keys() <= VISITOR_KEYS


class ServerSessionInterface(SessionInterface):
    """Loads and stores sessions in the `sessions` table with idle and absolute timeouts."""

    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS_PATHS):
            return ServerSession(frozen=True)
        token = request.cookies.get(cookie_name(app))
        if not token or len(token) > MAX_COOKIE_LENGTH:
            return ServerSession()
        row = self._load(app, token)  # a visitor's cookie too: it may have been replaced
        if row is None:
            return self._visitor(app, token)
        if row["replaced_at"]:
            # A request that left before sign-in rotated the id: answer it without a session
            # and without touching the cookie the browser now holds.
            return ServerSession(frozen=True)
        try:
            data = json.loads(row["data"])
        except ValueError:
            data = {}
        return ServerSession(data, token=token, row=row)

    def _visitor(self, app, token: str) -> ServerSession:
        """The session a visitor's signed cookie carries, or a new one (forged, expired, or an
        opaque id without a row)."""
        if "." not in token:
            return ServerSession()
        try:
            created, seen, data = _visitor_serializer(app).loads(token)
        except (BadSignature, ValueError, TypeError):
            return ServerSession()
        moment = now().timestamp()
        if (
            not isinstance(data, dict)
            or not data.keys() <= VISITOR_KEYS
            or moment - seen > app.config["SESSION_IDLE_SECONDS"]
            or moment - created > app.config["SESSION_ABSOLUTE_SECONDS"]
        ):
            return ServerSession()
        return ServerSession(data, visitor=(token, created, seen))

    def _save_visitor(self, app, session, response) -> None:
        """Sign the visitor's data into the cookie when it changed or was last seen a while ago;
        an emptied one is dropped."""
        if not session:
            if session.visitor:
                self._delete_cookie(app, response)
            return
        moment = int(now().timestamp())
        _, created, seen = session.visitor or (None, moment, moment)
        stale = moment - seen >= app.config["SESSION_TOUCH_SECONDS"]
        if session.visitor and not session.modified and not stale:
            return
        token = _visitor_serializer(app).dumps([created, moment, dict(session)])
        self._set_cookie(app, response, token)

    def _delete_cookie(self, app, response) -> None:
        response.delete_cookie(
            cookie_name(app), path="/", secure=app.config["HTTPS"], httponly=True, samesite="Lax"
        )

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
        if session.destroy or (not session and session.token and session.modified):
            if session.token:
                rows.delete_by_token_hash(get_db(), _hash(session.token))
            self._delete_cookie(app, response)
            return
        if not session.token and not session.rotate and is_visitor_data(session):
            self._save_visitor(app, session, response)
            return
        db = get_db()
        moment = now()
        stamp = moment.isoformat(timespec="seconds")
        user_id = session.get("_user_id")
        user_id = int(user_id) if user_id is not None else None
        if session.token is None or session.rotate:
            old = session.token or (session.visitor[0] if session.visitor else None)
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
