"""The activity report built in a guided form («составить отчёт»), as a PDF for «Мои документы».

The layout follows the usual report on professional activity for periodic accreditation: who,
where, the period, then the sections; the signature lines are left for the worker and the
head of the organisation (their agreement)."""

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from webapp.applications.extract import FONT, FONTS

NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


@dataclass(frozen=True)
class Report:
    full_name: str
    specialty: str
    workplace: str
    position: str
    period: str
    duties: str
    achievements: str | None
    proposals: str | None
    written_on: date


def render(report: Report) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(20, 18, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(f"Отчёт о профессиональной деятельности — {report.full_name}")
    pdf.set_lang("ru-RU")
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 7, "ОТЧЁТ\nо профессиональной деятельности", align="C", **NEXT_LINE)
    pdf.ln(3)
    pdf.set_font(FONT, "", 11)
    for label, value in (
        ("ФИО", report.full_name),
        ("Специальность", report.specialty),
        ("Место работы", report.workplace),
        ("Должность", report.position),
        ("Отчётный период", report.period),
    ):
        pdf.set_font(FONT, "B", 11)
        pdf.cell(45, 6.5, label)
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(0, 6.5, value, **NEXT_LINE)
    for title, text in (
        ("1. Основные обязанности и выполняемая работа", report.duties),
        ("2. Профессиональные достижения, внедрённые методы", report.achievements),
        ("3. Предложения по совершенствованию своей деятельности", report.proposals),
    ):
        if not text:
            continue
        pdf.ln(4)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6.5, title, **NEXT_LINE)
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(0, 6, text, **NEXT_LINE)
    pdf.ln(10)
    pdf.cell(0, 6, f"Дата: {report.written_on:%d.%m.%Y}        Подпись: ____________________")
    pdf.ln(12)
    pdf.multi_cell(
        0,
        6,
        "СОГЛАСОВАНО\nРуководитель организации ____________________ / ____________________\nМ. П.",
        **NEXT_LINE,
    )
    return bytes(pdf.output())
