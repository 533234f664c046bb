"""Document types as the accreditation lists name them, with the words the ФАЦ file names use."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DocType:
    """One type of document."""

    slug: str
    title: str  # «Диплом с приложением»
    fac: str  # the word in «Смирнов А.В. диплом на 2 л.pdf»
    dated: bool  # has an issue date
    expires: bool  # has a valid-until date
    links_to: str | None  # the record kind it can be linked to


TYPES = {
    t.slug: t
    for t in (
        DocType("passport", "Паспорт", "паспорт", True, False, None),
        DocType("snils", "СНИЛС", "СНИЛС", False, False, None),
        DocType("diploma", "Диплом с приложением", "диплом", True, False, "education"),
        DocType(
            "pk_certificate", "Удостоверение о ПК", "удостоверение ПК", True, False, "education"
        ),
        DocType("pp_diploma", "Диплом о ПП", "диплом ПП", True, False, "education"),
        DocType(
            "specialist_certificate",
            "Сертификат специалиста",
            "сертификат",
            True,
            True,
            "certificate",
        ),
        DocType(
            "accreditation",
            "Свидетельство или выписка об аккредитации",
            "свидетельство об аккредитации",
            True,
            True,
            "certificate",
        ),
        DocType(
            "work_record", "Трудовая книжка / СТД-Р", "трудовая книжка", True, False, "employment"
        ),
        DocType(
            "activity_report",
            "Отчёт о профессиональной деятельности",
            "отчёт о профессиональной деятельности",
            True,
            False,
            None,
        ),
        DocType("name_change", "Документ о смене ФИО", "документ о смене ФИО", True, False, None),
        DocType("other", "Прочее", "документ", True, True, None),
    )
}
STATUS_TITLES = {"uploaded": "Загружен", "accepted": "Принят", "needs_fix": "Требуется уточнение"}
