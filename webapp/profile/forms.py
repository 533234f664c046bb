"""Forms of the professional record: one class per record kind, Russian messages beside fields."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from webapp.clock import now
from webapp.forms import DateInput, Form, no_control_chars, strip
from webapp.profile.readiness import shift_months
from webapp.validators import (
    digits_of,
    division_code_is_valid,
    inn_is_valid,
    normalize_phone,
    ogrn_is_valid,
    oktmo_is_valid,
    passport_is_valid,
    person_name_problem,
)

REQUIRED = "Заполните это поле."
EARLIEST = date(1940, 1, 1)

SEX = [("", "Не указан"), ("f", "Женский"), ("m", "Мужской")]
EMPLOYMENT_KINDS = [
    ("main", "Основное место работы"),
    ("external", "Внешнее совместительство"),
    ("internal", "Внутреннее совместительство"),
]
EMPLOYMENT_DOCUMENTS = [
    ("", "Нет документа"),
    ("order", "Приказ о приёме"),
    ("contract", "Трудовой договор"),
    ("std_r", "Выписка СТД-Р"),
]
EDUCATION_KINDS = [
    ("higher", "Высшее образование"),
    ("secondary", "Среднее профессиональное"),
    ("internship", "Интернатура"),
    ("residency", "Ординатура"),
    ("postgraduate", "Аспирантура"),
    ("pk", "Повышение квалификации (ПК)"),
    ("pp", "Профессиональная переподготовка (ПП)"),
]
STUDY_FORMS = [
    ("", "Не указана"),
    ("full", "Очно"),
    ("remote", "Дистанционно"),
    ("mixed", "Комбинированно"),
]
CERTIFICATE_KINDS = [
    ("primary", "Свидетельство о первичной аккредитации"),
    ("primary_special", "Выписка о первичной специализированной аккредитации"),
    ("periodic", "Выписка о периодической аккредитации"),
    ("certificate", "Сертификат специалиста"),
]
CATEGORIES = [("second", "Вторая"), ("first", "Первая"), ("highest", "Высшая")]
NMO_ELEMENTS = [
    ("course", "Курс ПК (образовательная программа)"),
    ("event", "Образовательное мероприятие"),
    ("module", "Интерактивный образовательный модуль"),
]
# ПК is at least 16 hours and ПП at least 250 (Приказ Минобрнауки № 499).
MIN_HOURS = {"pk": 16, "pp": 250}
MAX_HOURS = 3000


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
        if field.data and field.data > now().date():
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


def five_years_by_default(start, until, after_what: str) -> bool:
    """Fill an empty validity end with start + 5 years; refuse an end not after the start."""
    if until.data is None:
        until.data = shift_months(start.data, 60)
    if until.data <= start.data:
        until.errors = [f"Срок действия должен заканчиваться позже {after_what}."]
        return False
    return True


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
    reminders_email = BooleanField("Напоминания — на почту")
    reminders_sms = BooleanField("Напоминания — по SMS")
    applications_email = BooleanField("Новости по заявлениям — на почту")
    applications_sms = BooleanField("Новости по заявлениям — по SMS")

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


class RateField(DecimalField):
    """A decimal typed with a comma or a point (a text input: number inputs refuse commas)."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(Decimal(self.data).normalize(), "f").replace(".", ",")

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            try:
                self.data = Decimal(valuelist[0].strip().replace(",", "."))
            except InvalidOperation as exc:
                self.data = None
                raise ValueError("Ставка — число, например 1 или 0,5.") from exc
        else:
            self.data = None


class EmploymentForm(Form):
    """Место работы."""

    org_name = text("Организация", 300)
    org_inn = text("ИНН организации", 20, description="10 цифр")
    org_ogrn = text("ОГРН", 20, required=False, description="13 цифр")
    org_oktmo = text("ОКТМО", 20, description="8 или 11 цифр")
    org_address = text("Адрес организации", 500, required=False)
    department = text("Подразделение", 300, required=False)
    position = text("Должность", 200)
    specialty = text("Специальность", 200, required=False, description="Например: терапия")
    rate = RateField("Ставка", places=2, default=Decimal("1"), validators=[InputRequired(REQUIRED)])
    kind = SelectField("Тип занятости", choices=options(EMPLOYMENT_KINDS))
    start_date = past_date("Дата начала")
    end_date = any_date(
        "Дата окончания",
        required=False,
        description="Оставьте пустой, если работаете сейчас",
    )
    document_kind = SelectField("Подтверждающий документ", choices=options(EMPLOYMENT_DOCUMENTS))
    document_number = text("Номер документа", 60, required=False)
    document_date = past_date("Дата документа", required=False)

    def validate_org_inn(self, field):
        """An organisation's ИНН (10 digits, or 12 for an ИП) with a right control digit."""
        if not inn_is_valid(field.data):
            raise ValidationError(
                "ИНН организации — 10 цифр (12 для ИП), контрольная цифра не сходится. "
                "Сверьте с приказом или трудовым договором."
            )

    def validate_org_ogrn(self, field):
        """ОГРН is 13 digits (15 for an ИП) with its control digit."""
        if field.data and not ogrn_is_valid(field.data):
            raise ValidationError("ОГРН — 13 цифр (ОГРНИП — 15), контрольная цифра не сходится.")

    def validate_org_oktmo(self, field):
        """ОКТМО is 8 or 11 digits."""
        if not oktmo_is_valid(field.data):
            raise ValidationError("ОКТМО — 8 или 11 цифр.")

    def validate_rate(self, field):
        """From 0.05 to 2 ставки, in steps of 0.05 at most two decimals."""
        if field.data is not None and not Decimal("0.05") <= field.data <= Decimal("2"):
            raise ValidationError("Ставка — от 0,05 до 2.")

    validate_end_date = not_before("start_date", "Дата окончания раньше даты начала.")

    def validate(self, extra_validators=None):
        """A chosen document needs its number and date (empty fields skip field checks)."""
        valid = super().validate(extra_validators)
        if self.document_kind.data:
            for field, message in (
                (self.document_number, "Укажите номер документа."),
                (self.document_date, "Укажите дату документа."),
            ):
                if not field.data and not field.errors:
                    field.errors = [*field.errors, message]
                    valid = False
        return valid


class EducationForm(Form):
    """Образование, ПК or ПП."""

    kind = SelectField("Вид", choices=options(EDUCATION_KINDS))
    organization = text("Организация", 300)
    program = text("Специальность или программа", 300)
    start_date = past_date("Дата начала", required=False)
    end_date = past_date("Дата окончания (выдачи документа)")
    doc_series = text("Серия документа", 20, required=False)
    doc_number = text("Номер документа", 40)
    hours = IntegerField(
        "Часов",
        validators=[Optional()],
        description="Для ПК и ПП — объём программы в академических часах",
    )
    study_form = SelectField("Форма обучения", choices=options(STUDY_FORMS))

    validate_end_date = not_before("start_date", "Дата окончания раньше даты начала.")

    def validate(self, extra_validators=None):
        """ПК and ПП need hours within the legal minimum and a sane maximum; others none."""
        valid = super().validate(extra_validators)
        minimum = MIN_HOURS.get(self.kind.data)
        hours = self.hours
        if minimum is None:
            hours.data, hours.errors = None, []
            return valid and not any(f.errors for f in self)
        if hours.errors:
            return False
        if hours.data is None:
            hours.errors = ["Укажите объём программы в часах."]
        elif not minimum <= hours.data <= MAX_HOURS:
            hours.errors = [f"Объём программы — от {minimum} до {MAX_HOURS} часов."]
        return valid and not hours.errors


class CertificateForm(Form):
    """Сертификат специалиста, свидетельство or выписка об аккредитации."""

    kind = SelectField("Документ", choices=options(CERTIFICATE_KINDS))
    specialty = text("Специальность", 200)
    number = text("Номер", 60)
    issued_on = past_date("Дата выдачи (решения)")
    valid_until = any_date(
        "Действует до", required=False, description="Пусто — 5 лет с даты выдачи"
    )

    def validate(self, extra_validators=None):
        """Validity ends after the issue date; 5 years when not given."""
        return super().validate(extra_validators) and five_years_by_default(
            self.issued_on, self.valid_until, "даты выдачи"
        )


class CategoryForm(Form):
    """Квалификационная категория."""

    specialty = text("Специальность", 200)
    category = SelectField("Категория", choices=options(CATEGORIES))
    assigned_on = past_date("Дата присвоения")
    valid_until = any_date(
        "Действует до", required=False, description="Пусто — 5 лет с даты присвоения"
    )
    order_number = text("Номер приказа", 60, required=False)

    def validate(self, extra_validators=None):
        """Validity ends after the assignment date; 5 years when not given."""
        return super().validate(extra_validators) and five_years_by_default(
            self.assigned_on, self.valid_until, "даты присвоения"
        )


class NmoEntryForm(Form):
    """One НМО element with its ЗЕТ."""

    specialty = text("Специальность", 200)
    day = past_date("Дата")
    element = SelectField("Вид элемента", choices=options(NMO_ELEMENTS))
    title = text("Название", 500)
    provider = text("Организатор", 300, required=False)
    zet = IntegerField(
        "ЗЕТ (часов)",
        validators=[InputRequired("Укажите число ЗЕТ.")],
        description="1 ЗЕТ = 1 академический час",
    )
    confirmation_code = text(
        "Код подтверждения", 40, required=False, description="Код с портала НМО"
    )

    def validate_zet(self, field):
        """One element gives 1 to 500 ЗЕТ."""
        if field.data is not None and not 1 <= field.data <= 500:
            raise ValidationError("ЗЕТ — от 1 до 500 за один элемент.")
