"""The reviewers' forms: the queue's filters, a verdict on a file, a move, the exam dates.

Several forms share the review screen, so the view builds each with a `prefix` (the move's
action, the file's id): their fields get distinct ids and names. The CSRF token is posted as
the plain `csrf_token` field that CSRFProtect checks for the whole request.
"""

from datetime import date

from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from webapp.applications.kinds import KINDS
from webapp.applications.regions import REGIONS
from webapp.applications.states import OPEN, STATES
from webapp.forms import (
    DateInput,
    Form,
    no_control_chars,
    options,
    past_date,
    plain_text,
    strip,
    text,
    viewer_today,
)

VERDICTS = {"accepted": "Принят", "needs_fix": "Требуется уточнение"}
REASON_MAX = 500
COMMENT_MAX = 2000
LATEST_EXAM = date(2100, 12, 31)


class QueueFilterForm(Form):
    """The queue's filters (a GET form: nothing changes, so no CSRF; a bad value is ignored).
    The view fills `specialty` with the specialties now in the queue."""

    class Meta:
        csrf = False

    status = SelectField(
        "Статус",
        choices=options([("", "Все открытые"), *((s, STATES[s]) for s in OPEN)]),
        validators=[Optional()],
    )
    kind = SelectField(
        "Вид",
        choices=options([("", "Все виды"), *((k.slug, k.short) for k in KINDS.values())]),
        validators=[Optional()],
    )
    specialty = SelectField("Специальность", choices=[], validators=[Optional()])
    region = SelectField(
        "Регион",
        choices=options([("", "Все регионы"), *((r, r) for r in REGIONS)]),
        validators=[Optional()],
    )
    overdue = BooleanField("Только просроченные")
    mine = BooleanField("Только мои")


def _comment(label: str, max_length: int, description: str | None = None) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip],
        description=description,
        validators=[Optional(), Length(max=max_length), no_control_chars, plain_text],
    )


class VerdictForm(Form):
    """«Принят» or «Требуется уточнение» with a reason the worker will read."""

    verdict = SelectField(
        "Решение",
        choices=options(VERDICTS.items()),
        validators=[InputRequired("Выберите решение по документу.")],
    )
    reason = _comment(
        "Что уточнить",
        REASON_MAX,
        "Обязательно для «Требуется уточнение»: заявитель увидит это замечание.",
    )

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.verdict.data == "needs_fix" and not self.reason.data:
            self.reason.errors = ["Напишите, что нужно уточнить в документе."]
            return False
        return True


class MoveForm(Form):
    """A move of the machine: a comment where the move needs one; a decision (pass, fail)
    also needs the protocol of the commission. The view removes what the move does not use."""

    comment = _comment("Комментарий для заявителя", COMMENT_MAX)
    protocol_number = text("Номер протокола", 50)
    protocol_date = past_date("Дата протокола")


class ExamsForm(Form):
    """The dates of a kind's exam stages; the view adds one field per stage (`exams_form`)."""

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not any(self[key].data for key in self.exam_keys):
            self.form_errors.append("Укажите дату хотя бы одного этапа.")
            return False
        return True


def _not_past(form, field):
    """Not before today, except a date already set that has passed (the stage took place)."""
    if field.data == form.stored.get(field.short_name):
        return
    if field.data and field.data < viewer_today():
        raise ValidationError("Дата экзамена не может быть в прошлом.")
    if field.data and field.data > LATEST_EXAM:
        raise ValidationError("Проверьте год: дата вне допустимого диапазона.")


def exams_form(exams: tuple[tuple[str, str], ...], stored: dict, **kwargs) -> ExamsForm:
    """An ExamsForm with a date field per (key, title) of the kind's exams; `stored` are the
    dates already set (key → date)."""

    class KindExams(ExamsForm):
        exam_keys = tuple(key for key, _ in exams)
        stored = {}

    for key, title in exams:
        setattr(KindExams, key, DateInput(title, validators=[Optional(), _not_past]))
    form = KindExams(**kwargs)
    form.stored = dict(stored)
    return form
