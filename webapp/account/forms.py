"""Forms of the account settings: a new phone or e-mail, the time zone, deleting the account."""

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.clock import known_zones
from webapp.forms import REQUIRED, Form, email_address, mobile_phone, no_control_chars, strip
from webapp.template_helpers import RUSSIAN_ZONES, zone_title

# The world's zones offered after Russia's: the regional names, not the legacy aliases
# («US/Eastern», «W-SU»); an alias still saves (a browser may report one) and is then listed.
REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


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


def zone_choices(*extra: str) -> dict[str, list[tuple[str, str]]]:
    """Russia's zones west to east, then every other zone by name, with today's UTC offsets;
    `extra` zones (the saved one, the one sent) are listed too when they are real."""
    russian = [key for key, _city in RUSSIAN_ZONES]
    others = {key for key in known_zones() if key.startswith(REGIONS) or key == "UTC"}
    others |= {key for key in extra if key in known_zones()}
    others -= set(russian)
    return {
        "Россия": [(key, zone_title(key)) for key in russian],
        "Другой часовой пояс": [(key, zone_title(key)) for key in sorted(others)],
    }


class TimeZoneForm(Form):
    """The zone the account's times are shown and days counted in."""

    time_zone = SelectField(
        "Часовой пояс",
        validate_choice=False,  # checked against every known zone below, aliases included
        validators=[DataRequired("Выберите часовой пояс.")],
    )

    def __init__(self, *args, saved: str, **kwargs):
        super().__init__(*args, **kwargs)
        sent = self.time_zone.data if isinstance(self.time_zone.data, str) else ""
        self.time_zone.choices = zone_choices(saved, sent)

    def validate_time_zone(self, field):
        if field.data not in known_zones():
            raise ValidationError("Выберите часовой пояс из списка.")
