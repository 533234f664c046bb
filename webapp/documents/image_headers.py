"""Image headers read without decoding: size, where the image ends, whether it needs cleaning."""

import io
import re
import struct
from dataclasses import dataclass, replace

import pillow_heif
from PIL import Image

from webapp.documents.uploads import KIND_NAMES, Limits, UploadRefused, format_size

_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# APP0 (JFIF) and APP14 (Adobe colour transform) carry nothing personal; other APPn and COM may.
_JPEG_CLEAN_APP = {0xE0, 0xEE}
# In entropy-coded data a marker is 0xFF followed by anything but 0x00 (stuffing), RSTn or 0xFF.
_JPEG_NEXT_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b\x08")
_OTHER_FILES = (b"%PDF-", b"MZ\x90\x00", b"\x7fELF", b"<html", b"<script")
# Some cameras leave a few bytes of padding or a short vendor note after the end of the image.
_TRAILER_ALLOWANCE = 1024
DECODE_ERRORS = (
    Image.DecompressionBombError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    RuntimeError,
    struct.error,
)

BROKEN = "Файл повреждён или обрезан — сфотографируйте документ ещё раз."


@dataclass(frozen=True)
class Header:
    """What an image's header says, read without decoding pixels."""

    width: int
    height: int
    end: int | None  # where the image's own bytes stop; None when they never do (truncated)
    clean: bool  # nothing to strip and nothing to convert


def _jpeg_header(data: bytes) -> Header:
    """Walk the JPEG's segments to its end-of-image marker, noting size and metadata."""
    width = height = components = 0
    clean = True
    pos = 2
    while pos + 1 < len(data) and data[pos] == 0xFF:
        while pos + 2 < len(data) and data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:
            return Header(width, height, pos + 2, clean and components in (1, 3))
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
    return Header(width, height, None, False)


def _png_header(data: bytes) -> Header:
    """Walk the PNG's chunks to IEND, noting the size from IHDR."""
    width, height = struct.unpack(">II", data[16:24]) if len(data) >= 24 else (0, 0)
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunk = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk == b"IEND" and pos <= len(data):
            return Header(width, height, pos, False)
    return Header(width, height, None, False)


def _heic_header(data: bytes) -> Header:
    """HEIC size from its boxes; libheif decodes nothing until asked."""
    try:
        width, height = pillow_heif.open_heif(io.BytesIO(data)).size
    except DECODE_ERRORS as error:
        raise UploadRefused(BROKEN) from error
    return Header(width, height, len(data), False)


def checked_header(data: bytes, kind: str, limits: Limits) -> Header:
    """The header, refused when too many pixels, truncated, or followed by something else."""
    header = {"jpeg": _jpeg_header, "png": _png_header, "heic": _heic_header}[kind](data)
    pixels = header.width * header.height
    allowed = limits.max_png_pixels if kind == "png" else limits.max_pixels
    if pixels > allowed:
        raise UploadRefused(
            f"Изображение слишком большое: {round(pixels / 1e6)} Мпикс, "
            f"допустимо до {round(allowed / 1e6)}. "
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
