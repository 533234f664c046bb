"""Uploaded images made upright, stripped and sized; pages put into one PDF and thumbnailed.

The type comes from the content, never the name; size and pixel limits are checked on the
header before anything is decoded; EXIF orientation is applied and all metadata (EXIF with GPS,
XMP, ICC profiles, comments) is dropped. The long side is at most 2048 px; a big JPEG is decoded
by libjpeg straight at 1/2, 1/4 or 1/8 scale when that keeps at least 90 % of the limit, so a
4000 px photo is stored 2000 px across with no resampling pass (about three times cheaper than
decoding it whole and resizing; see bench/README.md). JPEG and HEIC come out as JPEG q85; PNG
stays lossless PNG (screenshots of certificates keep sharp text) unless that is over 2 MB, i.e. a
photo saved as PNG, which becomes JPEG. A JPEG that is already clean — JFIF only, no EXIF,
within 2048 px, which is what the phone's canvas sends — is kept byte for byte.
"""

import io
import warnings
from dataclasses import dataclass, field

import img2pdf
import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from webapp.documents.image_headers import BROKEN, DECODE_ERRORS, Header, checked_header
from webapp.documents.uploads import DEFAULT_LIMITS, Limits, UploadRefused, checked_kind

pillow_heif.register_heif_opener()

_MIME = {"jpeg": "image/jpeg", "png": "image/png"}
_JPEG_QUALITY = 85
_DRAFT_FLOOR = 0.9
_PNG_AS_JPEG_ABOVE = 2 * 1024 * 1024
_A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
_A4_LAYOUT = img2pdf.get_layout_fun(pagesize=_A4, fit=img2pdf.FitMode.into, auto_orient=True)

TOO_BIG = "Изображение слишком большое. Уменьшите его или сфотографируйте документ ещё раз."


@dataclass(frozen=True)
class Page:
    """One cleaned image, ready to store and to put into a PDF."""

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int


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


def _decoded(data: bytes, kind: str, header: Header, limits: Limits) -> Image.Image:
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
        except DECODE_ERRORS as error:
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


def _verify_jpeg(data: bytes, header: Header) -> None:
    """Decode a kept JPEG at 1/8 scale, enough to catch broken entropy data cheaply."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.draft(None, (max(1, header.width // 8), max(1, header.height // 8)))
                image.load()
        except DECODE_ERRORS as error:
            raise UploadRefused(BROKEN) from error


def process_image(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Page:
    """A JPEG, PNG or HEIC upload made upright, stripped of metadata, within the long side."""
    kind = checked_kind(data, filename, limits)
    if kind == "pdf":
        raise UploadRefused("Это PDF, а здесь нужна фотография или изображение.")
    header = checked_header(data, kind, limits)
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
