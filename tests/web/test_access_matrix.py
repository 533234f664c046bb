"""Access matrix: every endpoint of `app.url_map` × every role, one expected answer per cell.

In the spirit of flaskr's `test_login_required` / `test_author_required`, but generated from the
URL map: a new route without a decision about who may use it fails
`test_every_route_is_in_the_matrix`. worker_a owns one object of every kind; the other roles try
them. A route that allows GET is tried with GET; a POST-only route with an empty POST; a GET+POST
route also gets an empty POST (its `:POST` row). CSRF is off for this app (it has its own tests:
here we test access), and one app with six signed-in clients serves the whole module.

Symbols: OK (2xx), LOGIN (3xx to /login…), REDIRECT (any other 3xx: moved addresses, step-up to
/verify, pages that bounce without a pending flow, a form's redirect after acting), INVALID
(400/422: the empty form or body was refused), FORBIDDEN (403), NOT_FOUND (404), METHOD (405).
"""

import io
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw

from tests.conftest import PASSWORD, create_active_user, settings_for, totp_now
from tests.web.applications_setup import add_submitted
from webapp import create_app
from webapp.clock import now, now_iso
from webapp.db import close_keeper, connect, migrate
from webapp.notifications import store as notices
from webapp.profile.kinds import KINDS
from webapp.recovery import store as recovery

ROLES = ("anonymous", "worker_a", "worker_b", "reviewer", "hr", "admin")
OTHERS = ("worker_b", "reviewer", "hr", "admin")  # signed in, and not the owner
OK, LOGIN, REDIRECT, INVALID = "OK", "LOGIN", "REDIRECT", "INVALID"
FORBIDDEN, NOT_FOUND, METHOD = "FORBIDDEN", "NOT_FOUND", "METHOD"


def row(anonymous=LOGIN, default=OK, **overrides) -> dict[str, str]:
    """One line of the matrix: the answer per role (signed-out visitors go to sign in)."""
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {"anonymous": anonymous, **dict.fromkeys(ROLES[1:], default), **overrides}


def same(symbol) -> dict[str, str]:
    """Every role, signed in or not, gets the same answer."""
    return row(anonymous=symbol, default=symbol)


SIGNED_IN = row()  # any signed-in role, about their own account
OWNER_ONLY = row(default=NOT_FOUND, worker_a=OK)
# worker_a holds a passkey but signed in with password + TOTP, so anything behind step-up
# sends worker_a to /verify first (the others' strongest factor is fresh from sign-in).
STEP_UP = row(worker_a=REDIRECT)
STEP_UP_FORM_POST = row(default=INVALID, worker_a=REDIRECT)
ADMIN_ONLY = row(default=FORBIDDEN, admin=OK)
HR_ONLY = row(default=FORBIDDEN, hr=OK)

EXPECTED: dict[str, dict[str, str]] = {
    # «Учётная запись»
    "account.change": STEP_UP,
    "account.change:POST": STEP_UP_FORM_POST,
    "account.change_confirm": row(default=REDIRECT),  # no change pending: back to the form
    "account.change_confirm:POST": row(default=REDIRECT),
    "account.delete": STEP_UP,
    "account.delete:POST": STEP_UP_FORM_POST,
    "account.history": SIGNED_IN,
    "account.sessions_index": SIGNED_IN,
    "account.time_zone": SIGNED_IN,
    "account.time_zone:POST": row(default=INVALID),
    "account.sessions_revoke": row(default=NOT_FOUND, worker_a=REDIRECT),
    "account.sessions_revoke_others": row(default=REDIRECT),
    # Administration
    "admin.audit_log": ADMIN_ONLY,
    "admin.recovery_decide": row(default=FORBIDDEN, admin=REDIRECT),
    "admin.recovery_queue": ADMIN_ONLY,
    # Sign-up, sign-in, sign-out
    "auth.consent": same(OK),
    "auth.email_confirm": same(REDIRECT),  # a garbage token: flash, then home
    "auth.email_resend": row(default=REDIRECT),
    "auth.login": row(anonymous=OK, default=REDIRECT),  # signed in already: home
    "auth.login:POST": row(anonymous=INVALID, default=REDIRECT),
    "auth.logout": same(LOGIN),
    "auth.passkey_login": same(INVALID),
    "auth.passkey_options": same(OK),
    "auth.register": row(anonymous=OK, default=REDIRECT),
    "auth.register:POST": row(anonymous=INVALID, default=REDIRECT),
    "auth.register_confirm": same(REDIRECT),  # no registration pending
    "auth.register_confirm:POST": same(REDIRECT),
    "auth.register_resend": same(REDIRECT),
    # «Мои документы»: the owner only, anyone else's is «not found»
    "documents.delete": OWNER_ONLY,
    "documents.delete:POST": row(default=NOT_FOUND, worker_a=REDIRECT),
    "documents.export_for_fac": SIGNED_IN,
    "documents.export_for_fac:POST": row(default=INVALID),
    "documents.file": OWNER_ONLY,
    "documents.index": SIGNED_IN,
    "documents.new": SIGNED_IN,
    "documents.page": OWNER_ONLY,
    "documents.restore_original": row(default=NOT_FOUND, worker_a=REDIRECT),
    "documents.show": OWNER_ONLY,
    "documents.thumb": OWNER_ONLY,
    "documents.update": row(default=NOT_FOUND, worker_a=INVALID),
    "documents.upload": row(default=INVALID),  # no Idempotency-Key
    # «Заявления»: the worker's own; a reviewer reads a submitted one (the review screen)
    "applications.delete": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.extract": row(default=NOT_FOUND, worker_a=REDIRECT, reviewer=REDIRECT),
    "applications.file": row(default=NOT_FOUND, worker_a=OK, reviewer=OK),
    "applications.files_zip": row(default=NOT_FOUND, worker_a=OK, reviewer=OK),
    "applications.index": row(default=FORBIDDEN, worker_a=OK, worker_b=OK),
    "applications.new": row(default=FORBIDDEN, worker_a=OK, worker_b=OK),
    "applications.new:POST": row(default=FORBIDDEN, worker_a=INVALID, worker_b=INVALID),
    # A sent application is not a draft: its steps and report go back to its page.
    "applications.record_extract": row(default=FORBIDDEN, worker_a=NOT_FOUND, worker_b=NOT_FOUND),
    "applications.report_form": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.report_form:POST": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.show": row(default=NOT_FOUND, worker_a=OK, reviewer=REDIRECT),
    "applications.sign_options": row(default=FORBIDDEN, worker_a=INVALID, worker_b=NOT_FOUND),
    "applications.sign_send_code": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.sign_with_passkey": row(default=FORBIDDEN, worker_a=INVALID, worker_b=NOT_FOUND),
    "applications.sign_with_sms": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.step": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.step:POST": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    "applications.withdraw": row(default=FORBIDDEN, worker_a=REDIRECT, worker_b=NOT_FOUND),
    # The public check of a выписка: a garbage token is «not found» for everybody
    "check.show": same(NOT_FOUND),
    # The reviewers' side: reviewers only; acting needs the application taken by oneself
    "review.exams": row(default=FORBIDDEN, reviewer=REDIRECT),
    "review.file_pages": row(default=FORBIDDEN, reviewer=OK),
    "review.index": row(default=FORBIDDEN, reviewer=OK),
    "review.move": row(default=FORBIDDEN, reviewer=REDIRECT),
    "review.page": row(default=FORBIDDEN, reviewer=OK),
    "review.show": row(default=FORBIDDEN, reviewer=OK),
    "review.verdict": row(default=FORBIDDEN, reviewer=REDIRECT),
    # Home
    "main.dev_outbox": same(NOT_FOUND),  # only with DEBUG
    "main.index": SIGNED_IN,
    # «Уведомления»
    "notifications.index": SIGNED_IN,
    "notifications.read": row(default=NOT_FOUND, worker_a=REDIRECT),
    "notifications.read_all": row(default=REDIRECT),
    # Web Push: an empty body is not a subscription; a device is removed by its owner only
    "notifications.push_subscribe": row(default=INVALID),
    "notifications.push_delete": row(default=NOT_FOUND, worker_a=REDIRECT),
    # «Профиль»: HR reads worker_a's employment (at their organisation) but never writes it
    "profile.access_log": SIGNED_IN,
    "profile.check": SIGNED_IN,
    "profile.contacts": SIGNED_IN,
    "profile.contacts:POST": row(default=REDIRECT),  # every field is optional: saved
    "profile.delete": row(default=NOT_FOUND, worker_a=OK, hr=FORBIDDEN),
    "profile.delete:POST": row(default=NOT_FOUND, worker_a=REDIRECT, hr=FORBIDDEN),
    "profile.edit": row(default=NOT_FOUND, worker_a=OK, hr=FORBIDDEN),
    "profile.edit:POST": row(default=NOT_FOUND, worker_a=INVALID, hr=FORBIDDEN),
    "profile.index": SIGNED_IN,
    "profile.name_change": SIGNED_IN,
    "profile.name_change:POST": row(default=INVALID),
    "profile.new": SIGNED_IN,
    "profile.new:POST": row(default=INVALID),
    "profile.nmo": SIGNED_IN,
    "profile.organisation": SIGNED_IN,  # a known organisation: the filled-in job form
    "profile.organisations": SIGNED_IN,  # search among known organisations
    "profile.nmo_export": SIGNED_IN,
    "profile.person": SIGNED_IN,
    "profile.person:POST": row(default=REDIRECT),  # every field is optional: saved
    "profile.readiness": SIGNED_IN,
    "profile.record": SIGNED_IN,
    # PWA plumbing
    "pwa.manifest": same(OK),
    "pwa.offline": same(OK),
    "pwa.service_worker": same(OK),
    "pwa.share": same(REDIRECT),  # without a service worker: «not received», nothing stored
    "pwa.snapshot_pages": SIGNED_IN,
    # Assisted recovery
    "recovery.request_help": same(OK),
    "recovery.request_help:POST": same(INVALID),
    # Moved addresses: 301 to their new place
    "redirects./profile/history": same(REDIRECT),
    "redirects./profile/sessions": same(REDIRECT),
    "redirects./security/delete": same(REDIRECT),
    "redirects./security/email": same(REDIRECT),
    "redirects./security/email/confirm": same(REDIRECT),
    "redirects./security/phone": same(REDIRECT),
    "redirects./security/phone/confirm": same(REDIRECT),
    # Password reset: without a reset in progress every step bounces to /reset
    "reset.code": same(REDIRECT),
    "reset.code:POST": same(REDIRECT),
    "reset.link": same(REDIRECT),
    "reset.password": same(REDIRECT),
    "reset.password:POST": same(REDIRECT),
    "reset.resend": same(REDIRECT),
    "reset.start": same(OK),
    "reset.start:POST": same(INVALID),
    # «Безопасность»
    "security.enrol": SIGNED_IN,
    "security.index": SIGNED_IN,
    "security.not_me": same(LOGIN),  # a garbage token: flash, then the sign-in page
    "security.not_me:POST": same(LOGIN),
    "security.passkey_add": STEP_UP_FORM_POST,
    "security.passkey_delete": row(default=NOT_FOUND, worker_a=REDIRECT),
    "security.passkey_options": STEP_UP,
    "security.passkey_rename": row(default=NOT_FOUND, worker_a=REDIRECT),
    "security.passkeys_accepted": SIGNED_IN,
    "security.password": STEP_UP,
    "security.password:POST": STEP_UP_FORM_POST,
    "security.recovery_codes": STEP_UP,
    "security.sms_delete": row(default=REDIRECT),
    "security.sms_setup": STEP_UP,
    "security.sms_setup:POST": STEP_UP_FORM_POST,
    "security.totp_delete": row(default=REDIRECT),
    # Who already has an authenticator app is sent back to /security.
    "security.totp_setup": row(default=REDIRECT, worker_b=OK),
    "security.totp_setup:POST": row(default=REDIRECT, worker_b=INVALID),
    # «Сотрудники»: the HR admin of worker_a's organisation
    "staff.employment": HR_ONLY,
    "staff.employment:POST": row(default=FORBIDDEN, hr=INVALID),  # rejecting needs a reason
    "staff.index": HR_ONLY,
    "static": same(OK),
    # Second-factor page: without a pending check every answer goes back to sign in
    "verify.cancel": same(LOGIN),
    "verify.index": same(LOGIN),
    "verify.passkey_options": same(INVALID),
    "verify.send_sms_code": same(LOGIN),
    "verify.with_passkey": same(INVALID),
    "verify.with_password": same(LOGIN),
    "verify.with_recovery": same(LOGIN),
    "verify.with_sms": same(LOGIN),
    "verify.with_totp": same(LOGIN),
}

# The other record kinds on the profile's edit and delete routes (HR reads employment only).
OTHER_KINDS = ("education", "certificate", "category", "nmo")
KIND_EXPECTED = {
    "profile.edit": row(default=NOT_FOUND, worker_a=OK),
    "profile.edit:POST": row(default=NOT_FOUND, worker_a=INVALID),
    "profile.delete": row(default=NOT_FOUND, worker_a=OK),
    "profile.delete:POST": row(default=NOT_FOUND, worker_a=REDIRECT),
}

# The one role that may act on worker_a's object through these routes acts on a fresh object
# of worker_a's instead, so the one the others try stays as it was.
DISPOSABLE = {
    "documents.delete:POST": ("worker_a", "document_id"),
    "documents.restore_original": ("worker_a", "document_id"),
    "applications.withdraw": ("worker_a", "application_id"),
    "review.move": ("reviewer", "application_id"),
    "profile.delete:POST": ("worker_a", "record_id"),
    "notifications.read": ("worker_a", "notification_id"),
    "notifications.push_delete": ("worker_a", "subscription_id"),
    "account.sessions_revoke": ("worker_a", "session_id"),
    "admin.recovery_decide": ("admin", "request_id"),
}
# worker_a's actions on all their sessions or notices at once, which reach the fixture's too.
SWEEPING = {
    "account.sessions_revoke_others": "session_id",
    "notifications.read_all": "notification_id",
}
# Who may act on worker_a's object through a POST route besides worker_a.
# A reviewer acts on submitted applications: takes them (on a fresh one here), and is refused
# with a flash when not the assignee (verdicts, exam dates) — the fixture's stays unchanged.
MAY_ACT = {
    "staff.employment:POST": "hr",
    "admin.recovery_decide": "admin",
    "review.move": "reviewer",
    "review.verdict": "reviewer",
    "review.exams": "reviewer",
}
OBJECT_ARGS = {
    "record_id",
    "document_id",
    "passkey_id",
    "session_id",
    "notification_id",
    "request_id",
    "employment_id",
    "application_id",
    "subscription_id",
}

# role: (n for create_active_user, role in the database, TOTP)
ACCOUNTS = {
    "worker_a": (1, "worker", True),  # TOTP: a new client signs in although there is a passkey
    "worker_b": (2, "worker", False),
    "reviewer": (3, "reviewer", True),
    "hr": (4, "orgadmin", True),
    "admin": (5, "admin", True),
}
ORG_INN = "7707083893"
RECORDS = {
    "employment": {
        "org_name": "ГБУЗ «Городская поликлиника № 5»",
        "org_inn": ORG_INN,
        "org_oktmo": "45380000",
        "position": "Врач-терапевт участковый",
        "rate": 1.0,
        "kind": "main",
        "start_date": "2019-09-01",
    },
    "education": {
        "kind": "higher",
        "organization": "Первый МГМУ им. И.М. Сеченова",
        "program": "Лечебное дело",
        "end_date": "2017-06-30",
        "doc_number": "0123456",
    },
    "certificate": {
        "kind": "primary_special",
        "specialty": "Терапия",
        "number": "7722 031234567",
        "issued_on": "2022-07-15",
        "valid_until": "2027-07-15",
    },
    "category": {
        "specialty": "Терапия",
        "category": "second",
        "assigned_on": "2023-01-10",
        "valid_until": "2028-01-10",
    },
    "nmo": {
        "specialty": "Терапия",
        "day": "2025-03-14",
        "element": "course",
        "title": "Актуальные вопросы терапии",
        "zet": 36,
    },
}
FLOW_KEYS = ("verify", "reset", "registration", "phone_change", "email_change", "webauthn")


# The world: one app, a client per role, worker_a's objects ---------------------------------


@dataclass
class World:
    app: object
    users: dict[str, int]
    clients: dict[str, object]
    ids: dict[str, object]  # URL arguments, and the canonical id of each record kind
    fresh: list[tuple[str, str, str]] = field(default_factory=list)  # (cell, object, label)

    def db(self):
        return connect(self.app.config["DATABASE"])

    def rule(self, endpoint):
        return next((r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint), None)

    def url(self, endpoint, values) -> str:
        rule = self.rule(endpoint)
        return self.app.url_map.bind("localhost").build(
            endpoint, {name: values[name] for name in rule.arguments}
        )


def photo() -> bytes:
    """A white sheet on a dark desk: auto-crop finds it, so the document keeps an original."""
    image = Image.new("RGB", (600, 800), (60, 50, 40))
    ImageDraw.Draw(image).polygon([(100, 90), (510, 120), (490, 710), (80, 680)], fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def phone_of(role) -> str:
    return f"+7912{ACCOUNTS[role][0]:07d}"


def sign_in(app, client, role) -> None:
    """Password, then the test TOTP code when a second factor is asked (CSRF is off here)."""
    response = client.post("/login", data={"login": phone_of(role), "password": PASSWORD})
    if response.headers.get("Location") == "/verify":
        db = connect(app.config["DATABASE"])
        db.execute("update totp_secrets set last_step = 0")  # each sign-in is a new step
        db.close()
        response = client.post("/verify/totp", data={"totp-code": totp_now()})
    assert response.status_code == 303, f"{role} could not sign in: {response.status_code}"
    assert client.get("/account/sessions").status_code == 200, f"{role} is not signed in"


def upload_document(client, label=None) -> int:
    response = client.post(
        "/documents/upload",
        data={
            "doc_type": "diploma",
            "title": label or "",
            "pages": [(io.BytesIO(photo()), "page.jpg")],
        },
        headers={"Accept": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def add_record(db, kind, user_id, **extra) -> int:
    values = {**RECORDS[kind], **extra}
    if kind == "nmo":
        values.setdefault("confirmation_code", secrets.token_hex(6))
    stamp = now_iso()
    return (
        db[KINDS[kind].table]
        .insert({**values, "user_id": user_id, "created_at": stamp, "updated_at": stamp})
        .last_pk
    )


def add_session(db, user_id, label="Телефон") -> int:
    """Another signed-in device of the user (a phone), as the sessions table keeps it."""
    stamp = now().isoformat(timespec="seconds")
    return db.execute(
        "insert into sessions (token_hash, user_id, created_at, last_seen_at, ip, user_agent, "
        "auth_level, auth_at, data) values (?, ?, ?, ?, '203.0.113.7', ?, 'password', ?, '{}')",
        [secrets.token_hex(32), user_id, stamp, stamp, label, stamp],
    ).lastrowid


def add_passkey(db, user_id) -> int:
    return (
        db["passkeys"]
        .insert(
            {
                "user_id": user_id,
                "credential_id": secrets.token_urlsafe(16),
                "public_key": b"\x00" * 77,
                "sign_count": 0,
                "transports": "internal",
                "aaguid": "00000000-0000-0000-0000-000000000000",
                "backed_up": 0,
                "name": "Телефон Марии",
                "created_at": now_iso(),
            }
        )
        .last_pk
    )


def add_notification(db, user_id, label="Проверка") -> int:
    return notices.add(db, user_id, kind="record", title=label, body="Место работы проверено")


def add_push_subscription(db, user_id, label="Chrome, Android") -> int:
    """A phone that takes the user's pushes (keys of the right sizes; nothing is pushed here)."""
    subscription_id, _ = notices.save_push_subscription(
        db,
        user_id,
        endpoint=f"https://fcm.googleapis.com/fcm/send/{secrets.token_urlsafe(24)}",
        p256dh=secrets.token_urlsafe(65),
        auth=secrets.token_urlsafe(16),
        device=label,
    )
    return subscription_id


def add_recovery_request(db, user_id, label="Потеряла телефон") -> int:
    return recovery.add(
        db,
        user_id=user_id,
        surname="Иванова",
        name="Мария",
        patronymic="Петровна",
        contact="+79120000001",
        details=label,
        ip="203.0.113.7",
        not_before=now() + timedelta(hours=72),
    )


def add_application(db, user_id, label="Терапия") -> int:
    """A submitted periodic accreditation of the worker's with one attached file."""
    return add_submitted(db, world_storage[0], user_id, specialty=label, deadline="2026-12-03")


world_storage: list = []  # the app's storage, for objects made outside a request


def build_world(tmp_path) -> World:
    app = create_app({**settings_for(tmp_path), "WTF_CSRF_ENABLED": False})
    world_storage[:] = [app.extensions["storage"]]
    db = connect(app.config["DATABASE"])
    try:
        migrate(db)
        users = {
            role: create_active_user(app, n=n, role=kind, totp=totp)
            for role, (n, kind, totp) in ACCOUNTS.items()
        }
        a = users["worker_a"]
        # The HR admin speaks for ORG_INN: a confirmed, current main job there.
        add_record(
            db,
            "employment",
            users["hr"],
            position="Начальник отдела кадров",
            verification="confirmed",
            start_date="2015-02-01",
        )
        ids = {kind: add_record(db, kind, a) for kind in RECORDS}  # worker_a's: declared
        clients = {"anonymous": app.test_client()}
        for role in ACCOUNTS:
            clients[role] = app.test_client()
            sign_in(app, clients[role], role)
        ids.update(
            document_id=upload_document(clients["worker_a"]),
            passkey_id=add_passkey(db, a),
            session_id=add_session(db, a),
            notification_id=add_notification(db, a),
            subscription_id=add_push_subscription(db, a),
            request_id=add_recovery_request(db, a),
            application_id=add_application(db, a),
            file_id=1,
            step="contacts",
            certificate_id=ids["certificate"],
            action="take",
            record_id=ids["employment"],
            employment_id=ids["employment"],
            inn=ORG_INN,
            kind="employment",
            number=1,
            token="garbage.token-that.is-not-signed",
            fmt="csv",
            channel="phone",
            decision="reject",
            filename="css/app.css",
        )
    finally:
        db.close()
    return World(app=app, users=users, clients=clients, ids=ids)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("MEDKAB_"):  # the function-scoped cleaner comes too late here
                patch.delenv(key)
        built = build_world(tmp_path_factory.mktemp("matrix"))
        yield built
        close_keeper(built.app)


# One cell ---------------------------------------------------------------------------------


def split(key) -> tuple[str, str | None]:
    """'profile.edit:POST' -> ('profile.edit', 'POST'); a plain endpoint has no method."""
    endpoint, _, method = key.partition(":")
    return endpoint, method or None


def method_of(world, key) -> str:
    endpoint, method = split(key)
    return method or ("GET" if "GET" in world.rule(endpoint).methods else "POST")


def outcome(response) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return OK
    if 300 <= status < 400:
        path = urlsplit(response.headers.get("Location", "")).path
        return LOGIN if path.startswith("/login") else REDIRECT
    symbols = {400: INVALID, 422: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 405: METHOD}
    return symbols.get(status, f"HTTP {status}")


# Fresh objects carry a label in this column (SQLite reuses the ids of deleted rows).
LABELS = {
    "employment": ("employments", "position"),
    "education": ("educations", "program"),
    "certificate": ("certificates", "number"),
    "category": ("categories", "order_number"),
    "nmo": ("nmo_entries", "title"),
    "document_id": ("documents", "title"),
    "session_id": ("sessions", "user_agent"),
    "notification_id": ("notifications", "title"),
    "request_id": ("recovery_requests", "details"),
    "application_id": ("applications", "specialty"),
    "subscription_id": ("push_subscriptions", "device"),
}


def fresh(world, key, name, kind) -> int:
    """A new object of worker_a's like the named one, for the role allowed to act on it."""
    a = world.users["worker_a"]
    label = f"fresh {key} {kind}" if name == "record_id" else f"fresh {key}"
    if name == "document_id":
        made = upload_document(world.clients["worker_a"], label)
    else:
        db = world.db()
        try:
            if name == "record_id":
                made = add_record(db, kind, a, **{LABELS[kind][1]: label})
            else:
                add = {
                    "application_id": add_application,
                    "session_id": add_session,
                    "notification_id": add_notification,
                    "request_id": add_recovery_request,
                    "subscription_id": add_push_subscription,
                }
                made = add[name](db, a, label)
        finally:
            db.close()
    world.fresh.append((key, kind if name == "record_id" else name, label))
    return made


def forget_flows(client) -> None:
    """No sign-in, step-up, reset or change flow left pending in the session for the next cell
    (a flow starts with a redirect to its next step, so this runs after redirects)."""
    with client.session_transaction() as session:
        for key in FLOW_KEYS:
            session.pop(key, None)


def perform(world, key, role, values=None):
    """Send the cell's request as the role; return (response, method, url)."""
    endpoint, _ = split(key)
    method = method_of(world, key)
    values = dict(values or world.ids)
    acting = DISPOSABLE.get(key)
    if acting and acting[0] == role:
        values[acting[1]] = fresh(world, key, acting[1], values["kind"])
    url = world.url(endpoint, values)
    client = world.clients[role]
    if endpoint == "auth.logout" and role != "anonymous":
        client = world.app.test_client()  # signing out the shared client would end its run
        sign_in(world.app, client, role)
    if role == "worker_a" and key in SWEEPING:
        response = _putting_back(world, SWEEPING[key], lambda: client.post(url))
    else:
        response = client.open(url, method=method)
    if 300 <= response.status_code < 400:
        forget_flows(client)
    return response, method, url


def _putting_back(world, name, send):
    """worker_a may sweep all their sessions or notices; the fixture's row is put back after."""
    table = {"session_id": "sessions", "notification_id": "notifications"}[name]
    db = world.db()
    try:
        kept = list(db.query(f"select * from {table} where id = ?", [world.ids[name]]))  # noqa: S608
        response = send()
        for kept_row in kept:
            db[table].insert(kept_row, replace=True)
    finally:
        db.close()
    return response


def check(world, key, role, expected, values=None) -> None:
    response, method, url = perform(world, key, role, values)
    response.close()  # static files are streamed from open files
    actual = outcome(response)
    assert actual == expected, (
        f"{method} {url} as {role}: expected {expected}, got {actual} "
        f"(status {response.status_code}, Location {response.headers.get('Location')!r})"
    )


# The tests --------------------------------------------------------------------------------


def test_every_route_is_in_the_matrix(world):
    """Each endpoint has a row, GET+POST endpoints a `:POST` row too; no row for a lost one."""
    needed = set()
    for rule in world.app.url_map.iter_rules():
        needed.add(rule.endpoint)
        if {"GET", "POST"} <= rule.methods:
            needed.add(f"{rule.endpoint}:POST")
    missing = sorted(needed - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - needed)
    assert not missing, f"routes without a row in EXPECTED: {', '.join(missing)}"
    assert not stale, f"rows in EXPECTED for routes that no longer exist: {', '.join(stale)}"


def test_the_table_lets_nobody_else_act_on_worker_as_objects(world):
    """A POST on worker_a's object by another role is expected to be 403 or 404 (except the HR
    decision and the admin's recovery decision), so the matrix cannot be «fixed» by writing OK."""
    wrong = []
    for key, answers in EXPECTED.items():
        endpoint, _ = split(key)
        rule = world.rule(endpoint)
        if rule is None or method_of(world, key) != "POST" or not rule.arguments & OBJECT_ARGS:
            continue
        for role in OTHERS:
            if MAY_ACT.get(key) != role and answers[role] not in (FORBIDDEN, NOT_FOUND):
                wrong.append(f"{key}/{role}={answers[role]}")
    assert not wrong, f"others may act on worker_a's objects: {', '.join(wrong)}"


@pytest.mark.parametrize(
    ("key", "role"),
    [(key, role) for key in EXPECTED for role in ROLES],
    ids=[f"{key}-{role}" for key in EXPECTED for role in ROLES],
)
def test_access(world, key, role):
    if world.rule(split(key)[0]) is None:
        pytest.fail(f"{key} is in EXPECTED but not in app.url_map")
    check(world, key, role, EXPECTED[key][role])


@pytest.mark.parametrize(
    ("kind", "key", "role"),
    [(kind, key, role) for kind in OTHER_KINDS for key in KIND_EXPECTED for role in ROLES],
    ids=[f"{kind}-{key}-{role}" for kind in OTHER_KINDS for key in KIND_EXPECTED for role in ROLES],
)
def test_record_kinds(world, kind, key, role):
    values = {**world.ids, "kind": kind, "record_id": world.ids[kind]}
    check(world, key, role, KIND_EXPECTED[key][role], values)


@pytest.mark.parametrize("role", OTHERS)
def test_another_users_passkey_cannot_be_renamed_with_a_valid_name(world, role):
    """An empty form is refused whoever asks; a valid one must meet the access rule too."""
    passkey_id = world.ids["passkey_id"]
    response = world.clients[role].post(
        f"/security/passkeys/{passkey_id}/rename", data={f"key{passkey_id}-name": "Чужой ключ"}
    )
    response.close()
    assert response.status_code == 404, (response.status_code, response.headers.get("Location"))


def rows(db, sql, *params) -> list[dict]:
    return list(db.query(sql, params))


def acted(db, key, found) -> bool:
    """Did worker_a's action on a fresh object happen? `found`: its rows, by label."""
    if key in (
        "documents.delete:POST",
        "profile.delete:POST",
        "account.sessions_revoke",
        "notifications.push_delete",
    ):
        return not found
    if len(found) != 1:
        return False
    if key == "documents.restore_original":  # the uncropped pages became version 2
        versions = "select id from document_versions where document_id = ?"
        return len(rows(db, versions, found[0]["id"])) == 2
    if key == "notifications.read":
        return found[0]["read_at"] is not None
    if key == "applications.withdraw":
        return found[0]["state"] == "withdrawn"
    if key == "review.move":  # «Взять в работу»
        return found[0]["state"] == "registered"
    if key == "admin.recovery_decide":
        return found[0]["status"] == "rejected"
    raise AssertionError(f"no check for the fresh objects of {key}")


def test_the_owners_own_actions_took_effect(world):
    """worker_a's (and the admin's) REDIRECT cells on fresh objects really acted, so the matrix
    tells a refused action from a done one (cells left out with -k leave nothing to check)."""
    db = world.db()
    try:
        for key, name, label in world.fresh:
            table, column = LABELS[name]
            found = rows(db, f"select * from {table} where {column} = ?", label)  # noqa: S608
            assert acted(db, key, found), f"{key} did not act on the fresh {name}: {found}"
    finally:
        db.close()


def test_worker_as_objects_are_unchanged(world):
    """Runs last: whatever the other roles tried, worker_a's objects are as the fixture made
    them (worker_a's own actions worked on fresh objects, or the fixture's row was put back)."""
    a, ids = world.users["worker_a"], world.ids
    db = world.db()
    try:

        def one(table, row_id):
            found = rows(db, f"select * from {table} where id = ?", row_id)  # noqa: S608
            assert found, f"{table} row {row_id} of worker_a is gone"
            assert found[0]["user_id"] == a
            return found[0]

        def count(name):
            """worker_a's rows of the fixture's (not the fresh ones worker_a acted on)."""
            table, column = LABELS[name]
            return rows(
                db,
                f"select count(*) as n from {table} where user_id = ? "  # noqa: S608
                f"and coalesce({column}, '') not like 'fresh %'",
                a,
            )[0]["n"]

        for kind, values in RECORDS.items():
            record = one(LABELS[kind][0], ids[kind])
            assert {k: record[k] for k in values} == values, f"{kind} changed"
            assert (record["verification"], record["rejection_reason"]) == ("declared", None)
            assert count(kind) == 1, f"worker_a's {kind} rows"

        document = one("documents", ids["document_id"])
        assert (document["doc_type"], document["status"]) == ("diploma", "uploaded")
        assert count("document_id") == 1
        [version] = rows(
            db, "select * from document_versions where document_id = ?", ids["document_id"]
        )
        assert version["original_key"] and world.app.extensions["storage"].get(version["file_key"])

        application = one("applications", ids["application_id"])
        assert (application["state"], application["assignee_id"]) == ("submitted", None)
        assert application["exams"] is None
        verdicts = "select verdict from application_files where application_id = ?"
        assert [r["verdict"] for r in rows(db, verdicts, ids["application_id"])] == ["pending"]
        assert one("passkeys", ids["passkey_id"])["name"] == "Телефон Марии"
        assert rows(db, "select count(*) as n from passkeys where user_id = ?", a)[0]["n"] == 1
        assert one("sessions", ids["session_id"])["replaced_at"] is None
        assert one("notifications", ids["notification_id"])["read_at"] is None
        assert one("push_subscriptions", ids["subscription_id"])["device"] == "Chrome, Android"
        assert count("subscription_id") == 1
        request = one("recovery_requests", ids["request_id"])
        assert (request["status"], request["handled_by"], request["note"]) == (
            "waiting",
            None,
            None,
        )

        accounts = {r["id"]: r for r in rows(db, "select * from users")}
        for role, user_id in world.users.items():
            assert accounts[user_id]["status"] == "active", f"{role} is no longer active"
            assert accounts[user_id]["password_blocked_at"] is None, f"{role} is blocked"
        [totp] = rows(db, "select confirmed_at from totp_secrets where user_id = ?", a)
        assert totp["confirmed_at"], "worker_a's authenticator app is gone"
    finally:
        db.close()
