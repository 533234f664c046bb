"""Passkeys on «Безопасность»: add (WebAuthn registration), rename, delete, and the list the
browser's Signal API keeps in step."""

from flask import (
    current_app,
    flash,
    jsonify,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from webauthn.helpers import bytes_to_base64url

from webapp import audit, htmx
from webapp.auth import passkeys
from webapp.auth.stepup import mark_factor, step_up_required
from webapp.auth.store import factors as store
from webapp.auth.store import users
from webapp.db import get_db
from webapp.security.forms import passkey_name_form
from webapp.security.views import after_first_factor, bp, changed, would_leave_none


@bp.post("/passkeys/options")
@login_required
@step_up_required
def passkey_options():
    """Creation options for a new passkey, excluding the ones already registered."""
    db = get_db()
    options = passkeys.registration_options(
        session,
        current_app.config,
        handle=store.webauthn_handle(db, current_user.id),
        name=users.get_row(db, current_user.id)["phone"],
        display_name=current_user.full_name,
        existing=[p["credential_id"] for p in store.passkeys(db, current_user.id)],
    )
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkeys")
@login_required
@step_up_required
def passkey_add():
    """Verify and store a new passkey."""
    db = get_db()
    try:
        credential = passkeys.parse_json(request.get_data())
        result = passkeys.verify_registration(session, current_app.config, credential)
    except passkeys.CeremonyError as exc:
        audit.record(db, "passkey.register", result="refused")
        return jsonify(error=str(exc)), 400
    credential_id = bytes_to_base64url(result.credential_id)
    if store.passkey_by_credential(db, credential_id):
        return jsonify(error="Этот ключ доступа уже добавлен."), 400
    transports = credential.get("response", {}).get("transports") or []
    store.add_passkey(
        db,
        current_user.id,
        credential_id=credential_id,
        public_key=result.credential_public_key,
        sign_count=result.sign_count,
        transports=",".join(t for t in transports if isinstance(t, str))[:100],
        aaguid=result.aaguid,
        backed_up=result.credential_backed_up,
        name=passkeys.default_name(request.user_agent.string),
    )
    mark_factor("passkey")
    session["enrolled"] = True
    changed(
        "Добавлен ключ доступа",
        "К вашей учётной записи добавлен новый ключ доступа.",
        "passkey.add",
    )
    flash("Ключ доступа добавлен. Теперь можно входить по отпечатку или лицу.", "success")
    return jsonify(redirect=after_first_factor())


@bp.post("/passkeys/<int:passkey_id>/rename")
@login_required
def passkey_rename(passkey_id):
    """Give a passkey a recognisable name."""
    db = get_db()
    store.get_passkey_or_404(db, passkey_id, current_user)
    form = passkey_name_form(passkey_id)
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors), "error")
    else:
        store.rename_passkey(db, current_user.id, passkey_id, form.name.data)
        audit.record(db, "passkey.rename", object_type="passkey", object_id=passkey_id)
        flash("Название сохранено.", "success")
    return htmx.redirect_to(url_for("security.index"))


@bp.post("/passkeys/<int:passkey_id>/delete")
@login_required
@step_up_required
def passkey_delete(passkey_id):
    """Delete a passkey (after step-up); the page then tells password managers."""
    db = get_db()
    store.get_passkey_or_404(db, passkey_id, current_user)
    if would_leave_none("passkey"):
        flash("Это ваш единственный способ подтверждения входа. Сначала добавьте другой.", "error")
    elif store.delete_passkey(db, current_user.id, passkey_id):
        changed(
            "Удалён ключ доступа",
            "Из вашей учётной записи удалён ключ доступа.",
            "passkey.delete",
            passkey_id=passkey_id,
        )
        flash("Ключ доступа удалён.", "success")
        session["signal_passkeys"] = True
    else:
        flash("Такого ключа нет.", "error")
    return htmx.redirect_to(url_for("security.index"))


@bp.get("/passkeys/accepted")
@login_required
def passkeys_accepted():
    """For the WebAuthn Signal API: the credential ids this account still accepts."""
    db = get_db()
    return jsonify(
        rpId=current_app.config["WEBAUTHN_RP_ID"],
        userId=bytes_to_base64url(store.webauthn_handle(db, current_user.id)),
        allAcceptedCredentialIds=[p["credential_id"] for p in store.passkeys(db, current_user.id)],
        name=users.get_row(db, current_user.id)["phone"],
        displayName=current_user.full_name,
    )
