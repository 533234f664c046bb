"""The details of a document: type, its own title, the holder's name, dates, linked record."""

from wtforms import SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.documents.types import TYPES
from webapp.forms import Form, any_date, options, past_date, text

LINKABLE = ("employment", "education", "certificate")


class DocumentForm(Form):
    """Everything but the pages."""

    doc_type = SelectField(
        "Тип документа",
        # No silent default: a diploma saved as «Паспорт» goes to ФАЦ as a passport.
        choices=options(
            [("", "Выберите тип документа"), *((t.slug, t.title) for t in TYPES.values())]
        ),
        validators=[
            InputRequired("Выберите тип документа: от него зависят имя файла для ФАЦ и проверки.")
        ],
    )
    title = text("Название", 200, required=False, description="Например: диплом специалиста")
    holder_name = text(
        "ФИО в документе",
        120,
        required=False,
        description="Как написано в документе, например: Смирнова А.В.",
    )
    issued_on = past_date("Дата выдачи", required=False)
    valid_until = any_date("Действует до", required=False)
    linked = SelectField(
        "Связанная запись профиля", choices=[], validate_choice=False, validators=[Optional()]
    )

    def __init__(self, *args, link_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.linked.choices = options(link_choices)

    def validate(self, extra_validators=None):
        """Validity ends after issue; the link names a kind the type may link to."""
        valid = super().validate(extra_validators)
        if (
            self.issued_on.data
            and self.valid_until.data
            and (self.valid_until.data <= self.issued_on.data)
        ):
            self.valid_until.errors = ["Срок действия должен заканчиваться позже даты выдачи."]
            valid = False
        kind, _, ident = (self.linked.data or "").partition(":")
        if self.linked.data and (kind not in LINKABLE or not ident.isdigit()):
            self.linked.errors = ["Выберите запись из списка."]
            valid = False
        return valid

    def meta_values(self) -> dict:
        """Column values for the documents table."""
        kind, _, ident = (self.linked.data or "").partition(":")
        return {
            "doc_type": self.doc_type.data,
            "title": self.title.data or None,
            "holder_name": self.holder_name.data or None,
            "issued_on": self.issued_on.data.isoformat() if self.issued_on.data else None,
            "valid_until": self.valid_until.data.isoformat() if self.valid_until.data else None,
            "linked_kind": kind or None,
            "linked_id": int(ident) if ident else None,
        }


class ExportForm(Form):
    """Which documents go into the ФАЦ archive."""

    document = SelectMultipleField(
        "Документы",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.document.choices = [(d["id"], d["label"]) for d in documents]

    def validate_document(self, field):
        """At least one (a `required` flag would make the browser demand every box)."""
        if not field.data:
            raise ValidationError("Отметьте документы для выгрузки.")
