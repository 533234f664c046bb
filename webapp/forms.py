"""Shared form base, field helpers and validators with Russian messages."""

import re
import unicodedata
from datetime import date

from flask import current_app
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import core as widget_core

from webapp.clock import today
from webapp.validators import normalize_phone


class Form(FlaskForm):
    """FlaskForm with WTForms' built-in Russian messages."""

    class Meta:
        locales = ("ru_RU", "ru")


def html_params(**attributes) -> Markup:
    """WTForms' `html_params` with the same output, written with plain strings.

    The original formats every attribute through `Markup.format` (a pure-Python formatter that
    escapes each part): ~15 µs an attribute, a tenth of a millisecond per input, most of the cost
    of a form page (bench/README.md, issue 13). Keys sorted, `True` as a bare attribute, `False`
    left out, everything else escaped with `"` as `&quot;`, as there.
    """
    params = []
    for key, value in sorted(attributes.items()):
        name = escape(widget_core.clean_key(key))
        if value is True:
            params.append(name)
        elif value is not False:
            params.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    # Every part above went through escape(); Markup's own + and format cost µs each.
    return Markup(" ".join(params))  # noqa: S704


def use_fast_html_params() -> None:
    """Make every WTForms widget (and label) build its attributes with `html_params` above."""
    widget_core.html_params = html_params
    widgets.html_params = html_params
    widget_core.Input.html_params = staticmethod(html_params)
    widget_core.Button.html_params = staticmethod(html_params)


def field_attributes(field, extra, autocomplete, inputmode, placeholder, autofocus, kind) -> dict:
    """The attributes `field()` in templates/_form_macros.html gives an input: the caller's, then
    the required flag, `aria-invalid` and `aria-describedby` (its hint, its error). In Python, as
    a dozen `{% do %}` statements cost more than the input itself."""
    attributes = dict(extra)
    if autocomplete:
        attributes["autocomplete"] = autocomplete
    if inputmode:
        attributes["inputmode"] = inputmode
    if placeholder:
        attributes["placeholder"] = placeholder
    if autofocus:
        attributes["autofocus"] = True
    if kind:
        attributes["type"] = kind
    if field.flags.required and field.type != "BooleanField":
        attributes["required"] = True
    described_by = []
    if field.description:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        attributes["aria-invalid"] = "true"
        described_by.append(f"{field.id}-error")
    if described_by:
        attributes["aria-describedby"] = " ".join(described_by)
    return attributes


def strip(value):
    """Trim surrounding whitespace and normalise to NFC."""
    return unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else value


def no_control_chars(form, field):
    """Refuse invisible control and bidi-override characters (they hide what is stored)."""
    value = field.data or ""
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value if ch not in "\t"):
        raise ValidationError("Уберите невидимые или управляющие символы.")


_EMAIL = re.compile(r"[^@\s<>\"'(),;:\\\[\]]+@[A-Za-z0-9А-Яа-яЁё\-]+(\.[A-Za-z0-9А-Яа-яЁё\-]+)+")


def email_problem(value: str) -> str | None:
    """Why an email address is refused, or None."""
    if len(value) > 254:
        return "Адрес почты слишком длинный."
    if not _EMAIL.fullmatch(value):
        return "Введите адрес почты в виде name@example.ru."
    return None


def viewer_today():
    """Today in the signed-in person's time zone (Moscow for visitors)."""
    return today(getattr(current_user, "time_zone", None))


def mobile_phone(form, field):
    """A mobile number of an allowed region (Russia by default), stored as +7XXXXXXXXXX."""
    phone = normalize_phone(field.data, current_app.config["SMS_ALLOWED_REGIONS"])
    if phone is None:
        raise ValidationError(
            "Нужен российский мобильный номер: +7 и 10 цифр, например +7 912 345-67-89."
        )
    field.data = phone


def email_address(form, field):
    """A plausible e-mail address, stored in lower case."""
    problem = email_problem(field.data or "")
    if problem:
        raise ValidationError(problem)
    field.data = field.data.casefold()


class DateInput(DateField):
    """A date as the browser's date picker sends it (ГГГГ-ММ-ДД) or typed as ДД.ММ.ГГГГ."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError("Такой даты нет. Введите дату в виде ДД.ММ.ГГГГ.") from exc


REQUIRED = "Заполните это поле."
EARLIEST = date(1940, 1, 1)


def options(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


_TAGS = re.compile(r"[<>]")


def plain_text(form, field):
    """Names and numbers never need angle brackets; refusing them keeps markup out of records."""
    if field.data and _TAGS.search(field.data):
        raise ValidationError("Уберите символы «<» и «>».")


def text(label, max_length=300, required=True, description=None):
    """A trimmed one-line text field with the common checks."""
    checks = [DataRequired(REQUIRED)] if required else [Optional()]
    return StringField(
        label,
        filters=[strip],
        description=description,
        validators=[*checks, Length(max=max_length), no_control_chars, plain_text],
    )


def past_date(label, required=True, description=None):
    """A date between 1940 and today."""

    def check(form, field):
        if field.data and field.data < EARLIEST:
            raise ValidationError("Дата не может быть раньше 1940 года.")
        if field.data and field.data > viewer_today():
            raise ValidationError("Дата не может быть в будущем.")

    checks = [InputRequired(REQUIRED)] if required else [Optional()]
    return DateInput(label, description=description, validators=[*checks, check])


def any_date(label, required=True, description=None):
    """A date between 1940 and 2100 (validity ends may lie ahead)."""

    def check(form, field):
        if field.data and not EARLIEST <= field.data <= date(2100, 12, 31):
            raise ValidationError("Проверьте год: дата вне допустимого диапазона.")

    checks = [InputRequired(REQUIRED)] if required else [Optional()]
    return DateInput(label, description=description, validators=[*checks, check])


def not_before(other: str, message: str):
    """This date is on or after the date in field `other`."""

    def check(form, field):
        start = form[other].data
        if field.data and start and field.data < start:
            raise ValidationError(message)

    return check
