"""Employment beyond one worker's record: the organisations the system knows (for the worker's
search), which organisations an HR admin speaks for, the jobs declared there, and the HR
admin's decision on each."""

import unicodedata

from webapp.clock import now_iso

_QUOTES = str.maketrans("", "", "«»\"'„“”‘’`")
SEARCH_MIN = 2  # characters of a name before the search answers


def organisation_key(name: str | None) -> str:
    """An organisation's name as it is compared: one case, Ё as Е, no quotes, no spaces.

    Legal-form words stay: «ГБУЗ «Поликлиника № 5»» and «гбуз поликлиника №5» are one key,
    «Поликлиника № 5» without «ГБУЗ» is another.
    """
    folded = unicodedata.normalize("NFC", name or "").casefold().replace("ё", "е")
    return "".join(folded.translate(_QUOTES).split())


def _with_keys(db):
    """Teach this connection organisation_key() (sqlite-utils registers it once)."""
    db.register_function(organisation_key, deterministic=True)
    return db


def _like_escaped(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# An organisation is known by its ИНН when an HR admin confirmed a job there, or at least two
# workers declared one with that ИНН (one worker alone cannot put a name into everybody's
# suggestions). Its name, ОКТМО and address come from the newest confirmed job, else the newest
# declared one; rejected jobs never count. The name is normalised once per distinct name, not
# once per job.
_KNOWN = """
    with names as materialized (
        select distinct org_inn, org_name from employments
        where org_inn is not null and verification != 'rejected' {narrow}
    ),
    found as (
        select org_inn, max(verification = 'confirmed') as confirmed,
            count(distinct user_id) as workers
        from employments
        where org_inn in (select org_inn from names where {match})
        and verification != 'rejected'
        group by org_inn
        having confirmed or workers >= 2
    )
    select e.org_inn, e.org_name, e.org_ogrn, e.org_oktmo, e.org_address, f.confirmed
    from found f join employments e on e.id = (
        select id from employments
        where org_inn = f.org_inn and verification != 'rejected'
        order by verification = 'confirmed' desc, updated_at desc, id desc limit 1
    )
    order by f.confirmed desc, f.workers desc, e.org_name, e.org_inn
    limit ?
"""


def search_organisations(db, text: str, *, limit: int = 10) -> list[dict]:
    """Known organisations whose name contains the typed text (case, Ё/Е, spaces and quotes
    ignored), confirmed ones first; nothing for fewer than SEARCH_MIN characters."""
    needle = organisation_key(text)
    if len(needle) < SEARCH_MIN:
        return []
    sql = _KNOWN.format(narrow="", match="organisation_key(org_name) like ? escape '\\'")
    return list(_with_keys(db).query(sql, [_like_escaped(needle), limit]))


def known_organisation(db, inn: str) -> dict | None:
    """The known organisation with this ИНН (what the worker's form is filled with), or None."""
    sql = _KNOWN.format(narrow="and org_inn = ?", match="1")
    return next(db.query(sql, [inn, 1]), None)


def organisation_rows(db, admin_id: int) -> list[dict]:
    """The organisations the HR admin speaks for: their confirmed, current main jobs (ИНН,
    name, ОКТМО), one per ИНН (its newest job there)."""
    return list(
        db.query(
            "select org_inn, org_name, org_oktmo, max(id) as newest from employments "
            "where user_id = ? and kind = 'main' and verification = 'confirmed' "
            "and end_date is null and org_inn is not null group by org_inn order by newest",
            [admin_id],
        )
    )


def _at_orgs(orgs: list[dict]) -> tuple[str, list]:
    """The SQL condition for jobs at these organisations — by ИНН, or, when the worker gave
    no ИНН, by the organisation's name (organisation_key) — and its parameters."""
    inns = [o["org_inn"] for o in orgs]
    keys = sorted({organisation_key(o["org_name"]) for o in orgs})
    inn_marks = ",".join("?" for _ in inns)
    key_marks = ",".join("?" for _ in keys)
    return (
        f"(e.org_inn in ({inn_marks}) or (e.org_inn is null "
        f"and organisation_key(e.org_name) in ({key_marks})))",
        [*inns, *keys],
    )


def queue(
    db,
    orgs: list[dict],
    *,
    status: str,
    before_id: int | None = None,
    limit: int = 30,
):
    """Jobs with this status at these organisations, newest first, with the worker's name
    (one query, keyset by id)."""
    if not orgs:
        return []
    where, params = _at_orgs(orgs)
    keyset = "and e.id < ?" if before_id else ""
    return list(
        _with_keys(db).query(
            "select e.*, u.surname, u.name, u.patronymic from employments e "  # noqa: S608
            f"join users u on u.id = e.user_id where {where} "
            f"and e.verification = ? {keyset} order by e.id desc limit ?",
            [*params, status, *([before_id] if before_id else []), limit],
        )
    )


def waiting_count(db, orgs: list[dict], cap: int = 100) -> int:
    """How many declared jobs at these organisations wait for the HR admin (counted up to
    `cap`: the tab shows «99+» beyond)."""
    if not orgs:
        return 0
    where, params = _at_orgs(orgs)
    return (
        _with_keys(db)
        .execute(
            "select count(*) from (select 1 from employments e "  # noqa: S608
            f"where {where} and e.verification = 'declared' limit ?)",
            [*params, cap],
        )
        .fetchone()[0]
    )


def decide(
    db,
    employment_id: int,
    *,
    confirmed: bool,
    reason: str | None,
    org_inn: str | None = None,
    org_oktmo: str | None = None,
) -> None:
    """Record the employer's answer: a confirmation stores the organisation's ИНН and ОКТМО as
    the HR admin gave them; a rejection keeps what the worker wrote and stores the reason."""
    if confirmed:
        db.execute(
            "update employments set verification = 'confirmed', rejection_reason = null, "
            "org_inn = ?, org_oktmo = ?, updated_at = ? where id = ?",
            [org_inn, org_oktmo, now_iso(), employment_id],
        )
    else:
        db.execute(
            "update employments set verification = 'rejected', rejection_reason = ?, "
            "updated_at = ? where id = ?",
            [reason, now_iso(), employment_id],
        )
