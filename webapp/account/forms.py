"""Forms of the account settings: a new phone or e-mail, deleting the account."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.forms import REQUIRED, Form, email_address, mobile_phone, no_control_chars, strip


class PhoneChangeForm(Form):
    """A new mobile number for the account."""

    phone = StringField(
        "Новый мобильный телефон",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=32), mobile_phone],
    )


class EmailChangeForm(Form):
    """A new email address for the account."""

    email = StringField(
        "Новая почта",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=254), no_control_chars, email_address],
    )


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
