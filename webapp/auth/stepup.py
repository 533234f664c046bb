"""Second-factor checks: starting one, and step-up (recent authentication with the strongest
factor the user has, DESIGN §4)."""

import functools
from datetime import datetime, timedelta

from flask import current_app, jsonify, request, session, url_for
from flask_login import current_user

from webapp import htmx
from webapp.auth.factors import strongest
from webapp.auth.store import factors
from webapp.clock import now, now_iso
from webapp.db import get_db


def begin_check(
    purpose: str, user_id: int, *, next_url: str | None = None, first: str | None = None
) -> str:
    """Start a second-factor check (sign-in, reset or step-up); return the URL of its page."""
    session["verify"] = {"purpose": purpose, "user_id": user_id, "next": next_url, "first": first}
    return url_for("verify.index")


def mark_factor(factor: str) -> None:
    """Remember that this session just passed this factor."""
    stamps = dict(session.get("factors_at") or {})
    stamps[factor] = now_iso()
    session["factors_at"] = stamps


def is_fresh(factor: str) -> bool:
    """Did this session pass the factor within the step-up window?"""
    stamp = (session.get("factors_at") or {}).get(factor)
    if not stamp:
        return False
    window = timedelta(seconds=current_app.config["STEP_UP_SECONDS"])
    return now() - datetime.fromisoformat(stamp) <= window


def needed_factor(user_id: int) -> str | None:
    """The factor to pass again, or None when the session is fresh enough."""
    factor = strongest(factors.enrolled(get_db(), user_id))
    return None if is_fresh(factor) else factor


def step_up_required(view):
    """View decorator: send the user to re-authenticate when the last strong sign-in is stale.

    After a POST the user comes back to the page they acted from (its Referer, if it is ours),
    so they can repeat the action; a GET comes back to itself.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and needed_factor(current_user.id):
            back = request.full_path if request.method == "GET" else _same_site_referrer()
            target = begin_check("stepup", current_user.id, next_url=back)
            if request.is_json:
                return jsonify(redirect=target, error="Подтвердите, что это вы."), 401
            return htmx.redirect_to(target)
        return view(*args, **kwargs)

    return wrapper


def _same_site_referrer() -> str:
    referrer = request.referrer or ""
    root = request.host_url
    if referrer.startswith(root):
        return "/" + referrer[len(root) :]
    return url_for("security.index")
