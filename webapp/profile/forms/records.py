"""Forms of the record kinds: work, education, accreditation, category and НМО, with choices."""

from datetime import date
from decimal import Decimal, InvalidOperation

from wtforms import DecimalField, IntegerField, SelectField
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import TextInput

from webapp.forms import (
    REQUIRED,
    DateInput,
    Form,
    any_date,
    not_before,
    options,
    past_date,
    text,
)
from webapp.profile.readiness import shift_months
from webapp.validators import inn_is_valid, ogrn_is_valid, oktmo_is_valid

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


def five_years_by_default(start, until, after_what: str) -> bool:
    """Fill an empty validity end with start + 5 years; refuse an end not after the start."""
    if until.data is None:
        until.data = shift_months(start.data, 60)
    if until.data <= start.data:
        until.errors = [f"Срок действия должен заканчиваться позже {after_what}."]
        return False
    return True


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
    org_inn = text(
        "ИНН организации",
        20,
        required=False,
        description="10 цифр. Не знаете — оставьте пустым: ИНН и ОКТМО заполнит отдел кадров "
        "при подтверждении",
    )
    org_ogrn = text("ОГРН", 20, required=False, description="13 цифр")
    org_oktmo = text(
        "ОКТМО", 20, required=False, description="8 или 11 цифр. Можно оставить пустым"
    )
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
        """When given: an organisation's ИНН (10 digits, or 12 for an ИП) with a right control
        digit."""
        if field.data and not inn_is_valid(field.data):
            raise ValidationError(
                "ИНН организации — 10 цифр (12 для ИП), контрольная цифра не сходится. "
                "Сверьте с приказом или трудовым договором."
            )

    def validate_org_ogrn(self, field):
        """ОГРН is 13 digits (15 for an ИП) with its control digit."""
        if field.data and not ogrn_is_valid(field.data):
            raise ValidationError("ОГРН — 13 цифр (ОГРНИП — 15), контрольная цифра не сходится.")

    def validate_org_oktmo(self, field):
        """When given, ОКТМО is 8 or 11 digits."""
        if field.data and not oktmo_is_valid(field.data):
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


class OrganisationSearchForm(Form):
    """The organisation search without JavaScript (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = text("Название организации", 300, required=False, description="Хотя бы две буквы")


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


class NmoPeriodForm(Form):
    """The period of an НМО export (a GET form: no CSRF token); bad dates fall back to the
    current year."""

    class Meta:
        csrf = False

    since = DateInput("С", validators=[Optional()])
    until = DateInput("По", validators=[Optional()])

    def period(self, today: date) -> tuple[date, date]:
        """The chosen period, this year so far by default, in order."""
        self.validate()
        since = (not self.since.errors and self.since.data) or date(today.year, 1, 1)
        until = (not self.until.errors and self.until.data) or today
        return (until, since) if until < since else (since, until)
