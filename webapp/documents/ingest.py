"""From uploaded files to stored blobs: clean every page, straighten photos, assemble one PDF.

Takes the storage backend as an argument and needs no Flask, so it is tested with a temporary
directory. A failure part-way deletes whatever it already stored.
"""

import hashlib
import io
from dataclasses import dataclass

from PIL import Image

from webapp.documents import crop, pipeline
from webapp.documents.pdf import PdfInfo, process_pdf
from webapp.documents.pipeline import Page, process_image
from webapp.documents.uploads import DEFAULT_LIMITS, Limits, UploadRefused, checked_kind

MAX_PAGES = 30
FULL_FRAME = 0.95  # a quad covering this much of the frame is a scan, not a photo of a sheet


@dataclass(frozen=True)
class Assembled:
    """What one upload becomes before storage."""

    pdf: bytes
    pages: int
    thumb: bytes | None
    original_pdf: bytes | None  # the uncropped pages, when auto-crop changed any
    removed: tuple[str, ...] = ()


def process_upload(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Page | PdfInfo:
    """An upload of any accepted type, dispatched on its content."""
    if checked_kind(data, filename, limits) == "pdf":
        return process_pdf(data, filename, limits)
    return process_image(data, filename, limits)


def straightened(page: Page) -> Page | None:
    """The page cut to the sheet's outline with a perspective warp, or None to keep it."""
    if page.mime != "image/jpeg":
        return None
    with Image.open(io.BytesIO(page.data)) as image:
        image.load()
        quad = crop.find_outline(image)
        if quad is None:
            return None
        xs, ys = [x for x, _ in quad], [y for _, y in quad]
        if (max(xs) - min(xs)) * (max(ys) - min(ys)) >= FULL_FRAME * image.width * image.height:
            return None
        warped = pipeline.shrunk(crop.warp(image, quad), DEFAULT_LIMITS.max_long_side)
    out = io.BytesIO()
    warped.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return Page(out.getvalue(), "image/jpeg", warped.width, warped.height)


def assemble(
    files: list[tuple[str, bytes]], limits: Limits = DEFAULT_LIMITS, auto_crop=True
) -> Assembled:
    """Photos become one PDF (cropped when an outline is found); one PDF stays itself."""
    if not files:
        raise UploadRefused(
            "Добавьте хотя бы одну страницу: сфотографируйте документ или выберите файл."
        )
    if len(files) > MAX_PAGES:
        raise UploadRefused(f"Слишком много страниц: {len(files)}, можно до {MAX_PAGES}.")
    results = [process_upload(data, name, limits) for name, data in files]
    pdfs = [r for r in results if isinstance(r, PdfInfo)]
    if pdfs:
        if len(results) > 1:
            raise UploadRefused("PDF загружается отдельно, без фотографий и других файлов.")
        return Assembled(pdfs[0].data, pdfs[0].pages, None, None, pdfs[0].removed)
    pages: list[Page] = list(results)
    cropped = [straightened(p) if auto_crop else None for p in pages]
    final = [c or p for c, p in zip(cropped, pages, strict=True)]
    original = pipeline.assemble_pdf(pages) if any(cropped) else None
    return Assembled(
        pipeline.assemble_pdf(final), len(final), pipeline.thumbnail(final[0]), original
    )


def store(storage, assembled: Assembled) -> dict:
    """Put the blobs; the version row's storage columns. Deletes what it wrote on failure."""
    written: list[str] = []
    try:
        file_key = storage.put(assembled.pdf)
        written.append(file_key)
        thumb_key = original_key = None
        if assembled.thumb:
            thumb_key = storage.put(assembled.thumb)
            written.append(thumb_key)
        if assembled.original_pdf:
            original_key = storage.put(assembled.original_pdf)
            written.append(original_key)
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    return {
        "file_key": file_key,
        "thumb_key": thumb_key,
        "original_key": original_key,
        "mime": "application/pdf",
        "pages": assembled.pages,
        "size": len(assembled.pdf),
        "sha256": hashlib.sha256(assembled.pdf).hexdigest(),
    }
