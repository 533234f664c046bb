"""«Уведомления на этом устройстве»: a browser's push subscription is stored and removed here; the
list and the button live in the notification settings (`profile.contacts`)."""

from flask import current_app, flash, jsonify, request, url_for
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.db import get_db
from webapp.notifications import store
from webapp.notifications.push_rules import BadSubscription, parse_subscription
from webapp.notifications.views import bp
from webapp.template_helpers import device_name

MAX_DEVICES = 10
TOO_MANY = (
    f"Уведомления уже включены на {MAX_DEVICES} устройствах. Отключите ненужные в списке "
    "ниже и повторите."
)


@bp.post("/push/subscribe")
@login_required
def push_subscribe():
    """Store this browser's subscription (JSON from PushSubscription.toJSON()) for the user."""
    try:
        subscription = parse_subscription(
            request.get_json(silent=True),
            allow_local=current_app.testing or current_app.debug,
        )
    except BadSubscription as problem:
        return jsonify(error=str(problem)), 400
    db = get_db()
    device = device_name(request.user_agent.string)
    with db.atomic():
        others = store.count_push_subscriptions(
            db, current_user.id, besides_endpoint=subscription.endpoint
        )
        if others >= MAX_DEVICES:
            return jsonify(error=TOO_MANY), 409
        subscription_id, outcome = store.save_push_subscription(
            db,
            current_user.id,
            endpoint=subscription.endpoint,
            p256dh=subscription.p256dh,
            auth=subscription.auth,
            device=device,
        )
        audit.record(
            db,
            "push.subscribe",
            object_type="push_subscription",
            object_id=subscription_id,
            details={"device": device, "outcome": outcome},
        )
    flash(f"Уведомления включены на устройстве «{device}».", "success")
    return jsonify(id=subscription_id, device=device), 201 if outcome != "renewed" else 200


@bp.post("/push/<int:subscription_id>/delete")
@login_required
def push_delete(subscription_id):
    """Stop pushes to one of the user's devices."""
    db = get_db()
    device = store.get_push_subscription_or_404(db, subscription_id, current_user)
    with db.atomic():
        store.delete_push_subscription(db, device["id"])
        audit.record(
            db,
            "push.delete",
            object_type="push_subscription",
            object_id=device["id"],
            details={"device": device["device"]},
        )
    flash(f"Уведомления на устройстве «{device['device']}» отключены.", "success")
    return htmx.redirect_to(url_for("profile.contacts") + "#push")
