"""The HR admin's decision on a declared job."""

from wtforms import TextAreaField
from wtforms.validators import Length

from webapp.forms import Form, no_control_chars, plain_text, strip


class DecisionForm(Form):
    """The reason is required to reject."""

    reason = TextAreaField(
        "Причина отказа",
        filters=[strip],
        description="Работник увидит её в профиле",
        validators=[Length(max=500), no_control_chars, plain_text],
    )
