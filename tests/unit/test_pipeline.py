"""The upload pipeline: bad files refused with a clear reason, good ones upright and stripped."""

import io

import numpy as np
import pikepdf
import pytest
from PIL import Image

from tests.fixtures.make_fixtures import BLOCK, BLUE, RED, UPRIGHT_SIZE, ensure_fixtures
from webapp.documents import pipeline
from webapp.documents.ingest import process_upload
from webapp.documents.pdf import PdfInfo, process_pdf
from webapp.documents.pipeline import Page, assemble_pdf, process_image, thumbnail
from webapp.documents.uploads import Limits, UploadRefused, sniff


@pytest.fixture(scope="session")
def files():
    """Fixture name → bytes, generated once into tests/fixtures/generated/."""
    return {name: path.read_bytes() for name, path in ensure_fixtures().items()}


def corner_colour(image: Image.Image, corner: str) -> tuple[float, ...]:
    """Mean colour of the block-sized square in the top-left or top-right corner."""
    inset = BLOCK // 4
    left = inset if corner == "tl" else image.width - BLOCK + inset
    box = (left, inset, left + BLOCK // 2, BLOCK - inset)
    return tuple(np.asarray(image.convert("RGB").crop(box)).reshape(-1, 3).mean(axis=0))


def near(colour: tuple[float, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    """Whether two colours are within tolerance on every channel."""
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def assert_no_metadata(data: bytes) -> None:
    """No EXIF (so no GPS), XMP, ICC profile or comment survived."""
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"):
        assert key not in image.info
    for marker in (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"shot at home"):
        assert marker not in data


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"%PDF-1.7\n", "pdf"),
        (b"\n%PDF-1.4\n", "pdf"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", None),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2", None),
        (b"<!DOCTYPE html><html>%PDF-1.7", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_type_comes_from_the_first_bytes(head, kind):
    assert sniff(head) == kind


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("empty.jpg", "Файл пустой."),
        ("truncated.jpg", "Файл повреждён или обрезан — сфотографируйте документ ещё раз."),
        ("bomb.png", "Изображение слишком большое: 900 Мпикс, допустимо до 25."),
        ("too_many_pixels.png", "Изображение слишком большое: 64 Мпикс, допустимо до 25."),
        ("html.pdf", "Это не PDF, JPEG, PNG или HEIC, а веб-страница (HTML)."),
        ("document.docx", "Это не PDF, JPEG, PNG или HEIC."),
        ("zip_appended.jpg", "К изображению JPEG приписан архив"),
        ("junk_appended.jpg", "После изображения JPEG в файле ещё 5 КБ посторонних данных"),
        ("jpeg_named.png", "Расширение .png не совпадает с содержимым (JPEG)"),
        ("jpeg_named.pdf", "Расширение .pdf не совпадает с содержимым (JPEG)"),
        ("encrypted.pdf", "PDF защищён паролем — загрузите файл без пароля."),
        ("encrypted_no_user_password.pdf", "PDF зашифрован"),
        ("truncated.pdf", "PDF обрезан"),
        ("broken.pdf", "PDF повреждён"),
        ("xfa_dynamic.pdf", "PDF — динамическая форма XFA"),
    ],
)
def test_bad_upload_is_refused_with_a_reason(files, name, says):
    with pytest.raises(UploadRefused) as refused:
        process_upload(files[name], name)
    assert says in refused.value.message


def test_pixel_limit_is_checked_before_anything_is_decoded(files, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded an image over the pixel limit")

    monkeypatch.setattr(pipeline.Image, "open", no_decoding)
    with pytest.raises(UploadRefused, match="900 Мпикс"):
        process_image(files["bomb.png"], "bomb.png")


def test_pillow_bomb_guard_holds_even_when_our_limit_is_raised(files):
    with pytest.raises(UploadRefused, match="слишком большое"):
        process_image(files["bomb.png"], "bomb.png", Limits(max_pixels=10**10))


def test_file_size_limit(files):
    with pytest.raises(UploadRefused, match=r"Файл слишком большой: \d+ КБ, допустимо до 1 КБ\."):
        process_image(files["phone_2048.jpg"], "photo.jpg", Limits(max_file_bytes=1024))


def test_pdf_page_limit(files):
    with pytest.raises(UploadRefused, match="В PDF 2 стр., допустимо до 1."):
        process_pdf(files["plain.pdf"], "plain.pdf", Limits(max_pdf_pages=1))


def test_pdf_and_image_entry_points_refuse_each_other(files):
    with pytest.raises(UploadRefused, match="Это PDF"):
        process_image(files["plain.pdf"], "scan.pdf")
    with pytest.raises(UploadRefused, match="Ожидался PDF, а это JPEG"):
        process_pdf(files["phone_2048.jpg"], "scan.jpg")


@pytest.mark.parametrize(
    "name", ["blob", "photo", "IMG_0001.JPG", "C:\\fakepath\\scan.jpeg", "x.jpe"]
)
def test_camera_blobs_and_odd_but_honest_names_are_accepted(files, name):
    assert process_image(files["orientation_1.jpg"], name).mime == "image/jpeg"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright_and_stripped(files, orientation):
    page = process_image(files[f"orientation_{orientation}.jpg"], "photo.jpg")
    image = Image.open(io.BytesIO(page.data))
    assert (page.width, page.height) == image.size == UPRIGHT_SIZE
    assert near(corner_colour(image, "tl"), RED)
    assert near(corner_colour(image, "tr"), BLUE)
    assert_no_metadata(page.data)


def test_heic_becomes_an_upright_jpeg_without_metadata(files):
    page = process_upload(files["heic_orientation_6.heic"], "IMG_0042.HEIC")
    assert page.mime == "image/jpeg"
    assert sniff(page.data) == "jpeg"
    image = Image.open(io.BytesIO(page.data))
    assert image.size == (600, 400)
    assert near(corner_colour(image, "tl"), RED)
    assert near(corner_colour(image, "tr"), BLUE)
    assert_no_metadata(page.data)


def test_12_megapixel_photo_is_brought_within_2048_px_and_stripped(files):
    original = files["photo_12mp.jpg"]
    assert b"GPS" in original or Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    page = process_image(original, "IMG_20261123.jpg")
    # libjpeg decodes 4000×3000 at half scale directly: 2000 px, no resampling pass.
    assert 0.9 * 2048 <= max(page.width, page.height) <= 2048
    assert page.width / page.height == pytest.approx(4 / 3, abs=0.01)
    assert Image.open(io.BytesIO(page.data)).size == (page.width, page.height)
    assert_no_metadata(page.data)


def test_big_image_that_cannot_be_decoded_at_a_reduced_scale_is_resized_to_2048(files):
    image = Image.open(io.BytesIO(files["photo_12mp.jpg"])).resize((3000, 2250))
    page = process_image(pipeline_jpeg(image), "scan.jpg")
    assert (page.width, page.height) == (2048, 1536)


def pipeline_jpeg(image: Image.Image) -> bytes:
    """An image as JPEG bytes without metadata."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_clean_phone_jpeg_is_kept_byte_for_byte(files):
    data = files["phone_2048.jpg"]
    page = process_image(data, "blob")
    assert page.data == data
    assert (page.width, page.height) == (2048, 1536)


def test_a_little_padding_after_the_image_is_tolerated(files):
    assert process_image(files["padded.jpg"], "scan.jpg").width == 600


def test_extra_pictures_of_a_multi_picture_jpeg_are_dropped(files):
    page = process_image(files["multi_picture.jpg"], "PXL_20261123.jpg")
    assert (page.width, page.height) == (600, 400)
    assert page.data.count(b"\xff\xd8\xff") == 1


def test_cmyk_jpeg_becomes_rgb(files):
    page = process_image(files["cmyk.jpg"], "scan.jpg")
    image = Image.open(io.BytesIO(page.data))
    assert image.mode == "RGB"
    assert near(corner_colour(image, "tl"), RED, tolerance=60)


def test_transparent_png_is_laid_on_white_and_stays_png(files):
    page = process_image(files["alpha.png"], "screenshot.png")
    image = Image.open(io.BytesIO(page.data))
    assert (page.mime, image.format, image.mode) == ("image/png", "PNG", "RGB")
    assert image.getpixel((300, 200)) == (255, 255, 255)
    assert_no_metadata(page.data)


def test_palette_and_16_bit_pngs_become_8_bit(files):
    assert Image.open(io.BytesIO(process_image(files["palette.png"], "a.png").data)).mode == "RGB"
    grey = Image.open(io.BytesIO(process_image(files["grey16.png"], "b.png").data))
    assert grey.mode == "L"
    assert grey.getpixel((300, 150)) == 255
    assert grey.getpixel((10, 10)) < 120


CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)


def walk(pdf: pikepdf.Pdf):
    """Every dictionary or stream reachable in the file, direct or indirect."""
    seen, stack = set(), [pdf.trailer]
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            stack.extend(item for item in obj if isinstance(item, CONTAINERS))
            continue
        yield obj
        stack.extend(obj[key] for key in list(obj.keys()) if isinstance(obj[key], CONTAINERS))


def test_javascript_and_launch_actions_are_stripped_and_web_links_kept(files):
    info = process_pdf(files["javascript.pdf"], "справка.pdf")
    assert isinstance(info, PdfInfo)
    assert info.pages == 2
    assert {"JavaScript", "запуск программ", "автоматические действия"} <= set(info.removed)
    with pikepdf.open(io.BytesIO(info.data)) as pdf:
        assert "/OpenAction" not in pdf.Root
        assert "/JavaScript" not in pdf.Root.get("/Names", {})
        for obj in walk(pdf):
            assert "/JS" not in obj and "/AA" not in obj
            assert str(obj.get("/S", "")) not in ("/JavaScript", "/Launch")
        actions = [annot.get("/A") for annot in pdf.pages[0].Annots]
        kept = [action for action in actions if action is not None]
        assert [str(action.URI) for action in kept] == ["https://gosuslugi.ru/check"]


def test_embedded_files_are_stripped(files):
    info = process_pdf(files["embedded_file.pdf"], "диплом.pdf")
    assert "вложенные файлы" in info.removed
    with pikepdf.open(io.BytesIO(info.data)) as pdf:
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert not any("/EF" in obj for obj in walk(pdf))
        assert "/Annots" not in pdf.pages[0] or not len(pdf.pages[0].Annots)


def test_plain_pdf_passes_unchanged_in_content(files):
    info = process_pdf(files["plain.pdf"], "scan.pdf")
    assert (info.pages, info.removed) == (2, ())
    with pikepdf.open(io.BytesIO(info.data)) as pdf:
        assert len(pdf.pages) == 2


def test_ordinary_structures_are_walked_without_trouble(files):
    with pikepdf.open(io.BytesIO(files["plain.pdf"])) as pdf:
        page = pdf.pages[0]
        page.Resources.ProcSet = pikepdf.Array([pikepdf.Name.PDF, pikepdf.Name.ImageC])
        pdf.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array([0, pikepdf.Dictionary(P=pikepdf.String("стр. "))])
        )
        pdf.Root.Names = pikepdf.Dictionary(
            Dests=pikepdf.Dictionary(
                Names=pikepdf.Array(
                    [pikepdf.String("top"), pikepdf.Array([page.obj, pikepdf.Name.Fit])]
                )
            )
        )
        pdf.Root.OpenAction = pikepdf.Array([page.obj, pikepdf.Name.Fit])
        out = io.BytesIO()
        pdf.save(out)
    info = process_pdf(out.getvalue(), "scan.pdf")
    assert info.removed == ()
    with pikepdf.open(io.BytesIO(info.data)) as pdf:
        assert isinstance(pdf.Root.OpenAction, pikepdf.Array)


def test_assembled_pdf_embeds_the_jpegs_as_they_are(files):
    pages = [
        process_image(files["phone_2048.jpg"], "blob"),
        process_image(files["orientation_6.jpg"], "photo.jpg"),
    ]
    data = assemble_pdf(pages)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 2
        for pdf_page, page in zip(pdf.pages, pages, strict=True):
            (image,) = pdf_page.get_images().values()
            assert image.Filter == "/DCTDecode"
            assert image.read_raw_bytes() == page.data
            width, height = (float(v) for v in pdf_page.mediabox[2:])
            assert sorted((round(width), round(height))) == [595, 842]


def test_assembling_nothing_is_an_error():
    with pytest.raises(ValueError):
        assemble_pdf([])


def test_thumbnail_is_a_small_jpeg(files):
    page = Page(files["phone_2048.jpg"], "image/jpeg", 2048, 1536)
    image = Image.open(io.BytesIO(thumbnail(page)))
    assert image.format == "JPEG"
    assert max(image.size) == 320


def test_png_has_a_lower_pixel_limit_than_photos():
    """A 30 MP PNG is refused (lossless pixels cost memory), a 30 MP JPEG header is not."""
    from tests.fixtures.make_fixtures import png_bomb

    with pytest.raises(UploadRefused, match="30 Мпикс, допустимо до 25"):
        process_image(png_bomb(6000, 5000), "screen.png")
    limits = Limits()
    assert limits.max_png_pixels < 6000 * 5000 <= limits.max_pixels
