"""The second-factor page, shared by sign-in, password reset and step-up: the page, which
factors may answer, and what happens once one did. Each factor's check is in `factor_views`."""

import functools

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)

from webapp import audit, htmx
from webapp.auth import failures
from webapp.auth.factors import TITLES, second_factors, strongest
from webapp.auth.flows import safe_next, sign_in
from webapp.auth.forms import AppCodeForm, CodeForm
from webapp.auth.sessions import rotate_session
from webapp.auth.stepup import mark_factor
from webapp.auth.store import factors as store
from webapp.auth.store import users
from webapp.db import get_db
from webapp.verify.forms import PasswordCheckForm, RecoveryCodeForm

bp = Blueprint("verify", __name__, url_prefix="/verify")

PURPOSE_TITLES = {
    "login": "Подтвердите вход",
    "reset": "Подтвердите, что это вы",
    "stepup": "Подтвердите действие",
}


def allowed(pending: dict, facts: dict) -> list[str]:
    """Factors that may answer this check, strongest first."""
    if pending["purpose"] == "stepup":
        return [strongest(facts)]
    options = second_factors(facts)
    if pending.get("first") == "passkey":
        options = [f for f in options if f != "passkey"] + ["password"]
    if facts["recovery_left"]:
        options.append("recovery")
    return options


def verify_page(pending, facts, *, status=200, forms=None, sms_sent=False):
    forms = forms or {}
    user = users.get_row(get_db(), pending["user_id"])
    return render_template(
        "verify/index.html",
        title=PURPOSE_TITLES[pending["purpose"]],
        purpose=pending["purpose"],
        options=allowed(pending, facts),
        titles=TITLES,
        totp_form=forms.get("totp") or AppCodeForm(prefix="totp"),
        sms_form=forms.get("sms") or CodeForm(prefix="sms"),
        recovery_form=forms.get("recovery") or RecoveryCodeForm(),
        password_form=forms.get("password") or PasswordCheckForm(),
        sms_sent=sms_sent or pending.get("sms_sent"),
        phone=user["phone"],
        recovery_left=facts["recovery_left"],
    ), status


@bp.get("")
def index():
    """Choose and pass one of the allowed factors."""
    pending = session.get("verify")
    if not pending:
        return redirect(url_for("auth.login"))
    return verify_page(pending, store.enrolled(get_db(), pending["user_id"]))


def _guard(pending, facts, factor):
    """None when this factor may be tried now, else the refusal response."""
    if factor not in allowed(pending, facts):
        return verify_page(pending, facts, status=400)
    state = failures.state(get_db(), current_app.config, pending["user_id"], factor)
    if state.blocked:
        audit.record(
            get_db(), f"{factor}.blocked", subject_user_id=pending["user_id"], result="refused"
        )
        flash(
            "Слишком много неверных попыток. Попробуйте позже или выберите другой способ.", "error"
        )
        return verify_page(pending, facts, status=429)
    return None


def answers(factor: str):
    """View decorator: a check must be pending and this factor allowed and not blocked;
    the view gets the pending check and the user's enrolled factors."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper():
            pending = session.get("verify")
            if not pending:
                return redirect(url_for("auth.login"))
            facts = store.enrolled(get_db(), pending["user_id"])
            return _guard(pending, facts, factor) or view(pending, facts)

        return wrapper

    return decorate


def failed(pending, facts, factor, form, message):
    db = get_db()
    failures.record_failure(db, pending["user_id"], factor)
    audit.record(
        db,
        f"{factor}.failure",
        subject_user_id=pending["user_id"],
        result="failure",
        details={"purpose": pending["purpose"]},
    )
    target = form.code if hasattr(form, "code") else form.password
    target.errors = [*target.errors, message]
    return verify_page(pending, facts, status=422, forms={factor: form})


@bp.post("/cancel")
def cancel():
    """Abandon the check."""
    pending = session.pop("verify", None)
    target = url_for("auth.login")
    if pending and pending["purpose"] == "stepup":
        target = safe_next(pending.get("next"), url_for("security.index"))
    return htmx.redirect_to(target)


def complete(pending: dict, factor: str):
    """The factor passed: finish what the check was for."""
    db = get_db()
    session.pop("verify", None)
    failures.reset(db, pending["user_id"], factor)
    audit.record(
        db,
        f"{factor}.success",
        subject_user_id=pending["user_id"],
        details={"purpose": pending["purpose"]},
    )
    if pending["purpose"] == "login":
        sign_in(db, pending["user_id"], factors=[pending.get("first") or "password", factor])
        if factor == "recovery":
            flash(
                "Вы вошли с кодом восстановления. Проверьте способы входа и замените потерянный.",
                "info",
            )
            return htmx.redirect_to(url_for("security.index"))
        return htmx.redirect_to(safe_next(pending.get("next"), url_for("main.index")))
    if pending["purpose"] == "reset":
        reset = dict(session.get("reset") or {})
        if reset.get("user_id") == pending["user_id"]:
            reset["second_factor"] = factor
            session["reset"] = reset
        return htmx.redirect_to(url_for("reset.password"))
    mark_factor(factor)
    rotate_session()
    return htmx.redirect_to(safe_next(pending.get("next"), url_for("security.index")))
