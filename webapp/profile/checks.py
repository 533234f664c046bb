"""«Проверить данные»: pure rules that look at a worker's record and explain every problem.

Each finding names the place to fix it as an endpoint with arguments (the view turns it into a
link), so this module needs neither Flask nor a database.
"""

from dataclasses import dataclass, field
from datetime import date

from webapp.profile.certificates import ACCREDITATION_KINDS
from webapp.profile.readiness import Verdict

OK, CHECK, ERROR = "ok", "check", "error"
STATUS_TITLES = {
    OK: "Данные подтверждены",
    CHECK: "Требуется уточнение",
    ERROR: "Ошибка ввода",
}
BASE_EDUCATION = {"higher", "secondary"}
EXPIRING_DAYS = 90


@dataclass(frozen=True)
class Finding:
    """One thing found about one field or record."""

    status: str
    section: str
    title: str
    explanation: str
    endpoint: str
    args: dict = field(default_factory=dict)
    anchor: str | None = None

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[self.status]


@dataclass(frozen=True)
class Snapshot:
    """What the rules look at: plain values, dates parsed."""

    surname: str
    name: str
    patronymic: str | None
    birth_date: date
    email_confirmed: bool
    person: dict  # sex, citizenship, address, inn (clear text or None), passport fields
    records: dict[str, list[dict]]  # kind slug -> rows
    former_names: list[str] = field(default_factory=list)  # «Фамилия И.О.» before changes
    documents: list[dict] = field(default_factory=list)  # {"id", "title", "holder"}
    readiness: list[Verdict] = field(default_factory=list)


ORDER = {ERROR: 0, CHECK: 1, OK: 2}


def findings(snapshot: Snapshot, today: date) -> list[Finding]:
    """Every finding, errors first, then what needs checking, then what is confirmed."""
    from webapp.profile.check_rules import RULES  # the rules build on the types above

    found = [f for rule in RULES for f in rule(snapshot, today)]
    return sorted(found, key=lambda f: ORDER[f.status])


COMPLETENESS = (
    ("sex", lambda s: bool(s.person.get("sex"))),
    ("citizenship", lambda s: bool(s.person.get("citizenship"))),
    ("address", lambda s: bool(s.person.get("address"))),
    ("inn", lambda s: bool(s.person.get("inn"))),
    ("passport", lambda s: bool(s.person.get("passport"))),
    ("email", lambda s: s.email_confirmed),
    ("employment", lambda s: bool(s.records.get("employment"))),
    (
        "education",
        lambda s: any(r["kind"] in BASE_EDUCATION for r in s.records.get("education", [])),
    ),
    (
        "certificate",
        lambda s: any(r["kind"] in ACCREDITATION_KINDS for r in s.records.get("certificate", [])),
    ),
)


def completeness(snapshot: Snapshot) -> int:
    """Share of the profile's parts that are filled, in whole percent (ФИО and СНИЛС count)."""
    filled = 2 + sum(1 for _, present in COMPLETENESS if present(snapshot))
    return filled * 100 // (2 + len(COMPLETENESS))
