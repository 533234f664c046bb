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


def passkey_name_form(passkey_id: int, name: str | None = None) -> PasskeyNameForm:
    """Each passkey has its own rename form (its own field ids on one page)."""
    data = {"name": name} if name is not None else None
    return PasskeyNameForm(prefix=f"key{passkey_id}", data=data)
