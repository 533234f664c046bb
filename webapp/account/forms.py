"""Forms of the account settings: a new phone or e-mail, deleting the account."""

from flask import current_app
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.forms import REQUIRED, Form, email_problem, no_control_chars, strip
from webapp.validators import normalize_phone


class PhoneChangeForm(Form):
    """A new mobile number for the account."""

    phone = StringField(
        "Новый мобильный телефон",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=32)],
    )

    def validate_phone(self, field):
        phone = normalize_phone(field.data, current_app.config["SMS_ALLOWED_REGIONS"])
        if phone is None:
            raise ValidationError("Нужен российский мобильный номер: +7 и 10 цифр.")
        field.data = phone


class EmailChangeForm(Form):
    """A new email address for the account."""

    email = StringField(
        "Новая почта",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=254), no_control_chars],
    )

    def validate_email(self, field):
        problem = email_problem(field.data)
        if problem:
            raise ValidationError(problem)
        field.data = field.data.casefold()


class DeleteAccountForm(Form):
    """Typing the word proves the intent."""

    confirm = StringField(
        "Введите слово УДАЛИТЬ",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=20)],
    )

    def validate_confirm(self, field):
        if field.data.casefold() != "удалить":
            raise ValidationError("Введите слово УДАЛИТЬ, чтобы подтвердить.")
