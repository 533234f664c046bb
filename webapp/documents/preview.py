"""Stored files as responses, and PDF pages as pictures: previews are server-rendered
(pypdfium2), so no PDF viewer is needed on a phone and a PDF never runs in the app's origin."""

import io
from urllib.parse import quote

import pypdfium2
from flask import Response, abort
from PIL import Image

from webapp.documents.uploads import DEFAULT_LIMITS


def render_page(pdf: bytes, index: int, width: int) -> Image.Image:
    """One page as pixels; a page drawing a picture past the pixel limit (an old upload) is
    shown as a blank sheet rather than decoded."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        if not 0 <= index < len(document):
            abort(404)
        page = document[index]
        scale = width / page.get_width()
        pictures = page.get_objects(filter=(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE,))
        if any(w * h > DEFAULT_LIMITS.max_pixels for w, h in (p.get_px_size() for p in pictures)):
            size = (width, max(1, round(page.get_height() * scale)))
            return Image.new("RGB", size, (236, 239, 244))
        return page.render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def file_response(body: bytes, mimetype: str, filename: str | None = None) -> Response:
    """A stored file: sandboxed, optionally as a download with its name."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    if filename:
        response.headers["Content-Disposition"] = _disposition(filename)
    return response


def _disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = "documents.zip" if filename.endswith(".zip") else "document.pdf"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
