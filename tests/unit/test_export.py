"""«Скачать для ФАЦ»: file names as the portal wants them, and a set squeezed under 10 MB."""

import io

import img2pdf
import pikepdf
import pytest
from PIL import Image

from tests.fixtures.make_fixtures import ensure_fixtures
from webapp.documents.export import BUDGET, BudgetExceeded, fac_name, fit_to_budget


@pytest.mark.parametrize(
    ("person", "title", "pages", "expected"),
    [
        (("Смирнов", "Алексей", "Викторович"), "диплом", 2, "Смирнов А.В. диплом на 2 л.pdf"),
        (("Смирнов", "алексей", None), "диплом", 1, "Смирнов А. диплом на 1 л.pdf"),
        (("Смирнов", "Алексей", "  "), "СНИЛС", 1, "Смирнов А. СНИЛС на 1 л.pdf"),
        (
            ("Иванова-Петрова", "Анна-Мария", "Сергеевна"),
            "удостоверение ПК",
            3,
            "Иванова-Петрова А.-М.С. удостоверение ПК на 3 л.pdf",
        ),
        (
            ("Ким", "Ли", "Сен"),
            'сертификат: "Лечебное дело" 2024/25 <копия>?*|',
            4,
            "Ким Л.С. сертификат Лечебное дело 2024 25 копия на 4 л.pdf",
        ),
        (("../../etc", "Пётр", "Ильич"), "прочее", 1, "etc П.И. прочее на 1 л.pdf"),
    ],
)
def test_fac_file_name(person, title, pages, expected):
    assert fac_name(*person, title, pages) == expected


def test_fac_file_name_stays_short():
    name = fac_name("Смирнов", "Алексей", "Викторович", "очень длинное название " * 20, 2)
    assert len(name) <= 150
    assert name.endswith(" на 2 л.pdf")


def test_a_document_has_pages():
    with pytest.raises(ValueError):
        fac_name("Смирнов", "Алексей", None, "диплом", 0)


@pytest.fixture(scope="module")
def scan() -> bytes:
    """A 2048 px page photo saved at q97, 0.7 MB."""
    photo = Image.open(ensure_fixtures()["phone_2048.jpg"])
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=97)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo() -> bytes:
    """A 12 MP phone photo of a page, 3 MB."""
    return ensure_fixtures()["photo_12mp.jpg"].read_bytes()


def image_pdf(*pages: bytes) -> bytes:
    """An image-based PDF, one image a page."""
    return img2pdf.convert(list(pages))


def page_count(data: bytes) -> int:
    """Pages in a PDF that must open cleanly."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def test_a_set_within_budget_is_returned_untouched(scan):
    items = [("a.pdf", image_pdf(scan)), ("b.pdf", image_pdf(scan))]
    result = fit_to_budget(items)
    assert all(a[1] is b[1] for a, b in zip(result, items, strict=True))


def test_a_14_mb_set_is_recompressed_under_10_mb(photo, scan):
    items = [
        ("Смирнов А.В. диплом на 2 л.pdf", image_pdf(photo, photo)),
        ("Смирнов А.В. паспорт на 2 л.pdf", image_pdf(photo, photo)),
        ("Смирнов А.В. трудовая книжка на 2 л.pdf", image_pdf(scan, scan)),
        ("Смирнов А.В. СНИЛС на 1 л.pdf", image_pdf(scan)),
    ]
    before = sum(len(data) for _, data in items)
    assert 13 * 2**20 < before < 20 * 2**20
    result = fit_to_budget(items)
    assert sum(len(data) for _, data in result) <= BUDGET
    assert [name for name, _ in result] == [name for name, _ in items]
    assert [page_count(data) for _, data in result] == [2, 2, 2, 1]
    with pikepdf.open(io.BytesIO(result[0][1])) as pdf:
        image = next(iter(pdf.pages[0].get_images().values()))
        assert image.Filter == "/DCTDecode"
        assert max(int(image.Width), int(image.Height)) <= 2048


def test_text_only_pdfs_are_left_alone():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    items = [("text.pdf", out.getvalue())]
    with pytest.raises(BudgetExceeded):
        fit_to_budget(items, budget=10)


def test_an_impossible_budget_says_what_is_too_big(scan):
    items = [
        ("Смирнов А.В. диплом на 2 л.pdf", image_pdf(scan, scan)),
        ("СНИЛС.pdf", image_pdf(scan)),
    ]
    with pytest.raises(BudgetExceeded) as exceeded:
        fit_to_budget(items, budget=100 * 1024)
    message = exceeded.value.message
    assert message.startswith("Даже после сжатия документы занимают ")
    assert "а ФАЦ принимает не больше 100 КБ" in message
    assert message.index("«Смирнов А.В. диплом на 2 л.pdf»") < message.index("«СНИЛС.pdf»")
