"""The assisted recovery request."""

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.forms import REQUIRED, Form, no_control_chars, strip
from webapp.validators import snils_is_valid


class RecoveryRequestForm(Form):
    """Who is asking and how to reach them."""

    surname = StringField(
        "Фамилия",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars],
    )
    name = StringField(
        "Имя",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars],
    )
    patronymic = StringField(
        "Отчество", filters=[strip], validators=[Optional(), Length(max=60), no_control_chars]
    )
    snils = StringField(
        "СНИЛС", filters=[strip], validators=[DataRequired(REQUIRED), Length(max=20)]
    )
    contact = StringField(
        "Как с вами связаться",
        filters=[strip],
        description="Телефон или почта, к которым у вас сейчас есть доступ",
        validators=[DataRequired(REQUIRED), Length(max=120), no_control_chars],
    )
    details = TextAreaField(
        "Что случилось",
        filters=[strip],
        validators=[Optional(), Length(max=2000), no_control_chars],
    )

    def validate_snils(self, field):
        if not snils_is_valid(field.data):
            raise ValidationError("СНИЛС не прошёл проверку контрольного числа.")
