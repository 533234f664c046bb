"""The personal data, name change and contacts forms."""

import re
from datetime import date

from wtforms import BooleanField, SelectField
from wtforms.validators import Optional, ValidationError

from webapp.forms import (
    Form,
    options,
    past_date,
    text,
)
from webapp.profile.readiness import shift_months
from webapp.validators import (
    digits_of,
    division_code_is_valid,
    inn_is_valid,
    normalize_phone,
    passport_is_valid,
    person_name_problem,
)

SEX = [("", "Не указан"), ("f", "Женский"), ("m", "Мужской")]


class PersonForm(Form):
    """Пол, гражданство, адрес, ИНН and passport."""

    sex = SelectField("Пол", choices=options(SEX), validators=[Optional()])
    citizenship = text("Гражданство", 100, required=False)
    address = text("Адрес регистрации", 500, required=False)
    inn = text("ИНН", 20, required=False, description="12 цифр")
    passport_series = text("Серия паспорта", 10, required=False, description="4 цифры")
    passport_number = text("Номер паспорта", 10, required=False, description="6 цифр")
    passport_issued_on = past_date("Дата выдачи", required=False)
    passport_issued_by = text("Кем выдан", 300, required=False)
    passport_division_code = text(
        "Код подразделения", 10, required=False, description="В виде 123-456"
    )

    def __init__(self, *args, birth_date: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.birth_date = birth_date

    def validate_inn(self, field):
        """A personal ИНН has 12 digits and both control digits right."""
        if field.data and not (len(digits_of(field.data)) == 12 and inn_is_valid(field.data)):
            raise ValidationError(
                "ИНН физического лица — 12 цифр, и контрольные цифры должны сходиться. "
                "Проверьте номер по свидетельству или на сайте ФНС."
            )

    def validate(self, extra_validators=None):
        """Passport fields come together: series and number of the right length, a date."""
        valid = super().validate(extra_validators)
        series, number = self.passport_series.data, self.passport_number.data
        if (series or number) and not self.passport_number.errors:
            if not passport_is_valid(series or "", number or ""):
                self.passport_number.errors = ["Серия паспорта — 4 цифры, номер — 6 цифр."]
                valid = False
            elif not self.passport_issued_on.data and not self.passport_issued_on.errors:
                self.passport_issued_on.errors = ["Укажите дату выдачи паспорта."]
                valid = False
        return valid

    def validate_passport_issued_on(self, field):
        """A passport is issued at 14 at the earliest."""
        if field.data and self.birth_date and field.data < shift_months(self.birth_date, 14 * 12):
            raise ValidationError("Паспорт выдают не раньше 14 лет — проверьте дату.")

    def validate_passport_division_code(self, field):
        """Код подразделения is six digits."""
        if field.data and not division_code_is_valid(field.data):
            raise ValidationError("Код подразделения — 6 цифр в виде 123-456.")


class NameChangeForm(Form):
    """Смена ФИО with its document."""

    surname = text("Новая фамилия", 60)
    name = text("Новое имя", 60)
    patronymic = text("Новое отчество", 60, required=False, description="Если есть")
    changed_on = past_date("Дата смены ФИО")
    reason = SelectField(
        "Основание",
        choices=options(
            [
                ("marriage", "Заключение брака"),
                ("divorce", "Расторжение брака"),
                ("change", "Перемена имени"),
                ("other", "Другое"),
            ]
        ),
    )
    document_title = text(
        "Документ",
        200,
        description="Например: свидетельство о заключении брака I-АБ № 123456 от 01.06.2024",
    )

    def _name(self, field):
        problem = person_name_problem(field.data or "") if field.data else None
        if problem:
            raise ValidationError(problem)

    validate_surname = validate_name = validate_patronymic = _name


_TELEGRAM = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{4,31}")


class ContactsForm(Form):
    """Extra phone, messengers and where reminders and application news go."""

    extra_phone = text("Дополнительный телефон", 30, required=False)
    telegram = text(
        "Telegram", 40, required=False, description="Имя пользователя, например @ivanova"
    )
    max_messenger = text("MAX", 40, required=False, description="Номер телефона в MAX")
    viber = text("Viber", 40, required=False, description="Номер телефона в Viber")
    reminders_email = BooleanField("На почту")
    reminders_sms = BooleanField("По SMS")
    reminders_push = BooleanField("Push на устройства")
    applications_email = BooleanField("На почту")
    applications_sms = BooleanField("По SMS")
    applications_push = BooleanField("Push на устройства")

    def _phone(self, field):
        if field.data:
            phone = normalize_phone(field.data, allowed_regions=("RU", "BY", "KZ"))
            if not phone:
                raise ValidationError("Введите номер в виде +7 900 000-00-00.")
            field.data = phone

    validate_extra_phone = validate_max_messenger = validate_viber = _phone

    def validate_telegram(self, field):
        """Telegram usernames are 5–32 latin letters, digits and underscores."""
        if field.data:
            if not _TELEGRAM.fullmatch(field.data):
                raise ValidationError("Имя в Telegram — 5–32 латинские буквы, цифры или «_».")
            field.data = "@" + field.data.lstrip("@")
