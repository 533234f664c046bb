"""Is an application ready to sign? Rules are data named by the kind (`Kind.rules`); each answers
✓/✗ with its numbers; only hard rules block the signature. The profile's rules (window, hours,
НМО) are reused as they are, fed with what the worker picked for this application."""

from dataclasses import dataclass
from datetime import date

from webapp.applications.kinds import Kind
from webapp.documents.types import TYPES
from webapp.documents.uploads import format_size
from webapp.profile import readiness as profile_rules

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Facts:
    """What the rules look at, gathered by the caller."""

    kind: Kind
    today: date
    expires: date | None = None  # the current accreditation in the chosen specialty
    courses: tuple[profile_rules.Course, ...] = ()  # the picked ПК/ПП/НМО items
    nmo_zet_cycle: int = 0
    nmo_zet_by_year: dict | None = None
    attachments: tuple[dict, ...] = ()  # doc_type, title, size, mime
    fields: dict | None = None
    record_title: str | None = None  # the record a confirmation is about, when it exists


@dataclass(frozen=True)
class Check:
    """One rule's answer; `hard` ones must be ✓ to sign."""

    rule: str
    title: str
    ok: bool
    facts: str
    todo: str | None
    hard: bool


def _profile_rule(rule_id: str):
    rule = next(r for r in profile_rules.RULES if r["id"] == rule_id)

    def check(facts: Facts) -> tuple[bool, str, str | None, str]:
        record = profile_rules.Record(
            expires=facts.expires,
            courses=list(facts.courses),
            nmo_zet_cycle=facts.nmo_zet_cycle,
            nmo_zet_by_year=facts.nmo_zet_by_year or {},
        )
        verdict = profile_rules.CHECKS[rule_id](rule, record, facts.today)
        return verdict.ok, verdict.facts, verdict.todo, rule["title"]

    return check


def _count(facts: Facts, doc_type: str) -> int:
    return sum(1 for a in facts.attachments if a["doc_type"] == doc_type)


def _report(facts: Facts):
    ok = _count(facts, "activity_report") > 0
    return (
        ok,
        "Отчёт приложен." if ok else "Отчёт не приложен.",
        None if ok else "Загрузите отчёт или составьте его на шаге «Портфолио».",
        "Отчёт о профессиональной деятельности",
    )


def _agreement(facts: Facts):
    agreed = (facts.fields or {}).get("employer_agreed") == "yes"
    return (
        agreed,
        "Согласован с работодателем." if agreed else "Не согласован с работодателем.",
        None if agreed else "Можно подать и без согласования; комиссия учтёт это.",
        "Согласование отчёта",
    )


def _documents(facts: Facts):
    missing = [TYPES[t].title for t in facts.kind.required_docs if not _count(facts, t)]
    have = len(facts.kind.required_docs) - len(missing)
    text = f"{have} из {len(facts.kind.required_docs)} обязательных документов."
    todo = "Приложите: " + ", ".join(missing) + "." if missing else None
    return not missing, text, todo, "Обязательные документы"


def files_word(n: int) -> str:
    """«файл», «файла», «файлов» for n."""
    if n % 10 == 1 and n % 100 != 11:
        return "файл"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "файла"
    return "файлов"


def _sizes(facts: Facts):
    total = sum(a["size"] for a in facts.attachments)
    big = [a["title"] for a in facts.attachments if a["size"] > MAX_FILE_BYTES]
    not_pdf = [a["title"] for a in facts.attachments if a["mime"] != "application/pdf"]
    count = len(facts.attachments)
    text = (
        f"{count} {files_word(count)}, всего {format_size(total)} из "
        f"{MAX_TOTAL_BYTES // 1048576} МБ; каждый не больше {MAX_FILE_BYTES // 1048576} МБ."
    )
    if not_pdf:
        return False, text, "Не PDF: " + ", ".join(not_pdf) + ".", "Размер и формат вложений"
    if big:
        todo = "Больше 5 МБ: " + ", ".join(big) + ". Переснимите документ или уменьшите его."
        return False, text, todo, "Размер и формат вложений"
    if total > MAX_TOTAL_BYTES:
        todo = "Вместе больше 10 МБ: уберите необязательные документы."
        return False, text, todo, "Размер и формат вложений"
    return True, text, None, "Размер и формат вложений"


def _record(facts: Facts):
    ok = facts.record_title is not None
    return (
        ok,
        f"Запись: {facts.record_title}." if ok else "Запись не выбрана.",
        None if ok else "Выберите запись об образовании или сертификате.",
        "Что подтвердить",
    )


def _record_document(facts: Facts):
    ok = bool(facts.attachments)
    return (
        ok,
        "Документ приложен." if ok else "Документ не приложен.",
        None if ok else "Приложите документ, который подтверждает запись.",
        "Подтверждающий документ",
    )


# id: (check, hard)
RULES = {
    "window": (_profile_rule("window"), True),
    "hours": (_profile_rule("hours"), True),
    "nmo": (_profile_rule("nmo"), False),
    "report": (_report, True),
    "agreement": (_agreement, False),
    "documents": (_documents, True),
    "sizes": (_sizes, True),
    "record": (_record, True),
    "record_document": (_record_document, True),
}


def evaluate(facts: Facts) -> list[Check]:
    """Every rule of the kind, in its order."""
    result = []
    for rule_id in facts.kind.rules:
        check, hard = RULES[rule_id]
        ok, text, todo, title = check(facts)
        result.append(Check(rule_id, title, ok, text, todo, hard))
    return result


def blocking(checks: list[Check]) -> list[Check]:
    """The hard rules that are not met."""
    return [c for c in checks if c.hard and not c.ok]
