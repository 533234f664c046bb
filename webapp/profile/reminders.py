"""Which reminders are due on a day: accreditation and category deadlines, the yearly НМО shortfall.

Pure rules over a worker's records; `reminder_runner` loads the rows, claims and delivers. A
reminder's key names the object, its end date and the stage, so each is sent once and a renewed
document (a new `valid_until`) starts afresh. Only the latest stage that has come is due: a missed
earlier stage is skipped rather than sent late.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from webapp.profile import nmo
from webapp.profile.certificates import current_certificates
from webapp.profile.readiness import shift_months

WINDOW_MONTHS = 12  # periodic accreditation may be applied for from 12 months before expiry
DAYS_BEFORE = (90, 30, 7)
CATEGORY_DAYS_BEFORE = (90, 30)
QUIET_AFTER_EXPIRY_DAYS = 30
NMO_FROM = (11, 1)  # month, day: from 1 November the year's shortfall is worth a reminder

DOCUMENT_WORDS = {  # noun, capitalised, genitive, past tense
    "certificate": (
        "сертификат специалиста",
        "Сертификат специалиста",
        "сертификата специалиста",
        "действовал",
    ),
    "accreditation": ("аккредитация", "Аккредитация", "аккредитации", "действовала"),
}
CATEGORY_NAMES = {  # nominative, genitive
    "second": ("вторая", "второй"),
    "first": ("первая", "первой"),
    "highest": ("высшая", "высшей"),
}


@dataclass(frozen=True)
class Certificate:
    """A сертификат специалиста or an accreditation (первичная, ПСА, периодическая)."""

    id: int
    kind: str
    specialty: str
    number: str
    valid_until: date
    issued_on: date | None = None  # the НМО cycle starts here


@dataclass(frozen=True)
class Category:
    """A квалификационная категория."""

    id: int
    specialty: str
    category: str  # second | first | highest
    valid_until: date


@dataclass(frozen=True)
class NmoRecord:
    """One specialty's НМО: the admission date that starts the cycle and the entries."""

    specialty: str
    admitted: date
    entries: list[nmo.Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Records:
    """What the rules look at for one worker."""

    certificates: list[Certificate] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    nmo: list[NmoRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Reminder:
    """A notice to send once; the link is an endpoint name, turned into a URL at send time."""

    key: str
    due_on: date
    title: str
    body: str
    link_endpoint: str
    link_args: dict = field(default_factory=dict)
    topic: str = "reminders"


def _current_categories(categories) -> dict[str, Category]:
    """Per specialty (case-insensitive), the category that ends last."""
    current: dict[str, Category] = {}
    for cat in categories:
        key = cat.specialty.casefold()
        held = current.get(key)
        if held is None or (cat.valid_until, cat.id) > (held.valid_until, held.id):
            current[key] = cat
    return current


def _stages(valid_until: date, days_before, *, window: bool) -> list[tuple[str, date]]:
    """A document's stages in date order: (name, first day it is due)."""
    stages = [("window", shift_months(valid_until, -WINDOW_MONTHS))] if window else []
    stages += [(f"t{days}", valid_until - timedelta(days=days)) for days in days_before]
    stages.append(("expired", valid_until + timedelta(days=1)))
    return stages


def _latest_stage(valid_until: date, days_before, today: date, *, window: bool):
    """The latest stage that has come, or None (not yet, or long past expiry)."""
    if today > valid_until + timedelta(days=QUIET_AFTER_EXPIRY_DAYS):
        return None
    come = [s for s in _stages(valid_until, days_before, window=window) if s[1] <= today]
    return come[-1] if come else None


def in_days(n: int) -> str:
    """«через 1 день», «через 3 дня», «через 30 дней»; «сегодня» on the last day."""
    if n <= 0:
        return "сегодня"
    return f"через {days_word(n)}"


def days_word(n: int) -> str:
    """«1 день», «3 дня», «30 дней»."""
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} день"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} дня"
    return f"{n} дней"


def _certificate_reminder(cert: Certificate, today: date) -> Reminder | None:
    """The accreditation's latest stage: window, T−90, T−30, T−7 or expired."""
    found = _latest_stage(cert.valid_until, DAYS_BEFORE, today, window=True)
    if found is None:
        return None
    stage, due_on = found
    until = f"{cert.valid_until:%d.%m.%Y}"
    specialty = f"«{cert.specialty}»"
    noun, title_noun, genitive, lasted = DOCUMENT_WORDS[
        "certificate" if cert.kind == "certificate" else "accreditation"
    ]
    if stage == "window":
        title = "Открыто окно подачи на периодическую аккредитацию"
        body = (
            f"Можно подавать документы на периодическую аккредитацию по специальности {specialty}: "
            f"{noun} действует до {until}. Проверьте готовность в профиле и подайте заявление "
            "заранее."
        )
    elif stage == "expired":
        title = f"Истёк срок {genitive} по специальности {specialty}"
        body = (
            f"{title_noun} по специальности {specialty} {lasted} до {until}. Без действующей "
            "аккредитации работать по специальности нельзя. Если вы уже прошли аккредитацию, "
            "добавьте новое свидетельство или выписку в профиль."
        )
    else:
        when = in_days((cert.valid_until - today).days)
        title = f"{title_noun} по специальности {specialty} истекает {when}"
        body = (
            f"{when.capitalize()} истекает {noun} по специальности {specialty} (до {until}). "
            "Подайте заявление на периодическую аккредитацию."
        )
    # The notice opens «Подать заявление» with the kind and specialty filled in.
    kind = "primary_special" if stage == "expired" else "periodic"
    return Reminder(
        key=f"cert:{cert.id}:{cert.valid_until.isoformat()}:{stage}",
        due_on=due_on,
        title=title,
        body=body,
        link_endpoint="applications.new",
        link_args={"kind": kind, "specialty": cert.specialty},
    )


def _category_reminder(cat: Category, today: date) -> Reminder | None:
    """The category's latest stage: T−90, T−30 or expired."""
    found = _latest_stage(cat.valid_until, CATEGORY_DAYS_BEFORE, today, window=False)
    if found is None:
        return None
    stage, due_on = found
    nominative, genitive = CATEGORY_NAMES.get(cat.category, (cat.category, cat.category))
    until = f"{cat.valid_until:%d.%m.%Y}"
    specialty = f"«{cat.specialty}»"
    if stage == "expired":
        title = f"Истёк срок {genitive} квалификационной категории"
        body = (
            f"Срок действия {genitive} квалификационной категории по специальности {specialty} "
            f"истёк: она действовала до {until}. Если вы прошли аттестацию, добавьте приказ о "
            "присвоении категории в профиль."
        )
    else:
        when = in_days((cat.valid_until - today).days)
        title = f"{nominative.capitalize()} квалификационная категория истекает {when}"
        body = (
            f"{when.capitalize()} истекает {nominative} квалификационная категория по "
            f"специальности {specialty} (до {until}). Чтобы её подтвердить, подайте документы в "
            "аттестационную комиссию."
        )
    return Reminder(
        key=f"cat:{cat.id}:{cat.valid_until.isoformat()}:{stage}",
        due_on=due_on,
        title=title,
        body=body,
        link_endpoint="profile.record",
    )


def _nmo_reminder(record: NmoRecord, cert: Certificate | None, today: date) -> Reminder | None:
    """This year's НМО shortfall, from 1 November, while the accreditation is valid."""
    starts = date(today.year, *NMO_FROM)
    if today < starts or cert is None or cert.valid_until < today:
        return None
    if record.admitted > starts:
        return None  # the cycle began after 1 November: no year to fall short in yet
    progress = nmo.progress(record.entries, record.admitted, today)
    year = next((y for y in progress.years if y.year == today.year), None)
    if year is None or not year.short:
        return None
    specialty = f"«{record.specialty}»"
    return Reminder(
        key=f"nmo:{record.specialty.casefold()}:{today.year}",
        due_on=starts,
        title=f"НМО: в {today.year} году не хватает {year.short} ЗЕТ",
        body=(
            f"По специальности {specialty} в {today.year} году набрано {year.zet} из "
            f"{nmo.YEAR_ZET} ЗЕТ. Наберите ещё {year.short} ЗЕТ до 31 декабря, чтобы не отставать "
            "от плана цикла."
        ),
        link_endpoint="profile.nmo",
    )


def due(records: Records, today: date) -> list[Reminder]:
    """Every reminder due today for one worker, each at most one per document or specialty."""
    current = current_certificates(records.certificates)
    found = [_certificate_reminder(cert, today) for cert in current.values()]
    found += [
        _category_reminder(cat, today) for cat in _current_categories(records.categories).values()
    ]
    found += [
        _nmo_reminder(rec, current.get(rec.specialty.casefold()), today) for rec in records.nmo
    ]
    return [reminder for reminder in found if reminder is not None]
