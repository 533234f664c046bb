"""Signing and sending: the worker confirms the hash shown on the review step with a passkey (the
hash is the WebAuthn challenge, so the authenticator's signature covers it) or with an SMS code
sent for that hash. A second tap, another tab or a retry finds the application sent and says so.
"""

import re

from flask import abort, current_app, flash, jsonify, request, session, url_for
from flask_login import current_user

from webapp import audit, htmx
from webapp.applications import engine, forms, store
from webapp.applications.kinds import KINDS
from webapp.applications.views import bp, worker_required
from webapp.auth import passkeys
from webapp.auth.flows import check_code, send_code
from webapp.auth.store import factors as factor_store
from webapp.auth.store import users
from webapp.clock import today
from webapp.db import get_db
from webapp.extensions import limiter

HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _current_digest(db, application: dict) -> str | None:
    """The hash the application would be signed with now (None when it cannot be signed)."""
    draft = engine.assemble(db, application, today(current_user.time_zone))
    if draft.missing or draft.blocking:
        return None
    return engine.signed_form(db, draft)[0]


def _own(application_id: int) -> dict:
    db = get_db()
    application = store.get_application_or_404(db, application_id, current_user)
    if application["user_id"] != current_user.id:
        abort(404)
    return application


def _already_sent(application: dict, digest: str | None) -> bool:
    return application["state"] not in ("draft", "returned") and (
        digest is None or application["signed_hash"] == digest
    )


def _done(application_id: int, number: str) -> str:
    flash(f"Заявление принято. Номер {number}.", "success")
    return url_for("applications.show", application_id=application_id, accepted=1)


def _review_step(application_id: int) -> str:
    return url_for("applications.step", application_id=application_id, step="review")


@bp.post("/<int:application_id>/sign/options")
@worker_required
def sign_options(application_id):
    """WebAuthn options whose challenge is the application's hash."""
    db = get_db()
    application = _own(application_id)
    digest = request.args.get("digest", "")
    if not HEX_DIGEST.fullmatch(digest):
        return jsonify(error="Страница устарела. Обновите её и подпишите снова."), 400
    if _already_sent(application, digest):
        return jsonify(error="Заявление уже отправлено. Обновите страницу."), 409
    if digest != _current_digest(db, application):
        return jsonify(
            error="Заявление изменилось после открытия страницы. Обновите её и подпишите снова."
        ), 409
    allow = [p["credential_id"] for p in factor_store.passkeys(db, current_user.id)]
    options = passkeys.authentication_options(
        session,
        current_app.config,
        purpose=f"sign:{application_id}",
        allow=allow,
        require_uv=True,
        challenge=bytes.fromhex(digest),
    )
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/<int:application_id>/sign/passkey")
@worker_required
def sign_with_passkey(application_id):
    """Check the assertion over the hash, then send the application."""
    db = get_db()
    application = _own(application_id)
    try:
        credential = passkeys.parse_json(request.get_data())
        stored = factor_store.passkey_by_credential(db, passkeys.credential_id_of(credential))
        if stored is None or stored["user_id"] != current_user.id:
            session.pop("webauthn", None)
            raise passkeys.CeremonyError("Этот ключ доступа не относится к вашей учётной записи.")
        pending_challenge = (session.get("webauthn") or {}).get("challenge", "")
        result = passkeys.verify_authentication(
            session,
            current_app.config,
            purpose=f"sign:{application_id}",
            credential=credential,
            stored=stored,
        )
    except passkeys.CeremonyError as exc:
        audit.record(
            db,
            "application.sign_failure",
            object_type="application",
            object_id=application_id,
            result="refused",
        )
        return jsonify(error=str(exc)), 400
    factor_store.touch_passkey(db, stored["id"], result.new_sign_count)
    digest = passkeys.base64url_to_bytes(pending_challenge).hex()
    if _already_sent(application, digest):
        return jsonify(redirect=url_for("applications.show", application_id=application_id))
    response = credential.get("response", {})
    evidence = {
        "factor": "passkey",
        "credential_id": stored["credential_id"],
        "authenticator_data": response.get("authenticatorData"),
        "client_data_json": response.get("clientDataJSON"),
        "signature": response.get("signature"),
    }
    try:
        number = engine.submit(
            db, application, current_user, expected=digest, factor="passkey", evidence=evidence
        )
    except engine.MoveRefused as exc:
        return jsonify(error=str(exc)), 409
    return jsonify(redirect=_done(application_id, number))


@bp.post("/<int:application_id>/sign/sms/send")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"])
@worker_required
def sign_send_code(application_id):
    """Send a code for this hash to the account's phone."""
    db = get_db()
    application = _own(application_id)
    form = forms.SignSmsSendForm()
    if not form.validate_on_submit():
        flash("Страница устарела. Обновите её и попробуйте ещё раз.", "error")
        return htmx.redirect_to(_review_step(application_id))
    if _already_sent(application, form.digest.data):
        flash("Заявление уже отправлено.", "info")
        return htmx.redirect_to(url_for("applications.show", application_id=application_id))
    if form.digest.data != _current_digest(db, application):
        flash("Заявление изменилось. Проверьте его ещё раз и подпишите.", "error")
        return htmx.redirect_to(_review_step(application_id))
    user = users.get_row(db, current_user.id)
    kind = KINDS[application["kind"]]
    problem = send_code(
        db,
        purpose="sign",
        phone=user["phone"],
        user_id=current_user.id,
        about=f"{kind.short}, отпечаток {form.digest.data[:8]}",
    )
    if problem:
        flash(problem, "error")
    else:
        session["signing"] = {"application": application_id, "digest": form.digest.data}
        flash("Код отправлен. В SMS — начало отпечатка заявления: сверьте его.", "success")
    return htmx.redirect_to(_review_step(application_id) + "#sign")


@bp.post("/<int:application_id>/sign/sms")
@worker_required
def sign_with_sms(application_id):
    """Check the code sent for this hash, then send the application."""
    db = get_db()
    application = _own(application_id)
    form = forms.SignSmsForm()
    if not form.validate_on_submit():
        flash(form.code.errors[0] if form.code.errors else "Обновите страницу.", "error")
        return htmx.redirect_to(_review_step(application_id) + "#sign")
    digest = form.digest.data
    if _already_sent(application, digest):
        flash("Заявление уже отправлено.", "info")
        return htmx.redirect_to(url_for("applications.show", application_id=application_id))
    pending = session.get("signing") or {}
    if pending.get("application") != application_id or pending.get("digest") != digest:
        flash("Код отправлялся для другой версии заявления. Запросите новый код.", "error")
        return htmx.redirect_to(_review_step(application_id) + "#sign")
    user = users.get_row(db, current_user.id)
    verdict = check_code(
        db, purpose="sign", phone=user["phone"], code=form.code.data, user_id=user["id"]
    )
    if not verdict.ok:
        flash(verdict.message, "error")
        return htmx.redirect_to(_review_step(application_id) + "#sign")
    session.pop("signing", None)
    evidence = {"factor": "sms", "phone_tail": user["phone"][-4:], "digest": digest}
    try:
        number = engine.submit(
            db, application, current_user, expected=digest, factor="sms", evidence=evidence
        )
    except engine.MoveRefused as exc:
        flash(str(exc), "error")
        return htmx.redirect_to(_review_step(application_id))
    return htmx.redirect_to(_done(application_id, number))
