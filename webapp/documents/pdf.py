"""PDF uploads defused: refused when broken or encrypted, active content stripped, re-written.

Encrypted (even with an empty user password), broken, truncated and over-long files are
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
from dataclasses import dataclass, field

import pikepdf

from webapp.documents.uploads import DEFAULT_LIMITS, KIND_NAMES, Limits, UploadRefused, checked_kind

_CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)
_SAFE_ACTIONS = {"/GoTo", "/Named", "/URI"}
_SAFE_URI = re.compile(r"^(https?|mailto):", re.IGNORECASE)
_ACTION_LABELS = {"/JavaScript": "JavaScript", "/Launch": "запуск программ"}
_MEDIA_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}


@dataclass(frozen=True)
class PdfInfo:
    """A defused PDF, its page count and what was stripped from it (Russian labels)."""

    data: bytes = field(repr=False)
    pages: int
    removed: tuple[str, ...] = ()


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


def image_sizes(pdf: pikepdf.Pdf):
    """(width, height) of every picture the pages draw, forms and patterns included; read from
    the dictionaries, nothing is decoded."""
    seen: set[tuple[int, int]] = set()
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        for group in ("/XObject", "/Pattern"):
            objects = resources.get(group)
            if not isinstance(objects, pikepdf.Dictionary):
                continue
            for obj in objects.values():
                if not isinstance(obj, pikepdf.Stream) or obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
                if obj.get("/Subtype") == "/Image":
                    yield int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
                stack.append(obj.get("/Resources"))


def too_large_picture(pdf: pikepdf.Pdf, limits: Limits) -> tuple[int, int] | None:
    """The first picture past the pixel limit, or None."""
    return next(((w, h) for w, h in image_sizes(pdf) if w * h > limits.max_pixels), None)


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
            huge = too_large_picture(pdf, limits)
            if huge:
                raise UploadRefused(
                    f"В PDF есть изображение {huge[0]}×{huge[1]} точек — больше "
                    f"{limits.max_pixels // 1_000_000} млн точек, чем мы обрабатываем. "
                    "Сохраните PDF с меньшим разрешением (например, 300 точек на дюйм) "
                    "и загрузите снова."
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
