"""The выписка о прохождении аккредитации as a one-page A4 PDF: pure layout, no Flask.

DejaVu Sans (fonts/, Bitstream Vera licence in fonts/LICENSE) is embedded as a subset, so
Cyrillic prints and copies the same everywhere. The QR code carries `verify_url`, which is also
printed in full under it. The PDF is unsigned here; `signature.sign` adds the PAdES signature."""

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, VAlign, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from webapp import clock

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
MOSCOW = "Europe/Moscow"

TITLE = "ВЫПИСКА ИЗ ПРОТОКОЛА ЗАСЕДАНИЯ АККРЕДИТАЦИОННОЙ КОМИССИИ"
SUBJECT = "Выписка о прохождении аккредитации специалиста"
DECISION = "Аккредитация пройдена"
SERVICE = "Кабинет медработника"
STRONG = ("Фамилия, имя, отчество", "Решение")

# A4 with the margins of Russian official papers (ГОСТ Р 7.0.97: left 20, right 10 at least).
LEFT, RIGHT, TOP = 25.0, 15.0, 20.0
QR_SIZE = 38.0  # mm, quiet zone included
MIN_URL_SIZE = 7.0  # pt
INK = (0, 0, 0)
GREY = (90, 90, 90)
RULE = (150, 150, 150)


@dataclass(frozen=True)
class Extract:
    """What one выписка states; the caller fills it from the application and the protocol."""

    number: str  # application number «А-2026-000123»
    full_name: str  # «Смирнова Анна Викторовна»
    birth_date: date | None
    kind_title: str  # «Периодическая аккредитация специалиста»
    specialty: str  # «Терапия»
    protocol_number: str  # «12/2026»
    protocol_date: date
    decided_on: date
    valid_until: date
    verify_url: str  # «https://host/check/<token>»: the QR code, and printed as text
    issued_at: datetime  # aware UTC; printed in Moscow time
    issuer: str  # «Аккредитационная комиссия Министерства здравоохранения Российской Федерации»


def ru_date(day: date) -> str:
    """ДД.ММ.ГГГГ."""
    return day.strftime("%d.%m.%Y")


def render(extract: Extract) -> bytes:
    """The unsigned one-page PDF of the выписка."""
    pdf = _Document()
    pdf.set_metadata(extract)
    pdf.add_page()
    pdf.header_block(extract)
    pdf.facts_table(extract)
    pdf.verification_block(extract)
    return bytes(pdf.output())


class _Document(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(LEFT, TOP, RIGHT)
        self.set_auto_page_break(auto=False)
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)

    def set_metadata(self, extract: Extract) -> None:
        self.set_title(f"Выписка № {extract.number}")
        self.set_author(extract.issuer)
        self.set_subject(f"{SUBJECT}: {extract.full_name}")
        self.set_creator(SERVICE)
        self.set_keywords(f"аккредитация {extract.number} {extract.protocol_number}")
        self.set_lang("ru-RU")
        self.set_creation_date(extract.issued_at)

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def rule(self, gap: float = 3.0) -> None:
        self.ln(gap)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(gap)

    def header_block(self, extract: Extract) -> None:
        self.set_font(FONT, "B", 11)
        self.multi_cell(self.width, 5.5, extract.issuer.upper(), align=Align.C)
        self.rule(4)
        self.ln(6)
        self.set_font(FONT, "B", 14)
        self.multi_cell(self.width, 7.5, TITLE, align=Align.C)
        self.ln(4)
        issued = clock.local(extract.issued_at, MOSCOW)
        self.set_font(FONT, "", 11)
        self.cell(
            self.width,
            6,
            f"№ {extract.number} от {ru_date(issued.date())}",
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(10)

    def facts_table(self, extract: Extract) -> None:
        rows = [
            ("Фамилия, имя, отчество", extract.full_name),
            ("Дата рождения", ru_date(extract.birth_date) if extract.birth_date else "—"),
            ("Вид аккредитации", extract.kind_title),
            ("Специальность", extract.specialty),
            (
                "Протокол заседания",
                f"№ {extract.protocol_number} от {ru_date(extract.protocol_date)}",
            ),
            ("Дата решения", ru_date(extract.decided_on)),
            ("Решение", DECISION),
            ("Срок действия", f"до {ru_date(extract.valid_until)}"),
        ]
        self.set_font(FONT, "", 11)
        self.rule(0)
        label = FontFace(color=GREY)
        strong = FontFace(emphasis="BOLD")
        with self.table(
            col_widths=(62, self.width - 62),
            width=self.width,
            align=Align.L,
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=6,
            padding=(2.2, 2, 2.2, 0),
            v_align=VAlign.T,
            text_align=(Align.L, Align.L),
        ) as table:
            for name, value in rows:
                row = table.row()
                row.cell(name, style=label)
                row.cell(value, style=strong if name in STRONG else None)
        self.rule(0)
        self.ln(12)

    def verification_block(self, extract: Extract) -> None:
        top = self.get_y()
        qr = segno.make(extract.verify_url, error="m", micro=False)
        image = io.BytesIO()
        qr.save(image, kind="png", scale=8, border=2)
        self.image(image, x=self.l_margin, y=top, w=QR_SIZE, h=QR_SIZE)

        issued = clock.local(extract.issued_at, MOSCOW)
        text_x = self.l_margin + QR_SIZE + 6
        text_w = self.w - self.r_margin - text_x
        paragraphs = [
            (
                "B",
                INK,
                10,
                "Проверка подлинности",
            ),
            (
                "",
                GREY,
                9.5,
                f"Документ подписан электронной подписью сервиса «{SERVICE}». Подлинность "
                "выписки и действительность решения можно проверить, отсканировав QR-код "
                "или открыв адрес, указанный под ним.",
            ),
            ("", GREY, 9.5, f"Сформировано {ru_date(issued.date())} в {issued:%H:%M} (МСК)."),
        ]
        y = top + 2
        for style, color, size, text in paragraphs:
            self.set_xy(text_x, y)
            self.set_font(FONT, style, size)
            self.set_text_color(*color)
            self.multi_cell(text_w, 4.8, text, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
            y = self.get_y() + 2
        self.set_text_color(*INK)

        # The address on one line (pdftotext and a reader copy it whole): shrink to fit, down to
        # a size still readable on paper; an address longer than that wraps at any character.
        self.set_xy(self.l_margin, top + QR_SIZE + 1)
        size = 9.5
        self.set_font(FONT, "", size)
        while self.get_string_width(extract.verify_url) > self.width and size > MIN_URL_SIZE:
            size -= 0.5
            self.set_font(FONT, "", size)
        self.multi_cell(
            self.width,
            4.5,
            extract.verify_url,
            link=extract.verify_url,
            align=Align.L,
            wrapmode=WrapMode.CHAR,
        )
