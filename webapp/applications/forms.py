"""The wizard's steps, the signature and the list filters. Choices that depend on the worker
(specialties, documents, hours, records) are set by the view before validation, so a tampered
value is refused by WTForms as «Недопустимое значение»."""

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from webapp.applications.kinds import KINDS
from webapp.applications.regions import REGIONS
from webapp.applications.states import STATES
from webapp.auth.forms import CodeForm
from webapp.forms import (
    REQUIRED,
    DateInput,
    Form,
    email_address,
    mobile_phone,
    no_control_chars,
    options,
    plain_text,
    strip,
    text,
)

HEX_DIGEST = Regexp(r"^[0-9a-f]{64}$", message="Подпись устарела. Обновите страницу.")


class DraftForm(Form):
    """Every step carries the revision it was loaded at: a save over a newer one is refused."""

    revision = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31)])


class NewForm(Form):
    kind = SelectField(
        "Вид заявления",
        choices=options((k.slug, k.title) for k in KINDS.values()),
        validators=[InputRequired("Выберите вид заявления.")],
    )
    specialty = StringField(
        "Специальность",
        filters=[strip],
        validators=[Optional(), Length(max=200), no_control_chars, plain_text],
    )


class ContactsForm(DraftForm):
    phone = StringField(
        "Телефон для SMS",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=40), mobile_phone],
    )
    email = StringField(
        "Электронная почта",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=254), email_address],
    )
    region = SelectField(
        "Регион",
        choices=options([("", "Выберите регион"), *((r, r) for r in REGIONS)]),
        validators=[DataRequired("Выберите регион.")],
        description="Заявление рассмотрит аккредитационная подкомиссия этого региона.",
    )
    by_sms = BooleanField("Сообщать об изменениях по SMS")
    by_email = BooleanField("Сообщать об изменениях по электронной почте")


class DetailsForm(DraftForm):
    """The kind's own step; the view removes the fields the kind does not have."""

    employer_agreed = SelectField(
        "Отчёт согласован с руководителем организации",
        choices=options((("yes", "Да, согласован"), ("no", "Нет, не согласован"))),
        validators=[Optional()],
    )
    hours = SelectMultipleField("Обучение", choices=[], validators=[Optional()])
    record = SelectField("Какую запись подтвердить", choices=[], validators=[Optional()])


class DocumentsForm(DraftForm):
    documents = SelectMultipleField("Документы", choices=[], validators=[Optional()])


class ReviewForm(DraftForm):
    """The review step: nothing to change, only the revision to sign."""


class SignSmsSendForm(Form):
    digest = HiddenField(validators=[DataRequired(), HEX_DIGEST])


class SignSmsForm(CodeForm):
    """The sign-in code form, bound to the hash the code was sent for."""

    digest = HiddenField(validators=[DataRequired(), HEX_DIGEST])


class ActionForm(Form):
    """A button with nothing but the CSRF token."""


class ReportForm(Form):
    """The guided activity report: a PDF is made of it and added to «Мои документы»."""

    workplace = text("Место работы", 300)
    position = text("Должность", 200)
    period = text("Отчётный период", 100, description="Например: 2021–2026")
    duties = TextAreaField(
        "Основные обязанности и выполняемая работа",
        filters=[strip],
        validators=[DataRequired(REQUIRED), Length(max=4000), no_control_chars, plain_text],
    )
    achievements = TextAreaField(
        "Профессиональные достижения, внедрённые методы",
        filters=[strip],
        validators=[Optional(), Length(max=4000), no_control_chars, plain_text],
    )
    proposals = TextAreaField(
        "Предложения по совершенствованию своей деятельности",
        filters=[strip],
        validators=[Optional(), Length(max=2000), no_control_chars, plain_text],
    )


class FilterForm(Form):
    """«Мои заявления» filters (a GET form: no CSRF; a bad value is ignored)."""

    class Meta:
        csrf = False

    kind = SelectField(
        "Вид",
        choices=options([("", "Все виды"), *((k.slug, k.short) for k in KINDS.values())]),
        validators=[Optional()],
    )
    state = SelectField(
        "Статус",
        choices=options([("", "Все статусы"), *STATES.items()]),
        validators=[Optional()],
    )
    since = DateInput("С", name="from", validators=[Optional()])
    until = DateInput("По", name="to", validators=[Optional()])
    sort = SelectField(
        "Порядок",
        choices=options((("new", "Сначала новые"), ("old", "Сначала старые"))),
        validators=[Optional()],
    )
