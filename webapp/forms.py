"""Shared form base and field validators with Russian messages."""

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import ValidationError


class Form(FlaskForm):
    """FlaskForm with WTForms' built-in Russian messages."""

    class Meta:
        locales = ("ru_RU", "ru")


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
