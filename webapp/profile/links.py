"""What the profile tells the documents feature about a person's records (see documents.links)."""

from webapp.profile import store
from webapp.profile.kinds import KINDS

LINKABLE = ("education", "certificate", "employment")


def choices(db, user_id: int) -> list[tuple[str, str]]:
    """Education, certificates and jobs as (value, label) for the «Связанная запись» list."""
    records = store.records(db, user_id)
    found = [(f"education:{r['id']}", f"Образование: {r['program']}") for r in records["education"]]
    found += [
        (f"certificate:{r['id']}", f"Аккредитация: {r['specialty']} № {r['number']}")
        for r in records["certificate"]
    ]
    found += [
        (f"employment:{r['id']}", f"Работа: {r['position']}, {r['org_name']}")
        for r in records["employment"]
    ]
    return found


def owns(db, user_id: int, kind: str, record_id: int) -> bool:
    """Whether this record of a linkable kind belongs to the user."""
    return kind in LINKABLE and store.owns_record(db, KINDS[kind], record_id, user_id)
