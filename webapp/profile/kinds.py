"""The record kinds a worker keeps, as data: one table, one form and a few words each.

The generic views and store functions work from this table, so a new kind of credential is one
entry here plus its list partial.
"""

from dataclasses import dataclass

from webapp.profile.forms import records as record_forms


@dataclass(frozen=True)
class Kind:
    """One kind of record in the professional record."""

    slug: str
    table: str
    form: type
    title: str  # «место работы»
    add_title: str  # «Добавить место работы»
    columns: tuple[str, ...]
    dates: tuple[str, ...]
    order: str
    duplicate_of: tuple[str, ...]  # the columns that make two records the same
    duplicate_message: str


KINDS = {
    kind.slug: kind
    for kind in (
        Kind(
            "employment",
            "employments",
            record_forms.EmploymentForm,
            "место работы",
            "Добавить место работы",
            (
                "org_name",
                "org_inn",
                "org_ogrn",
                "org_oktmo",
                "org_address",
                "department",
                "position",
                "specialty",
                "rate",
                "kind",
                "start_date",
                "end_date",
                "document_kind",
                "document_number",
                "document_date",
            ),
            ("start_date", "end_date", "document_date"),
            "coalesce(end_date, '9999') desc, start_date desc, id desc",
            # The name, not the ИНН: a worker may not know the ИНН.
            ("org_name", "position", "start_date"),
            "Это место работы с той же датой начала уже есть в профиле.",
        ),
        Kind(
            "education",
            "educations",
            record_forms.EducationForm,
            "образование",
            "Добавить образование или курс",
            (
                "kind",
                "organization",
                "program",
                "start_date",
                "end_date",
                "doc_series",
                "doc_number",
                "hours",
                "study_form",
            ),
            ("start_date", "end_date"),
            "end_date desc, id desc",
            ("kind", "doc_series", "doc_number"),
            "Документ с такими серией и номером уже есть в профиле.",
        ),
        Kind(
            "certificate",
            "certificates",
            record_forms.CertificateForm,
            "сертификат или аккредитация",
            "Добавить сертификат или аккредитацию",
            ("kind", "specialty", "number", "issued_on", "valid_until"),
            ("issued_on", "valid_until"),
            "valid_until desc, id desc",
            ("kind", "number"),
            "Документ с таким номером уже есть в профиле.",
        ),
        Kind(
            "category",
            "categories",
            record_forms.CategoryForm,
            "квалификационная категория",
            "Добавить категорию",
            ("specialty", "category", "assigned_on", "valid_until", "order_number"),
            ("assigned_on", "valid_until"),
            "valid_until desc, id desc",
            ("specialty", "category", "assigned_on"),
            "Эта категория с той же датой уже есть в профиле.",
        ),
        Kind(
            "nmo",
            "nmo_entries",
            record_forms.NmoEntryForm,
            "элемент НМО",
            "Добавить баллы НМО",
            ("specialty", "day", "element", "title", "provider", "zet", "confirmation_code"),
            ("day",),
            "day desc, id desc",
            ("confirmation_code",),
            "Элемент с таким кодом подтверждения уже добавлен.",
        ),
    )
}
