"""Kinds of application as data (DESIGN §7). The engine knows no kind by name: a new kind is one
more `Kind(...)` in `KINDS` — its fields, documents, readiness rules, moves, deadlines, who
handles it and what approval does (an effect named in `applications.effects.EFFECTS`)."""

from dataclasses import dataclass, field

from webapp.applications.states import MOVES

# Stages that run against a deadline, in working days: a stage's clock starts when the
# application enters its first state and keeps running through the stage's other states.
STAGES = {
    "registration": ("Регистрация заявления", 3),
    "check": ("Проверка документов", 20),
    "review": ("Рассмотрение аккредитационной комиссией", 15),
}
STAGE_OF = {
    "submitted": "registration",
    "registered": "check",
    "under_check": "check",
    "forwarded": "review",
    "under_review": "review",
}


@dataclass(frozen=True)
class Field:
    """One field of a kind's own step."""

    name: str
    label: str
    type: str  # yesno | hours | record (the wizard's details step renders each type)
    hint: str | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of application."""

    slug: str
    title: str
    short: str
    summary: str
    specialty: str  # current: one of the worker's current specialties | any: free | none
    fields: tuple[Field, ...]
    step_title: str  # the wizard step with the kind's own fields (skipped when it has none)
    required_docs: tuple[str, ...]
    optional_docs: tuple[str, ...]
    rules: tuple[str, ...]  # readiness rule ids (applications.readiness.RULES)
    actions: frozenset[str]
    handler: str = "reviewer"  # the role whose members take the reviewer's moves
    stages: dict = field(default_factory=lambda: dict(STAGES))
    exams: tuple[tuple[str, str], ...] = ()  # (key, title) the reviewer sets dates for
    on_approval: str | None = None  # an effect in applications.effects.EFFECTS
    result_document: bool = False  # a signed выписка on approval
    valid_years: int = 0  # of the accreditation the approval records


ACCREDITATION_MOVES = frozenset(
    ("submit", "resubmit", "withdraw", "take", "check", "return", "forward", "review")
    + ("pass", "fail")
)
CONFIRMATION_MOVES = frozenset(
    ("submit", "resubmit", "withdraw", "take", "check", "return", "confirm", "refuse")
)
EXAMS = (
    ("testing", "Тестирование"),
    ("skills", "Оценка практических навыков"),
    ("cases", "Решение ситуационных задач"),
)

KINDS = {
    k.slug: k
    for k in (
        Kind(
            slug="periodic",
            title="Периодическая аккредитация специалиста",
            short="Периодическая аккредитация",
            summary="Раз в 5 лет по портфолио: отчёт о профессиональной деятельности и "
            "сведения об обучении (ПК и НМО).",
            specialty="current",
            step_title="Портфолио",
            fields=(
                Field(
                    "employer_agreed",
                    "Отчёт согласован с руководителем организации",
                    "yesno",
                    hint="Если работодатель не согласовал отчёт, его всё равно можно подать — "
                    "комиссия рассмотрит его без согласования.",
                ),
                Field("hours", "Обучение за 5 лет, которое войдёт в портфолио", "hours"),
            ),
            required_docs=("activity_report", "pk_certificate"),
            optional_docs=("diploma", "accreditation", "name_change", "other"),
            rules=("window", "hours", "report", "agreement", "nmo", "documents", "sizes"),
            actions=ACCREDITATION_MOVES,
            on_approval="accreditation",
            result_document=True,
            valid_years=5,
        ),
        Kind(
            slug="primary_special",
            title="Первичная специализированная аккредитация специалиста",
            short="Первичная специализированная",
            summary="После ординатуры или профессиональной переподготовки, для новой "
            "специальности. Этапы: тестирование, навыки, ситуационные задачи.",
            specialty="any",
            step_title="",
            fields=(),
            required_docs=("diploma", "pp_diploma"),
            optional_docs=("passport", "snils", "name_change", "work_record", "other"),
            rules=("documents", "sizes"),
            actions=ACCREDITATION_MOVES,
            exams=EXAMS,
            on_approval="accreditation",
            result_document=True,
            valid_years=5,
        ),
        Kind(
            slug="primary",
            title="Первичная аккредитация специалиста",
            short="Первичная аккредитация",
            summary="После окончания вуза или колледжа. Этапы: тестирование, навыки, "
            "ситуационные задачи.",
            specialty="any",
            step_title="",
            fields=(),
            required_docs=("diploma",),
            optional_docs=("passport", "snils", "name_change", "other"),
            rules=("documents", "sizes"),
            actions=ACCREDITATION_MOVES,
            exams=EXAMS,
            on_approval="accreditation",
            result_document=True,
            valid_years=5,
        ),
        Kind(
            slug="qualification",
            title="Подтверждение квалификации",
            short="Подтверждение квалификации",
            summary="Попросите аккредитующий орган подтвердить запись об образовании или "
            "сертификате в вашем профиле.",
            specialty="none",
            step_title="Запись",
            fields=(Field("record", "Какую запись подтвердить", "record"),),
            required_docs=(),
            optional_docs=("diploma", "pk_certificate", "pp_diploma", "specialist_certificate")
            + ("accreditation", "name_change", "other"),
            rules=("record", "record_document", "sizes"),
            actions=CONFIRMATION_MOVES,
            stages={"registration": STAGES["registration"], "check": STAGES["check"]},
            on_approval="confirm_record",
        ),
    )
}

# Every kind's moves are moves of the machine.
assert all(k.actions <= MOVES.keys() for k in KINDS.values())  # noqa: S101


def documents_of(kind: Kind) -> tuple[str, ...]:
    """Every document type the kind takes, required first."""
    return kind.required_docs + tuple(t for t in kind.optional_docs if t not in kind.required_docs)
