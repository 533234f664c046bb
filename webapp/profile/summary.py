"""Everything the profile pages show, loaded with a fixed number of queries and computed once."""

from dataclasses import dataclass
from datetime import date

from webapp.documents import store as document_store
from webapp.documents.types import TYPES
from webapp.names import short_name
from webapp.profile import checks, nmo, readiness, store
from webapp.profile.certificates import current_certificates
from webapp.profile.seniority import Seniority, seniority

ACTIVITY_REPORT_TYPE = "activity_report"


@dataclass(frozen=True)
class SpecialtyStatus:
    """One specialty the worker is admitted to: its document, НМО progress and readiness."""

    specialty: str
    certificate: dict
    progress: nmo.Progress
    verdicts: list[readiness.Verdict]

    @property
    def ready(self) -> bool:
        return all(v.ok for v in self.verdicts)


@dataclass(frozen=True)
class Summary:
    """The worker's record with what is derived from it."""

    user: dict
    person: dict
    records: dict[str, list[dict]]
    seniority: Seniority
    specialties: list[SpecialtyStatus]
    findings: list[checks.Finding]
    completeness: int
    former_names: list[dict]

    @property
    def problems(self) -> list[checks.Finding]:
        """Findings that are not «ok», in their order (the dashboard's and record's list)."""
        return [f for f in self.findings if f.status != "ok"]


def _courses(records: dict, entries: list[dict], specialty: str) -> list[readiness.Course]:
    """ПК courses count as formal hours, ПП and НМО events/modules as the rest.

    НМО «course» elements are the same ПК programmes already listed under education, so they
    are not counted twice.
    """
    courses = [
        readiness.Course(row["end_date"], row["hours"] or 0, row["kind"] == "pk")
        for row in records.get("education", [])
        if row["kind"] in ("pk", "pp")
    ]
    courses += [
        readiness.Course(e["day"], e["zet"], False)
        for e in entries
        if e["element"] != "course" and e["specialty"].casefold() == specialty
    ]
    return courses


def specialty_statuses(
    records: dict, entries: list[dict], today: date, has_report: bool
) -> list[SpecialtyStatus]:
    """Readiness and НМО progress for every specialty with a current document."""
    result = []
    for key, cert in sorted(current_certificates(records.get("certificate", [])).items()):
        mine = [e for e in entries if e["specialty"].casefold() == key]
        progress = nmo.progress(
            [nmo.Entry(e["day"], e["zet"]) for e in mine], cert["issued_on"], today
        )
        record = readiness.Record(
            expires=cert["valid_until"],
            courses=_courses(records, entries, key),
            nmo_zet_cycle=progress.zet,
            nmo_zet_by_year={y.year: y.zet for y in progress.years},
            has_activity_report=has_report,
        )
        result.append(
            SpecialtyStatus(cert["specialty"], cert, progress, readiness.evaluate(record, today))
        )
    return result


def build(db, user: dict, cipher, today: date) -> Summary:
    """Load the record (person, 4 record kinds, НМО, name changes, documents) and derive."""
    record = store.everything(db, user["id"])
    person = record["person"]
    clear = dict(person)
    clear["inn"] = cipher.decrypt("inn", person["inn_enc"]) if person.get("inn_enc") else None
    clear["passport"] = (
        cipher.decrypt("passport", person["passport_enc"]) if person.get("passport_enc") else None
    )
    records = record["records"]
    entries = record["nmo"]
    former = record["name_changes"]
    documents = document_store.facts(db, user["id"])
    has_report = any(d["doc_type"] == ACTIVITY_REPORT_TYPE for d in documents)
    specialties = specialty_statuses(records, entries, today, has_report)
    birth = user["birth_date"]
    snapshot = checks.Snapshot(
        surname=user["surname"],
        name=user["name"],
        patronymic=user["patronymic"],
        birth_date=date.fromisoformat(birth) if isinstance(birth, str) else birth,
        email_confirmed=bool(user["email_confirmed_at"]),
        person=clear,
        records=records,
        former_names=[
            short_name(f["old_surname"], f["old_name"], f["old_patronymic"]) for f in former
        ],
        readiness=[v for s in specialties for v in s.verdicts],
        documents=[{**d, "title": d["title"] or TYPES[d["doc_type"]].title} for d in documents],
    )
    return Summary(
        user=user,
        person=clear,
        records=records,
        seniority=seniority(records.get("employment", []), today),
        specialties=specialties,
        findings=checks.findings(snapshot, today),
        completeness=checks.completeness(snapshot),
        former_names=former,
    )
