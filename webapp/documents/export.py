"""«Скачать для ФАЦ»: file names the accreditation centre expects; a set that fits its limit.

Only images inside the PDFs are recompressed (8-bit JPEG or Flate pictures without masks, decoded
with Pillow and re-encoded as JPEG); text, vector pages and tiny 1-bit scans are left as they are.
Every step starts again from the original file, so quality is lost once, not once per step.
"""

import io
import re
import time

import pikepdf
from PIL import Image

from webapp.documents.pipeline import flattened, shrunk
from webapp.documents.uploads import DEFAULT_LIMITS, format_size
from webapp.names import short_name

BUDGET = 10 * 1024 * 1024
MAX_PIXELS = DEFAULT_LIMITS.max_pixels  # pictures past the upload limit are never decoded
SECONDS = 20  # an export that has not fitted by then is refused, not left to the worker timeout
# Quality, then long side in pixels: each step trades a little more legibility for size.
STEPS = ((75, 2048), (60, 1600), (45, 1240))
_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_MAX_NAME = 150
_RECODABLE = ([], ["/DCTDecode"], ["/FlateDecode"])


class BudgetExceeded(ValueError):
    """The documents do not fit the limit even at the lowest quality; message in Russian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _clean(text: str | None) -> str:
    """Text safe in a file name on Windows and Linux: no reserved characters, single spaces."""
    return " ".join(_ILLEGAL.sub(" ", text or "").split()).strip(". ")


def fac_name(surname: str, name: str, patronymic: str | None, type_title: str, pages: int) -> str:
    """'Смирнов А.В. диплом на 2 л.pdf': one document as the ФАЦ portal wants it named."""
    if pages < 1:
        raise ValueError("a document has at least one page")
    person = short_name(_clean(surname), _clean(name), _clean(patronymic))
    tail = f" на {pages} л"
    room = _MAX_NAME - len(person) - len(tail) - len(" .pdf")
    title = _clean(type_title)[: max(0, room)].strip(". ")
    return " ".join(filter(None, [person.strip(), title])) + tail + ".pdf"


def _filters(image: pikepdf.Object) -> list[str]:
    """An image stream's filter names as a list."""
    value = image.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


def _recompress_image(image: pikepdf.Object, quality: int, long_side: int) -> None:
    """Replace a picture with a smaller JPEG of it, when that is smaller."""
    if any(key in image for key in ("/SMask", "/Mask", "/ImageMask")):
        return
    if image.get("/BitsPerComponent") != 8 or _filters(image) not in _RECODABLE:
        return
    if int(image.get("/Width", 0)) * int(image.get("/Height", 0)) > MAX_PIXELS:
        return  # past the upload limit (an old file): never decoded, kept as it is
    try:
        picture = _decoded(image, long_side)
    except (pikepdf.PdfError, NotImplementedError, ValueError, OSError):
        return  # pikepdf cannot decode this encoding (it raises NotImplementedError): keep it
    picture = shrunk(flattened(picture), long_side)
    picture.info = {}
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    if out.tell() >= len(image.read_raw_bytes()):
        return
    image.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
    image.Width, image.Height = picture.size
    image.ColorSpace = pikepdf.Name.DeviceGray if picture.mode == "L" else pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode"):
        if key in image:
            del image[key]


def _decoded(image: pikepdf.Object, long_side: int):
    """The picture's pixels. A plain RGB or grey JPEG is decoded at a reduced scale (JPEG can
    skip detail while decoding: 1/2 … 1/8), so a large photo never costs its full pixels."""
    plain = image.get("/ColorSpace") in ("/DeviceRGB", "/DeviceGray") and "/Decode" not in image
    if _filters(image) == ["/DCTDecode"] and plain:
        picture = Image.open(io.BytesIO(image.read_raw_bytes()))
        picture.draft(picture.mode, (long_side, long_side))
        picture.load()
        return picture
    return pikepdf.PdfImage(image).as_pil_image()


def recompress_pdf(data: bytes, quality: int, long_side: int) -> bytes:
    """The PDF with its pictures re-encoded as JPEG at quality, no longer than long_side."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        done: set[tuple[int, int]] = set()
        for page in pdf.pages:
            for image in page.get_images().values():
                if image.objgen not in done:
                    done.add(image.objgen)
                    _recompress_image(image, quality, long_side)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def fit_to_budget(
    items: list[tuple[str, bytes]], budget: int = BUDGET, seconds: float = SECONDS
) -> list[tuple[str, bytes]]:
    """The named PDFs, the largest recompressed step by step until all of them fit in budget,
    within `seconds` (then the export is refused with an explanation)."""
    deadline = time.monotonic() + seconds
    current = list(items)
    for quality, long_side in STEPS:
        if sum(len(data) for _, data in current) <= budget:
            return current
        for index in sorted(range(len(current)), key=lambda i: -len(current[i][1])):
            if sum(len(data) for _, data in current) <= budget:
                return current
            if time.monotonic() > deadline:
                raise BudgetExceeded(
                    "Сжать документы до 10 МБ не удалось за отведённое время: в них слишком "
                    "много или слишком большие изображения. Выгрузите документы по частям или "
                    "пересканируйте самые большие с меньшим разрешением."
                )
            name, original = items[index]
            smaller = recompress_pdf(original, quality, long_side)
            if len(smaller) < len(current[index][1]):
                current[index] = (name, smaller)
    total = sum(len(data) for _, data in current)
    if total <= budget:
        return current
    largest = sorted(current, key=lambda item: -len(item[1]))[:3]
    listed = ", ".join(f"«{name}» — {format_size(len(data))}" for name, data in largest)
    raise BudgetExceeded(
        f"Даже после сжатия документы занимают {format_size(total)}, а ФАЦ принимает не больше "
        f"{format_size(budget)}. Больше всего места занимают: {listed}. Уменьшите их: "
        "пересканируйте с меньшим разрешением или уберите лишние страницы."
    )
