"""The audit log's filters (a GET form: nothing changes, so no CSRF token)."""

from wtforms import IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from webapp.forms import DateInput, Form, strip


class AuditFilterForm(Form):
    """Action prefix, user and dates; a bad value is ignored, never an error page."""

    class Meta:
        csrf = False

    action = StringField("Действие", filters=[strip], validators=[Optional()])
    user = IntegerField("ID пользователя", validators=[Optional(), NumberRange(1, 2**53)])
    date_from = DateInput("С", name="from", validators=[Optional()])
    date_to = DateInput("По", name="to", validators=[Optional()])
