"""What every upload shares: the refusal, the limits, and its type read from the content."""

from dataclasses import dataclass

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
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}


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
    # A lossless PNG costs its full pixels in memory however small the file (~8 bytes a pixel
    # while resizing with alpha): half the photo limit keeps one upload near 200 MiB.
    max_png_pixels: int = 25_000_000
    max_long_side: int = 2048
    max_pdf_pages: int = 100


DEFAULT_LIMITS = Limits()


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
