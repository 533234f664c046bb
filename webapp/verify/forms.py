"""Forms of the second-factor page: a recovery code and the password."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.auth import recovery
from webapp.forms import REQUIRED, Form, strip


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
