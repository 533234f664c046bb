"""Server-side sessions: the cookie holds only an opaque random id; the row holds the rest.

A visitor (nobody signed in, nothing stored yet) has a cookie but no row: a *visitor token*
`v1.<issued>.<random>.<mac>` signed with SECRET_KEY, and a CSRF secret derived from it. Reading
the sign-in page therefore writes nothing. The first thing stored (a flash, a passkey challenge,
a wizard's step) makes the row under that same token, so requests already under way with the
cookie — the passkey autofill's `/login/passkey/options` racing the password form — see one
session and one CSRF secret. Signing in issues a new random token as before (no fixation).
docs/decisions.md «Speed per request», «Visitors without a row».
"""

import base64
import hashlib
import hmac
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

    def __init__(self, initial=None, token=None, row=None, frozen=False, minted=False):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.row = row or {}
        self.modified = False
        self.read = False  # a value was read by key (Flask's own `accessed` means any use)
        self.rotate = False
        self.destroy = False
        self.frozen = frozen  # never stored, never sets or clears the cookie
        self.minted = minted  # a visitor token issued by this request: the cookie is to be set

    @property
    def visitor(self) -> bool:
        """No row stands behind this token yet."""
        return self.token is not None and not self.row

    def __getitem__(self, key):
        self.read = True  # Flask-WTF reads its secret so: a page with a form needs the cookie
        return super().__getitem__(key)


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


VISITOR_PREFIX = "v1."


def _mac(app, purpose: bytes, text: str, size: int) -> bytes:
    key = app.secret_key.encode() if isinstance(app.secret_key, str) else app.secret_key
    return hmac.new(key, purpose + text.encode(), hashlib.sha256).digest()[:size]


def _visitor_signature(app, body: str) -> str:
    return base64.urlsafe_b64encode(_mac(app, b"visitor:", body, 18)).decode()


def mint_visitor_token(app) -> str:
    """A new signed visitor token: when it was issued and 128 random bits."""
    body = f"{VISITOR_PREFIX}{int(now().timestamp())}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_visitor_signature(app, body)}"


def is_visitor_token(app, token: str) -> bool:
    """Signed by us and younger than a session's absolute lifetime."""
    body, _, mac = token.rpartition(".")
    if not body.startswith(VISITOR_PREFIX):
        return False
    if not hmac.compare_digest(mac.encode(), _visitor_signature(app, body).encode()):
        return False
    issued = body.split(".")[1]
    age = now().timestamp() - int(issued)
    return 0 <= age < app.config["SESSION_ABSOLUTE_SECONDS"]


def visitor_data(app, token: str) -> dict:
    """What a visitor's session holds before anything is stored: the CSRF secret Flask-WTF
    signs its tokens with, derived from the token (the same on every request with it)."""
    return {app.config["WTF_CSRF_FIELD_NAME"]: _mac(app, b"csrf:", token, 20).hex()}


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
            return self._visitor(app)
        row = self._load(app, token)
        if row is None:
            return self._visitor(app, token if is_visitor_token(app, token) else None)
        if row["replaced_at"]:
            # A request that left before sign-in rotated the id: answer it without a session
            # and without touching the cookie the browser now holds.
            return ServerSession(frozen=True)
        try:
            data = json.loads(row["data"])
        except ValueError:
            data = {}
        return ServerSession(data, token=token, row=row)

    def _visitor(self, app, token=None):
        """A visitor's session under this token, or under a new one when there is none."""
        minted = token is None
        if minted:
            token = mint_visitor_token(app)
        return ServerSession(visitor_data(app, token), token=token, minted=minted)

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
        user_id = session.get("_user_id")
        user_id = int(user_id) if user_id is not None else None
        if session.visitor and not session.rotate and user_id is None:
            if session.modified:  # the first stored value: the row, under the cookie's token
                rows.add_for_visitor(db, _new_row(session, session.token, None))
            if session.minted and (session.read or session.modified):
                self._set_cookie(app, response, session.token)
            return
        if session.visitor or session.rotate:
            old = session.token
            token = secrets.token_urlsafe(32)
            with db.atomic():
                rows.replace(db, _hash(old) if old else None, _new_row(session, token, user_id))
                if secrets.randbelow(100) == 0:
                    rows.purge_expired(db, app.config["SESSION_IDLE_SECONDS"])
            session.token = token
            self._set_cookie(app, response, token)
            return
        moment = now()
        stamp = moment.isoformat(timespec="seconds")
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


def _new_row(session, token: str, user_id: int | None) -> dict:
    """The columns of a session's new row under this token, as of this request."""
    stamp = now().isoformat(timespec="seconds")
    return {
        "token_hash": _hash(token),
        "user_id": user_id,
        "created_at": stamp,
        "last_seen_at": stamp,
        "ip": request.remote_addr,
        "user_agent": (request.user_agent.string or "")[:300],
        "auth_level": session.get("auth_level"),
        "auth_at": session.get("auth_at"),
        "data": json.dumps(dict(session)),
    }


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
