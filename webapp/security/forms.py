"""Forms of the «Безопасность» page."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.forms import REQUIRED, Form, no_control_chars, strip


class PasskeyNameForm(Form):
    """A passkey's name."""

    name = StringField(
        "Название",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=60), no_control_chars],
    )
