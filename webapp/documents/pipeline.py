"""Uploads checked and cleaned before storage: images made upright and stripped, PDFs defused.

Images: the type comes from the content, never the name; size and pixel limits are checked on the
header before anything is decoded; EXIF orientation is applied and all metadata (EXIF with GPS,
XMP, ICC profiles, comments) is dropped. The long side is at most 2048 px; a big JPEG is decoded
by libjpeg straight at 1/2, 1/4 or 1/8 scale when that keeps at least 90 % of the limit, so a
4000 px photo is stored 2000 px across with no resampling pass (about three times cheaper than
decoding it whole and resizing; see bench/README.md). JPEG and HEIC come out as JPEG q85; PNG
stays lossless PNG (screenshots of certificates keep sharp text) unless that is over 2 MB, i.e. a
photo saved as PNG, which becomes JPEG. A JPEG that is already clean — JFIF only, no EXIF,
within 2048 px, which is what the phone's canvas sends — is kept byte for byte.

PDFs: encrypted (even with an empty user password), broken, truncated and over-long files are
refused: the server cannot repair them and the user can. Active content is stripped rather than
refused, because it usually comes from the program that made the file, not from the person
uploading it, and the pages are what the reviewer needs. Stripped: JavaScript (names tree and
actions), launch, submit and every other action except links within the document and to
http(s)/mailto addresses, additional actions (/AA), /OpenAction actions, embedded and attached
files, rich media, sound, movie and 3D annotations, portfolios and XFA. A dynamic XFA form is
refused, as without XFA it has no pages to show. The file is always re-written by qpdf, so bytes
outside the object graph (a ZIP after %%EOF) do not survive.
"""

import io
import re
import struct
import warnings
from dataclasses import dataclass, field, replace

import img2pdf
import numpy as np
import pikepdf
import pillow_heif
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()

KIND_NAMES = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "heic": "HEIC"}
_EXTENSIONS = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".png": "png",
    ".heic": "heic",
    ".heif": "heic",
    ".hif": "heic",
    ".pdf": "pdf",
}
_MIME = {"jpeg": "image/jpeg", "png": "image/png"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# APP0 (JFIF) and APP14 (Adobe colour transform) carry nothing personal; other APPn and COM may.
_JPEG_CLEAN_APP = {0xE0, 0xEE}
# In entropy-coded data a marker is 0xFF followed by anything but 0x00 (stuffing), RSTn or 0xFF.
_JPEG_NEXT_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b\x08")
_OTHER_FILES = (b"%PDF-", b"MZ\x90\x00", b"\x7fELF", b"<html", b"<script")
# Some cameras leave a few bytes of padding or a short vendor note after the end of the image.
_TRAILER_ALLOWANCE = 1024
_JPEG_QUALITY = 85
_DRAFT_FLOOR = 0.9
_PNG_AS_JPEG_ABOVE = 2 * 1024 * 1024
_DECODE_ERRORS = (
    Image.DecompressionBombError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    RuntimeError,
    struct.error,
)
_A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
_A4_LAYOUT = img2pdf.get_layout_fun(pagesize=_A4, fit=img2pdf.FitMode.into, auto_orient=True)
_CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)
_SAFE_ACTIONS = {"/GoTo", "/Named", "/URI"}
_SAFE_URI = re.compile(r"^(https?|mailto):", re.IGNORECASE)
_ACTION_LABELS = {"/JavaScript": "JavaScript", "/Launch": "запуск программ"}
_MEDIA_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}

BROKEN = "Файл повреждён или обрезан — сфотографируйте документ ещё раз."
TOO_BIG = "Изображение слишком большое. Уменьшите его или сфотографируйте документ ещё раз."


class UploadRefused(ValueError):
    """An upload that will not be stored; message says what is wrong and what to do, in Russian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    """What an upload may be: bytes, decoded pixels, stored long side, PDF pages."""

    max_file_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_long_side: int = 2048
    max_pdf_pages: int = 100


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Page:
    """One cleaned image, ready to store and to put into a PDF."""

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class PdfInfo:
    """A defused PDF, its page count and what was stripped from it (Russian labels)."""

    data: bytes = field(repr=False)
    pages: int
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Header:
    """What an image's header says, read without decoding pixels."""

    width: int
    height: int
    end: int | None  # where the image's own bytes stop; None when they never do (truncated)
    clean: bool  # nothing to strip and nothing to convert


def format_size(size: int) -> str:
    """Bytes the way Russian users read them: '16,2 МБ', '340 КБ'."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f}".replace(".", ",").removesuffix(",0") + " МБ"
    return f"{max(1, round(size / 1024))} КБ"


def sniff(data: bytes) -> str | None:
    """The type from the first bytes: 'pdf', 'jpeg', 'png', 'heic', or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if data[:1024].lstrip(b"\xef\xbb\xbf\x00 \t\r\n").startswith(b"%PDF-"):
        return "pdf"
    if data[4:8] == b"ftyp" and _is_heic(data):
        return "heic"
    return None


def _is_heic(data: bytes) -> bool:
    """HEIF with HEVC pictures; AVIF and other ISO media files are not."""
    box_end = min(int.from_bytes(data[:4], "big"), 256)
    brands = [data[8:12]] + [data[i : i + 4] for i in range(16, box_end - 3, 4)]
    if brands[0] in _HEIC_BRANDS:
        return True
    return brands[0] in _HEIF_BRANDS and any(brand in _HEIC_BRANDS for brand in brands)


def _extension(filename: str) -> str:
    """'.jpg' from 'C:\\fakepath\\IMG_1.JPG'; '' when the name has none ('blob')."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip(". ")
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def checked_kind(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Size, type and extension checks shared by images and PDFs; returns the type."""
    if not data:
        raise UploadRefused("Файл пустой. Выберите файл ещё раз.")
    if len(data) > limits.max_file_bytes:
        raise UploadRefused(
            f"Файл слишком большой: {format_size(len(data))}, "
            f"допустимо до {format_size(limits.max_file_bytes)}."
        )
    kind = sniff(data)
    if kind is None:
        head = data[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise UploadRefused(
                "Это не PDF, JPEG, PNG или HEIC, а веб-страница (HTML). Откройте её в браузере, "
                "сохраните как PDF («Печать» → «Сохранить как PDF») и загрузите этот PDF."
            )
        raise UploadRefused(
            "Это не PDF, JPEG, PNG или HEIC. Загрузите скан или фотографию документа."
        )
    extension = _extension(filename)
    if _EXTENSIONS.get(extension, kind) != kind:
        raise UploadRefused(
            f"Расширение {extension} не совпадает с содержимым ({KIND_NAMES[kind]}) — "
            "проверьте, тот ли файл выбран."
        )
    return kind


def _jpeg_header(data: bytes) -> _Header:
    """Walk the JPEG's segments to its end-of-image marker, noting size and metadata."""
    width = height = components = 0
    clean = True
    pos = 2
    while pos + 1 < len(data) and data[pos] == 0xFF:
        while pos + 2 < len(data) and data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:
            return _Header(width, height, pos + 2, clean and components in (1, 3))
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4] or b"\0\0")
        segment = data[pos + 4 : pos + 2 + length]
        if length < 2 or len(segment) < length - 2:
            break
        if marker in _JPEG_SOF and len(segment) >= 6:
            height, width = struct.unpack(">HH", segment[1:5])
            components = segment[5]
        elif (0xE0 <= marker <= 0xEF and marker not in _JPEG_CLEAN_APP) or marker == 0xFE:
            clean = False
        pos += 2 + length
        if marker == 0xDA:
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return _Header(width, height, None, False)


def _png_header(data: bytes) -> _Header:
    """Walk the PNG's chunks to IEND, noting the size from IHDR."""
    width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunk = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk == b"IEND" and pos <= len(data):
            return _Header(width, height, pos, False)
    return _Header(width, height, None, False)


def _heic_header(data: bytes) -> _Header:
    """HEIC size from its boxes; libheif decodes nothing until asked."""
    try:
        width, height = pillow_heif.open_heif(io.BytesIO(data)).size
    except _DECODE_ERRORS as error:
        raise UploadRefused(BROKEN) from error
    return _Header(width, height, len(data), False)


def _checked_header(data: bytes, kind: str, limits: Limits) -> _Header:
    """The header, refused when too many pixels, truncated, or followed by something else."""
    header = {"jpeg": _jpeg_header, "png": _png_header, "heic": _heic_header}[kind](data)
    pixels = header.width * header.height
    if pixels > limits.max_pixels:
        raise UploadRefused(
            f"Изображение слишком большое: {round(pixels / 1e6)} Мпикс, "
            f"допустимо до {round(limits.max_pixels / 1e6)}. "
            "Уменьшите его или сфотографируйте документ ещё раз."
        )
    if header.end is None or not pixels:
        raise UploadRefused(BROKEN)
    end = header.end
    # Multi-picture JPEGs (Ultra HDR gain maps, previews) carry whole JPEGs after the first one;
    # they are legitimate, and dropped when the file is re-encoded.
    while kind == "jpeg" and data.startswith(b"\xff\xd8\xff", end):
        extra = _jpeg_header(data[end:])
        if extra.end is None:
            break
        end += extra.end
    trailer = data[end:]
    if any(signature in trailer for signature in _ARCHIVES + _OTHER_FILES):
        raise UploadRefused(
            f"К изображению {KIND_NAMES[kind]} приписан архив или другой файл — такой файл "
            "не принимаем. Сохраните фото заново или сфотографируйте документ ещё раз."
        )
    if len(trailer.strip(b"\x00\xff\r\n ")) > _TRAILER_ALLOWANCE:
        raise UploadRefused(
            f"После изображения {KIND_NAMES[kind]} в файле ещё {format_size(len(trailer))} "
            "посторонних данных (так бывает у «живых» фото). Сохраните снимок как обычное фото "
            "или сфотографируйте документ ещё раз."
        )
    return replace(header, end=end, clean=header.clean and end == header.end)


def fitted(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """The size scaled down so its long side is at most long_side; never scaled up."""
    width, height = size
    scale = long_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrunk(image: Image.Image, long_side: int) -> Image.Image:
    """Downscaled to long_side: a box reduce by a whole factor first, bicubic for the rest."""
    target = fitted(image.size, long_side)
    factor = min(image.width // target[0], image.height // target[1])
    if factor >= 2:
        image = image.reduce(factor)
    return image if image.size == target else image.resize(target, Image.Resampling.BICUBIC)


def flattened(image: Image.Image) -> Image.Image:
    """RGB or L pixels; transparency laid on white paper, 16-bit grey scaled to 8 bits."""
    if image.mode.startswith("I"):
        return Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", image.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper.convert("L") if image.mode in ("LA", "La") else paper
    if image.mode in ("RGB", "L"):
        return image
    return image.convert("L" if image.mode == "1" else "RGB")


def _decoded(data: bytes, kind: str, header: _Header, limits: Limits) -> Image.Image:
    """Upright pixels as decoded; a large JPEG decoded straight at a reduced scale."""
    with warnings.catch_warnings():
        # The header already passed our lower pixel limit; corrupt-EXIF notices are no refusal.
        warnings.simplefilter("ignore")
        try:
            image = Image.open(io.BytesIO(data))
            if kind == "jpeg":
                width, height = fitted((header.width, header.height), limits.max_long_side)
                image.draft(None, (int(width * _DRAFT_FLOOR), int(height * _DRAFT_FLOOR)))
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
        except Image.DecompressionBombError as error:
            raise UploadRefused(TOO_BIG) from error
        except _DECODE_ERRORS as error:
            raise UploadRefused(BROKEN) from error
    return image


def _encoded(image: Image.Image, kind: str) -> tuple[bytes, str]:
    """Bytes without any metadata: JPEG for photos, PNG for PNG unless it turns out a photo."""
    # Pillow copies comments, XMP and ICC profiles from info into the output unless told not to.
    image.info = {}
    out = io.BytesIO()
    if kind == "png":
        image.save(out, "PNG")
        if out.tell() <= _PNG_AS_JPEG_ABOVE:
            return out.getvalue(), "png"
        out = io.BytesIO()
    image.save(out, "JPEG", quality=_JPEG_QUALITY)
    return out.getvalue(), "jpeg"


def _verify_jpeg(data: bytes, header: _Header) -> None:
    """Decode a kept JPEG at 1/8 scale, enough to catch broken entropy data cheaply."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.draft(None, (max(1, header.width // 8), max(1, header.height // 8)))
                image.load()
        except _DECODE_ERRORS as error:
            raise UploadRefused(BROKEN) from error


def process_image(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Page:
    """A JPEG, PNG or HEIC upload made upright, stripped of metadata, within the long side."""
    kind = checked_kind(data, filename, limits)
    if kind == "pdf":
        raise UploadRefused("Это PDF, а здесь нужна фотография или изображение.")
    header = _checked_header(data, kind, limits)
    if kind == "jpeg" and header.clean and max(header.width, header.height) <= limits.max_long_side:
        _verify_jpeg(data, header)
        return Page(data, _MIME["jpeg"], header.width, header.height)
    image = _decoded(data, kind, header, limits)
    # Shrinking before flattening spares a full-size copy of a huge transparent PNG; palette and
    # 16-bit images are converted first, as Pillow resizes them badly or not at all.
    if image.mode not in ("RGB", "L", "RGBA", "LA"):
        image = flattened(image)
    image = flattened(shrunk(image, limits.max_long_side))
    encoded, out_kind = _encoded(image, kind)
    return Page(encoded, _MIME[out_kind], image.width, image.height)


def _unsafe_action(action) -> bool:
    """An action other than a link within the document or to a web or mail address."""
    kind = str(action.get("/S", ""))
    if kind not in _SAFE_ACTIONS:
        return True
    return kind == "/URI" and not _SAFE_URI.match(str(action.get("/URI", "")))


def _defuse(pdf: pikepdf.Pdf) -> set[str]:
    """Strip active content in place; return what was found, as Russian labels."""
    removed: set[str] = set()
    root = pdf.Root
    acroform = root.get("/AcroForm")
    if acroform is not None and "/XFA" in acroform:
        if root.get("/NeedsRendering") or not acroform.get("/Fields"):
            raise UploadRefused(
                "PDF — динамическая форма XFA, без неё у него нет страниц. Откройте его "
                "в Adobe Reader, напечатайте в PDF («Печать» → «Сохранить как PDF») и загрузите "
                "получившийся файл."
            )
        del acroform["/XFA"]
        removed.add("форма XFA")
    names = root.get("/Names")
    for key, label in (("/JavaScript", "JavaScript"), ("/EmbeddedFiles", "вложенные файлы")):
        if names is not None and key in names:
            del names[key]
            removed.add(label)
    if "/Collection" in root:
        del root["/Collection"]
        removed.add("вложенные файлы")
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            kept = [a for a in annots if str(a.get("/Subtype", "")) not in _MEDIA_ANNOTATIONS]
            if len(kept) < len(annots):
                page.obj.Annots = pikepdf.Array(kept)
                removed.add("вложения и мультимедиа")
    seen: set[tuple[int, int]] = set()
    stack: list = [root]
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            stack.extend(item for item in obj if isinstance(item, _CONTAINERS))
            continue
        if "/AA" in obj:
            del obj["/AA"]
            removed.add("автоматические действия")
        if "/EF" in obj:
            del obj["/EF"]
            removed.add("вложенные файлы")
        for key in ("/A", "/OpenAction", "/Next"):
            action = obj.get(key)
            if isinstance(action, pikepdf.Dictionary) and _unsafe_action(action):
                del obj[key]
                removed.add(_ACTION_LABELS.get(str(action.get("/S", "")), "прочие действия"))
        for key in list(obj.keys()):
            if key != "/Parent" and isinstance(obj[key], _CONTAINERS):
                stack.append(obj[key])
    return removed


def process_pdf(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> PdfInfo:
    """A PDF upload checked, stripped of active content and re-written by qpdf."""
    kind = checked_kind(data, filename, limits)
    if kind != "pdf":
        raise UploadRefused(f"Ожидался PDF, а это {KIND_NAMES[kind]}.")
    if b"%%EOF" not in data[-1024:]:
        raise UploadRefused("PDF обрезан — скачайте или сохраните его заново и загрузите ещё раз.")
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise UploadRefused(
                    "PDF зашифрован (стоит запрет на печать или изменение). Сохраните его без "
                    "защиты («Печать» → «Сохранить как PDF») и загрузите снова."
                )
            pages = len(pdf.pages)
            if not pages:
                raise UploadRefused("В PDF нет ни одной страницы.")
            if pages > limits.max_pdf_pages:
                raise UploadRefused(
                    f"В PDF {pages} стр., допустимо до {limits.max_pdf_pages}. "
                    "Разделите его на несколько документов."
                )
            removed = _defuse(pdf)
            out = io.BytesIO()
            pdf.save(out)
    except UploadRefused:
        raise
    except pikepdf.PasswordError as error:
        raise UploadRefused("PDF защищён паролем — загрузите файл без пароля.") from error
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError) as error:
        raise UploadRefused(
            "PDF повреждён — сохраните или скачайте его заново и загрузите ещё раз."
        ) from error
    return PdfInfo(out.getvalue(), pages, tuple(sorted(removed)))


def process_upload(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Page | PdfInfo:
    """An upload of any accepted type, dispatched on its content."""
    if checked_kind(data, filename, limits) == "pdf":
        return process_pdf(data, filename, limits)
    return process_image(data, filename, limits)


def assemble_pdf(pages: list[Page]) -> bytes:
    """One PDF, an A4 page per image, each image embedded as it is (no re-encoding)."""
    if not pages:
        raise ValueError("a document needs at least one page")
    return img2pdf.convert([page.data for page in pages], layout_fun=_A4_LAYOUT)


def thumbnail(page: Page, size: int = 320) -> bytes:
    """A small JPEG preview that fits in size × size."""
    with Image.open(io.BytesIO(page.data)) as image:
        image.thumbnail((size, size))
        preview = flattened(image)
        preview.info = {}
        out = io.BytesIO()
        preview.save(out, "JPEG", quality=75)
    return out.getvalue()
