"""«Безопасность»: the page, enrolment, recovery codes, the password and «Это был не я»; the
passkeys and the code factors (app, SMS) have their own modules on this blueprint."""

from flask import (
    Blueprint,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature

from webapp import audit, htmx
from webapp.auth import recovery
from webapp.auth.factors import TITLES, password_min_length, second_factors
from webapp.auth.flows import cipher, set_password
from webapp.auth.forms import NewPasswordForm
from webapp.auth.gate import must_enrol
from webapp.auth.sessions import current_session_id, destroy_session, user_row
from webapp.auth.stepup import step_up_required
from webapp.auth.store import factors as store
from webapp.auth.store import sessions, users
from webapp.db import get_db
from webapp.links import signer
from webapp.notifications.deliver import security_notice
from webapp.security import score
from webapp.security.forms import passkey_name_form

bp = Blueprint("security", __name__, url_prefix="/security")


def changed(title: str, text: str, action: str, **details) -> None:
    """Audit a factor change and tell the owner on every channel they read."""
    db = get_db()
    audit.record(db, action, object_type="factor", details=details or None)
    security_notice(db, users.get_row(db, current_user.id), title, text)


def after_first_factor():
    """Right after the first second factor, suggest a backup one."""
    facts = store.enrolled(get_db(), current_user.id)
    if len(second_factors(facts)) == 1 and not facts["recovery_left"]:
        return url_for("security.enrol", backup=1)
    return url_for("security.index")


def would_leave_none(factor: str) -> bool:
    """Removing this factor would leave a mandatory account without a second factor."""
    facts = store.enrolled(get_db(), current_user.id)
    remaining = [
        f
        for f in second_factors(facts)
        if f != factor or (factor == "passkey" and facts["passkey"] > 1)
    ]
    if remaining:
        return False
    optional = current_app.config["SECOND_FACTOR_OPTIONAL_FOR_WORKERS"]
    return not (optional and current_user.roles <= {"worker"})


@bp.get("")
@login_required
def index():
    """Factors, recovery codes, sessions, sign-in history and the protection score."""
    db = get_db()
    facts = store.enrolled(db, current_user.id)
    keys = store.passkeys(db, current_user.id)
    return render_template(
        "security/index.html",
        facts=facts,
        protection=score.protection(facts),
        keys=keys,
        account=user_row(db, current_user.id),
        sessions=sessions.list_for_user(db, current_user.id),
        current_id=current_session_id(),
        events=audit.login_history(db, current_user.id, limit=10),
        name_forms={k["id"]: passkey_name_form(k["id"], k["name"]) for k in keys},
        titles=TITLES,
    )


@bp.get("/enrol")
@login_required
def enrol():
    """Choose a second factor: passkey first, then the app, then SMS (the weakest)."""
    facts = store.enrolled(get_db(), current_user.id)
    backup = request.args.get("backup") == "1" and second_factors(facts)
    return render_template(
        "security/enrol.html", facts=facts, backup=backup, required=must_enrol(current_user)
    )


@bp.post("/recovery-codes")
@login_required
@step_up_required
def recovery_codes():
    """Make ten new recovery codes; they are shown once and stored only as hashes."""
    db = get_db()
    codes = recovery.new_codes()
    hashes = [cipher().code_hash("recovery", str(current_user.id), c) for c in codes]
    with db.atomic():
        store.replace_recovery_codes(db, current_user.id, hashes)
    changed(
        "Созданы новые коды восстановления",
        "Для вашей учётной записи созданы новые коды восстановления; старые больше не действуют.",
        "recovery.generate",
    )
    return render_template(
        "security/recovery_codes.html", codes=codes, next_url=url_for("security.index")
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
@step_up_required
def password():
    """Change the password; other sessions end."""
    db = get_db()
    row = users.get_row(db, current_user.id)
    min_length = password_min_length(current_app.config, store.enrolled(db, current_user.id))
    form = NewPasswordForm(personal=users.personal_words(row), min_length=min_length)
    if not form.validate_on_submit():
        return htmx.form_page("security/password.html", form=form, min_length=min_length)
    set_password(db, row, form.password.data, how="change", keep_session_id=current_session_id())
    flash("Пароль изменён. Другие сеансы завершены.", "success")
    return htmx.redirect_to(url_for("security.index"))


@bp.route("/not-me/<token>", methods=["GET", "POST"])
def not_me(token):
    """«Это был не я»: end all sessions, block password sign-in and send the person to recovery."""
    db = get_db()
    try:
        data = signer("not-me").loads(token, max_age=current_app.config["NOT_ME_LINK_MAX_AGE"])
    except BadSignature:
        data = None
    row = users.get_row(db, data["u"]) if data else None
    if row is None:
        flash("Ссылка недействительна или устарела.", "error")
        return htmx.redirect_to(url_for("auth.login"))
    if request.method == "GET":
        return render_template("security/not_me.html", token=token)
    with db.atomic():
        sessions.end_all(db, row["id"])
        users.block_password(db, row["id"])
        audit.record(db, "security.not_me", subject_user_id=row["id"])
    security_notice(
        db,
        row,
        "Все сеансы завершены",
        "По вашей просьбе все сеансы завершены, а вход по паролю заблокирован. "
        "Задайте новый пароль через восстановление доступа.",
        critical=True,
    )
    if current_user.is_authenticated:
        logout_user()
    destroy_session()
    flash("Все сеансы завершены, вход по паролю заблокирован. Задайте новый пароль.", "success")
    return htmx.redirect_to(url_for("reset.start"))
