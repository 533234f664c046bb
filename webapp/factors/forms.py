"""Forms of the factors feature."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.auth.forms import REQUIRED
from webapp.factors import recovery
from webapp.forms import Form, no_control_chars, strip


class RecoveryCodeForm(Form):
    """One of the ten recovery codes."""

    code = StringField(
        "Код восстановления",
        filters=[strip],
        description="16 символов, например K7QF-2M9X-ABCD-EFGH",
        validators=[DataRequired(REQUIRED), Length(max=40)],
    )

    def validate_code(self, field):
        if recovery.normalize(field.data) is None:
            raise ValidationError(
                "Код восстановления — это 16 букв и цифр, как на листке с кодами."
            )


class PasswordCheckForm(Form):
    """The current password."""

    password = PasswordField("Пароль", validators=[DataRequired(REQUIRED), Length(max=1024)])


class PasskeyNameForm(Form):
    """A passkey's name."""

    name = StringField(
        "Название",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars],
    )


class PhoneChangeForm(Form):
    """A new mobile number for the account."""

    phone = StringField(
        "Новый мобильный телефон",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=32)],
    )

    def validate_phone(self, field):
        from flask import current_app

        from webapp.validators import normalize_phone

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
        from webapp.forms import email_problem

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
