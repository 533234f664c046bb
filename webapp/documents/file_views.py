"""The files themselves: PDF download, page previews, thumbnails and the ФАЦ export.

Served only here, after the owner check, with `Content-Security-Policy: sandbox`, nosniff and
no caching. Pages are shown as server-rendered images (pypdfium2), so no PDF viewer is needed
on a phone and the PDF never runs in the app's origin.
"""

import io
import zipfile

from flask import request
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.db import get_db
from webapp.documents import export, store
from webapp.documents.forms import ExportForm
from webapp.documents.preview import file_response, jpeg, render_page
from webapp.documents.types import TYPES
from webapp.documents.uploads import format_size
from webapp.documents.views import bp, storage

PREVIEW_WIDTH = 1000
THUMB_SIZE = 320


def _version(db, document: dict) -> dict:
    number = request.args.get("version", type=int)
    if number is None:
        return {
            "file_key": document["file_key"],
            "number": document["version"],
            "pages": document["pages"],
            "thumb_key": document["thumb_key"],
        }
    return store.get_version_or_404(db, document["id"], number)


def _name(document: dict, pages: int, user) -> str:
    """«Фамилия И.О. <тип> на N л.pdf» for this document."""
    return export.fac_name(
        user.surname, user.name, user.patronymic, TYPES[document["doc_type"]].fac, pages
    )


@bp.get("/<int:document_id>/file")
@login_required
def file(document_id):
    """The PDF of the latest (or a given) version, as a download named the ФАЦ way."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    version = _version(db, document)
    audit.record(db, "documents.download", object_type="document", object_id=document_id)
    return file_response(
        storage().get(version["file_key"]),
        "application/pdf",
        _name(document, version["pages"], current_user),
    )


@bp.get("/<int:document_id>/pages/<int:number>")
@login_required
def page(document_id, number):
    """One page as a JPEG preview."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    version = _version(db, document)
    image = render_page(storage().get(version["file_key"]), number - 1, PREVIEW_WIDTH)
    return file_response(jpeg(image, 80), "image/jpeg")


@bp.get("/<int:document_id>/thumb")
@login_required
def thumb(document_id):
    """The small preview of the first page."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    if document["thumb_key"]:
        return file_response(storage().get(document["thumb_key"]), "image/jpeg")
    image = render_page(storage().get(document["file_key"]), 0, THUMB_SIZE)
    return file_response(jpeg(image, 75), "image/jpeg")


@bp.route("/export", methods=["GET", "POST"])
@login_required
def export_for_fac():
    """«Скачать для ФАЦ»: chosen documents as ФАЦ-named PDFs in one ZIP, within 10 MB."""
    db = get_db()
    documents = store.for_user(db, current_user.id)
    form = ExportForm(
        documents=[
            {
                "id": d["id"],
                "label": f"{d['title'] or TYPES[d['doc_type']].title} "
                f"({d['pages']} стр., {format_size(d['size'])})",
            }
            for d in documents
        ]
    )
    if not form.validate_on_submit():
        return htmx.form_page("documents/export.html", form=form, documents=documents)
    wanted = set(form.document.data)
    chosen = [d for d in documents if d["id"] in wanted]
    items, names = [], set()
    user = current_user
    for document in chosen:
        name = _name(document, document["pages"], user)
        stem, count = name.removesuffix(".pdf"), 2
        while name in names:
            name, count = f"{stem} ({count}).pdf", count + 1
        names.add(name)
        items.append((name, storage().get(document["file_key"])))
    try:
        fitted = export.fit_to_budget(items)
    except export.BudgetExceeded as exceeded:
        form.form_errors.append(exceeded.message)
        return htmx.form_page("documents/export.html", 422, form=form, documents=documents)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in fitted:
            archive.writestr(name, data)
    audit.record(db, "documents.export", object_type="document", details={"count": len(fitted)})
    return file_response(out.getvalue(), "application/zip", "документы для ФАЦ.zip")
