"""A believable professional record for the demo worker (and the HR admin's own job)."""

from datetime import date

from webapp.clock import now_iso
from webapp.profile.readiness import shift_months

CLINIC = {
    "org_name": "ГБУЗ «Городская поликлиника № 5 ДЗМ»",
    "org_inn": "7707083893",
    "org_ogrn": "1027700132195",
    "org_oktmo": "45380000",
    "org_address": "г. Москва, ул. Тверская, д. 10",
}


def seed_record(db, worker_id: int, hr_id: int | None, today: date) -> None:
    """Jobs, education, an accreditation whose window is open, НМО points; HR admin's job."""
    stamp = now_iso()
    common = {
        "user_id": worker_id,
        "source": "self",
        "verification": "declared",
        "created_at": stamp,
        "updated_at": stamp,
    }
    issued = shift_months(today, -50)
    with db.atomic():
        db["employments"].insert_all(
            [
                {
                    **common,
                    **CLINIC,
                    "department": "Терапевтическое отделение № 2",
                    "position": "Врач-терапевт участковый",
                    "specialty": "Терапия",
                    "rate": 1.0,
                    "kind": "main",
                    "start_date": shift_months(today, -80).isoformat(),
                    "document_kind": "order",
                    "document_number": "312-к",
                    "document_date": shift_months(today, -80).isoformat(),
                },
                {
                    # A past part-time job whose ИНН the worker does not know: its employer's
                    # HR admin completes ИНН and ОКТМО when confirming.
                    **common,
                    "org_name": "ООО «Клиника Здоровье»",
                    "position": "Врач-терапевт",
                    "specialty": "Терапия",
                    "rate": 0.25,
                    "kind": "external",
                    "start_date": shift_months(today, -100).isoformat(),
                    "end_date": shift_months(today, -70).isoformat(),
                },
            ]
        )
        db["educations"].insert_all(
            [
                {
                    **common,
                    "kind": "higher",
                    "organization": "Первый МГМУ им. И.М. Сеченова",
                    "program": "Лечебное дело",
                    "start_date": shift_months(today, -170).isoformat(),
                    "end_date": shift_months(today, -98).isoformat(),
                    "doc_series": "107724",
                    "doc_number": "0123456",
                    "study_form": "full",
                    "verification": "confirmed",
                    "source": "regulator",
                },
                {
                    **common,
                    "kind": "pk",
                    "organization": "РМАНПО",
                    "program": "Актуальные вопросы терапии",
                    "end_date": shift_months(today, -14).isoformat(),
                    "doc_number": "772412345678",
                    "hours": 72,
                    "study_form": "remote",
                },
            ]
        )
        db["certificates"].insert(
            {
                **common,
                "kind": "primary_special",
                "specialty": "Терапия",
                "number": "7722 031234567",
                "issued_on": issued.isoformat(),
                "valid_until": shift_months(issued, 60).isoformat(),
                "verification": "confirmed",
                "source": "regulator",
            }
        )
        db["nmo_entries"].insert_all(
            {
                **common,
                "specialty": "Терапия",
                "day": shift_months(issued, 2 + 7 * n).isoformat(),
                "element": "module" if n % 3 else "event",
                "title": title,
                "provider": "Портал НМО",
                "zet": zet,
                "confirmation_code": f"NMO-{2024 + n}-{n:04d}",
            }
            for n, (title, zet) in enumerate(
                [
                    ("Артериальная гипертензия: клинические рекомендации", 6),
                    ("Школа терапевта: конгресс", 12),
                    ("Сахарный диабет 2 типа в практике терапевта", 4),
                    ("Хроническая сердечная недостаточность", 6),
                    ("Вакцинопрофилактика взрослых", 3),
                    ("Национальный конгресс терапевтов", 14),
                    ("ХОБЛ: диагностика и лечение", 5),
                ]
            )
            if shift_months(issued, 2 + 7 * n) <= today
        )
        if hr_id:
            db["employments"].insert(
                {
                    **CLINIC,
                    "user_id": hr_id,
                    "position": "Начальник отдела кадров",
                    "rate": 1.0,
                    "kind": "main",
                    "start_date": shift_months(today, -120).isoformat(),
                    "verification": "confirmed",
                    "source": "employer",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
