"""Second factor required: signed-in users without one go to the enrolment page first."""

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user

from webapp.auth.factors import second_factors
from webapp.auth.store import factors
from webapp.db import get_db

OPEN_DURING_ENROLMENT = {
    "static",
    "pwa.manifest",
    "pwa.service_worker",
    "pwa.offline",
    "auth.logout",
    "auth.email_confirm",
    "auth.consent",
    "main.dev_outbox",
    "security.not_me",
    "account.change",
    "account.change_confirm",
    "account.delete",
}


def must_enrol(user) -> bool:
    """Mandatory for reviewers and admins; for workers unless the setting makes it optional."""
    if current_app.config["SECOND_FACTOR_OPTIONAL_FOR_WORKERS"] and user.roles <= {"worker"}:
        return False
    return not second_factors(factors.enrolled(get_db(), user.id))


def enforce():
    """before_request hook."""
    if not current_user.is_authenticated or session.get("enrolled"):
        return None
    endpoint = request.endpoint or ""
    if endpoint in OPEN_DURING_ENROLMENT or endpoint.startswith(("security.", "verify.")):
        return None
    if must_enrol(current_user):
        return redirect(url_for("security.enrol"))
    session["enrolled"] = True
    return None
