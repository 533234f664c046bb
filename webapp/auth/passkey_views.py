"""Sign-in with a passkey: browser autofill (conditional mediation) or the button."""

from flask import current_app, jsonify, request, session, url_for

from webapp import audit
from webapp.auth import passkeys
from webapp.auth.flows import safe_next, sign_in
from webapp.auth.stepup import begin_check
from webapp.auth.store import factors as store
from webapp.auth.store import users
from webapp.auth.views import bp
from webapp.db import get_db
from webapp.extensions import limiter


@bp.post("/login/passkey/options")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def passkey_options():
    """Request options with no allow list: the browser offers the passkeys it holds."""
    return current_app.response_class(
        passkeys.authentication_options(session, current_app.config, purpose="login"),
        mimetype="application/json",
    )


@bp.post("/login/passkey")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def passkey_login():
    """Check the assertion; with user verification it is both factors."""
    db = get_db()
    try:
        credential = passkeys.parse_json(request.get_data())
        credential_id = passkeys.credential_id_of(credential)
        stored = store.passkey_by_credential(db, credential_id)
        if stored is None:
            session.pop("webauthn", None)
            audit.record(db, "passkey.failure", result="unknown-credential")
            return jsonify(
                error="Этот ключ доступа больше не действует. Войдите по паролю.",
                unknownCredential=credential_id,
            ), 400
        result = passkeys.verify_authentication(
            session, current_app.config, purpose="login", credential=credential, stored=stored
        )
    except passkeys.CeremonyError as exc:
        audit.record(db, "passkey.failure", result="refused")
        return jsonify(error=str(exc)), 400
    row = users.get_row(db, stored["user_id"])
    if row["status"] != "active":
        audit.record(db, "passkey.failure", subject_user_id=row["id"], result="inactive")
        return jsonify(error="Вход с этим ключом сейчас невозможен."), 400
    store.touch_passkey(db, stored["id"], result.new_sign_count)
    next_url = safe_next(request.args.get("next"), url_for("main.index"))
    if result.user_verified:
        sign_in(db, row["id"], factors=["passkey"])
        return jsonify(redirect=next_url)
    audit.record(
        db,
        "passkey.success",
        subject_user_id=row["id"],
        details={"purpose": "login", "user_verified": False},
    )
    return jsonify(redirect=begin_check("login", row["id"], next_url=next_url, first="passkey"))
