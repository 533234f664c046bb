"""Pictures inside PDFs have the same pixel limit as photos (issue 10: a 0.9 MB PDF holding a
30000×30000 picture was accepted, and the ФАЦ export then decoded it in full: 1.2 GB)."""

import io
import resource
import time
import zlib

import pikepdf
import pytest
from PIL import Image

from webapp.documents.export import BudgetExceeded, fit_to_budget, recompress_pdf
from webapp.documents.pdf import process_pdf
from webapp.documents.preview import render_page
from webapp.documents.uploads import UploadRefused

SIDE = 30_000  # 900 million pixels, 0.9 MB compressed


def _zeros_deflated(size: int, block: int = 1_000_000) -> bytes:
    """`size` zero bytes as a zlib stream, made without compressing them all: independent
    deflate blocks (each ends with a full flush) of `block` zeros are repeated."""

    def blocks(count: int) -> bytes:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return packer.compress(bytes(count)) + packer.flush(zlib.Z_FULL_FLUSH)

    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros: A stays 1, B counts the bytes
    body = blocks(block) * (size // block) + (blocks(size % block) if size % block else b"")
    return b"\x78\xda" + body + final + adler.to_bytes(4, "big")


def pdf_with_picture(width: int, height: int) -> bytes:
    """One page drawing one 8-bit grey picture (all black)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    picture = pikepdf.Stream(pdf, b"")
    picture.write(_zeros_deflated(width * height), filter=pikepdf.Name.FlateDecode)
    picture.Type = pikepdf.Name.XObject
    picture.Subtype = pikepdf.Name.Image
    picture.Width, picture.Height = width, height
    picture.ColorSpace = pikepdf.Name.DeviceGray
    picture.BitsPerComponent = 8
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture))
    page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def huge_pdf():
    return pdf_with_picture(SIDE, SIDE)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_bomb_is_small_on_disk(huge_pdf):
    assert len(huge_pdf) < 2 * 1024 * 1024


def test_an_upload_with_a_picture_past_the_limit_is_refused_in_russian(huge_pdf):
    with pytest.raises(UploadRefused, match="30000×30000 точек"):
        process_pdf(huge_pdf, "scan.pdf")


def test_an_upload_with_pictures_within_the_limit_is_accepted():
    assert process_pdf(pdf_with_picture(2000, 3000), "scan.pdf").pages == 1


def test_the_export_never_decodes_a_picture_past_the_limit(huge_pdf):
    before = _peak_mib()
    started = time.monotonic()
    assert recompress_pdf(huge_pdf, 45, 1240) is not None
    with pytest.raises(BudgetExceeded):
        fit_to_budget([("a.pdf", huge_pdf)], budget=1000)
    assert time.monotonic() - started < 10
    assert _peak_mib() - before < 300  # decoding it would take 900 MB at least


def test_a_preview_of_such_a_page_is_a_blank_sheet_not_a_decode(huge_pdf):
    before = _peak_mib()
    image = render_page(huge_pdf, 0, 1000)
    assert image.size[0] == 1000 and image.getextrema() == ((236, 236), (239, 239), (244, 244))
    assert _peak_mib() - before < 300


def test_the_export_stops_at_its_deadline():
    small = pdf_with_picture(3000, 3000)
    with pytest.raises(BudgetExceeded, match="отведённое время"):
        fit_to_budget([("a.pdf", small), ("b.pdf", small)], budget=10, seconds=0)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale():
    photo = io.BytesIO()
    Image.new("RGB", (6000, 4000), "white").save(photo, "JPEG", quality=90)
    pdf = pikepdf.new()
    pdf.add_blank_page()
    picture = pikepdf.Stream(pdf, b"")
    picture.write(photo.getvalue(), filter=pikepdf.Name.DCTDecode)
    picture.Type, picture.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    picture.Width, picture.Height = 6000, 4000
    picture.ColorSpace, picture.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture))
    out = io.BytesIO()
    pdf.save(out)
    smaller = recompress_pdf(out.getvalue(), 45, 1240)
    with pikepdf.open(io.BytesIO(smaller)) as result:
        (image,) = result.pages[0].get_images().values()
        assert max(int(image.Width), int(image.Height)) == 1240
