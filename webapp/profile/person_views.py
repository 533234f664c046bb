"""Personal data, смена ФИО and contacts: the worker's own identity on the profile blueprint."""

import sqlite3
from datetime import date
from types import SimpleNamespace

from flask import flash, url_for
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.adapters import push
from webapp.auth.flows import cipher
from webapp.auth.sessions import user_row
from webapp.auth.store import users
from webapp.db import get_db
from webapp.notifications import store as notices
from webapp.notifications.deliver import security_notice
from webapp.profile import store
from webapp.profile.forms import person as forms
from webapp.profile.views import bp
from webapp.validators import digits_of


@bp.route("/personal", methods=["GET", "POST"])
@login_required
def person():
    """Edit пол, гражданство, адрес, ИНН and passport (identifiers stored encrypted)."""
    db = get_db()
    user = users.get_row(db, current_user.id)
    row = store.get_person(db, current_user.id)
    sealed = cipher()
    current = SimpleNamespace(**row)
    current.inn = sealed.decrypt("inn", row["inn_enc"]) if row.get("inn_enc") else None
    passport = sealed.decrypt("passport", row["passport_enc"]) if row.get("passport_enc") else ""
    current.passport_series, _, current.passport_number = passport.partition(" ")
    if not row.get("citizenship") and not row.get("inn_enc"):
        current.citizenship = "Российская Федерация"
    form = forms.PersonForm(obj=current, birth_date=date.fromisoformat(user["birth_date"]))
    if not form.validate_on_submit():
        return htmx.form_page("profile/person.html", form=form)
    values = {name: form[name].data for name in store.PERSON_FIELDS if name in form}
    inn = digits_of(form.inn.data or "")
    series, number = digits_of(form.passport_series.data), digits_of(form.passport_number.data)
    values["inn_enc"] = sealed.encrypt("inn", inn) if inn else None
    values["inn_bidx"] = sealed.blind_index("inn", inn) if inn else None
    values["passport_enc"] = sealed.encrypt("passport", f"{series} {number}") if number else None
    values["passport_bidx"] = sealed.blind_index("passport", series + number) if number else None
    if values.get("passport_division_code"):
        code = digits_of(values["passport_division_code"])
        values["passport_division_code"] = f"{code[:3]}-{code[3:]}"
    try:
        with db.atomic():
            store.save_person(db, current_user.id, values)
            audit.record(
                db,
                "profile.person.update",
                object_type="person",
                object_id=current_user.id,
                details={"fields": sorted(k for k in values if not k.endswith("_bidx"))},
            )
    except sqlite3.IntegrityError:
        clashes = store.identifier_clashes(db, current_user.id, values)
        field = form.inn if "inn_bidx" in clashes else form.passport_number
        field.errors.append(
            "Этот номер уже указан в другой учётной записи. Если это ваш номер, напишите в "
            "поддержку — мы разберёмся."
        )
        return htmx.form_page("profile/person.html", 422, form=form)
    flash("Личные данные сохранены.", "success")
    return htmx.redirect_to(url_for("profile.record"))


@bp.route("/name", methods=["GET", "POST"])
@login_required
def name_change():
    """Смена ФИО: the old name is kept with the document that changed it."""
    db = get_db()
    form = forms.NameChangeForm()
    history = store.name_changes(db, current_user.id)
    if not form.validate_on_submit():
        return htmx.form_page("profile/name_change.html", form=form, history=history)
    user = users.get_row(db, current_user.id)
    new = (form.surname.data, form.name.data, form.patronymic.data or None)
    if new == (user["surname"], user["name"], user["patronymic"]):
        form.surname.errors.append("Новое ФИО совпадает с текущим.")
        return htmx.form_page("profile/name_change.html", 422, form=form, history=history)
    with db.atomic():
        store.add_name_change(
            db,
            current_user.id,
            user,
            changed_on=form.changed_on.data,
            reason=form.reason.data,
            document_title=form.document_title.data,
        )
        users.change_name(db, current_user.id, *new)
        audit.record(db, "profile.name.change", object_type="user", object_id=current_user.id)
    security_notice(db, user, "ФИО изменено", "В профиле изменены фамилия, имя или отчество.")
    flash("ФИО изменено, прежнее сохранено в истории.", "success")
    return htmx.redirect_to(url_for("profile.record"))


@bp.route("/contacts", methods=["GET", "POST"])
@login_required
def contacts():
    """Extra phone, messengers, notification channels and the devices that take pushes."""
    db = get_db()
    row = store.get_person(db, current_user.id)
    chosen = notices.prefs(db, current_user.id)
    current = SimpleNamespace(**row, **{f"{t}_{c}": on for (t, c), on in chosen.items()})
    form = forms.ContactsForm(obj=current)
    account = user_row(db, current_user.id)
    if not form.validate_on_submit():
        return htmx.form_page(
            "profile/contacts.html",
            form=form,
            account=account,
            devices=notices.push_subscriptions(db, current_user.id),
            push_key=push.public_key(),
        )
    values = {k: form[k].data or None for k in store.CONTACT_FIELDS}
    with db.atomic():
        store.save_person(db, current_user.id, values)
        notices.save_prefs(
            db,
            current_user.id,
            {(t, c): form[f"{t}_{c}"].data for t in notices.TOPICS for c in notices.CHANNELS},
        )
        audit.record(db, "profile.contacts.update", object_type="person", object_id=current_user.id)
    flash("Контакты сохранены.", "success")
    return htmx.redirect_to(url_for("profile.record"))
