"""«Мои документы»: list by type, the capture page, view, edit details, restore, delete."""

import hashlib
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from webapp import audit, htmx
from webapp.auth.flows import safe_next
from webapp.db import get_db
from webapp.documents import links, store
from webapp.documents.forms import DocumentForm
from webapp.documents.types import STATUS_TITLES, TYPES
from webapp.documents.uploads import format_size

bp = Blueprint("documents", __name__, url_prefix="/documents")


def storage():
    """The app's encrypted blob storage."""
    return current_app.extensions["storage"]


@bp.context_processor
def _words():
    return {"doc_types": TYPES, "status_titles": STATUS_TITLES, "format_size": format_size}


@bp.get("")
@login_required
def index():
    """Documents grouped by type, each with thumbnail, pages, size, dates and status."""
    rows = store.for_user(get_db(), current_user.id)
    groups = {}
    for row in rows:
        groups.setdefault(row["doc_type"], []).append(row)
    return render_template("documents/index.html", groups=groups)


def details_form(document=None) -> DocumentForm:
    """The details form with the user's records to link to; filled from the document on GET
    (a dict: `data=`, not `obj=`)."""
    choices = links.choices(get_db(), current_user.id)
    if document and request.method == "GET":
        data = {
            k: document[k] for k in ("doc_type", "title", "holder_name", "issued_on", "valid_until")
        }
        if document["linked_kind"]:
            data["linked"] = f"{document['linked_kind']}:{document['linked_id']}"
        return DocumentForm(data=data, link_choices=choices)
    form = DocumentForm(link_choices=choices)
    if request.method == "GET" and not document and request.args.get("doc_type") in TYPES:
        form.doc_type.data = request.args["doc_type"]
    return form


@bp.get("/new")
@login_required
def new():
    """The capture page: photograph pages or choose a file, then save one document."""
    replace = None
    if request.args.get("replace", type=int):
        replace = store.get_document_or_404(
            get_db(), request.args.get("replace", type=int), current_user
        )
    form = details_form(replace)
    return render_template(
        "documents/new.html",
        form=form,
        replace=replace,
        idempotency_key=str(uuid.uuid4()),
        back=safe_next(request.args.get("next"), ""),
    )


def link_is_mine(db, form) -> bool:
    """A linked record must be one of the user's own; else the field says so."""
    values = form.meta_values()
    if values["linked_kind"] is None or links.is_mine(
        db, current_user.id, values["linked_kind"], values["linked_id"]
    ):
        return True
    form.linked.errors = ["Такой записи нет в вашем профиле."]
    return False


@bp.get("/<int:document_id>")
@login_required
def show(document_id):
    """One document: its pages, details, status, remark and the history of versions."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    form = details_form(document)
    return render_template(
        "documents/show.html",
        document=document,
        versions=store.versions(db, document_id),
        form=form,
    )


@bp.post("/<int:document_id>")
@login_required
def update(document_id):
    """Change the document's type, dates and holder's name."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    form = details_form(document)
    if not form.validate() or not link_is_mine(db, form):
        return render_template(
            "documents/show.html",
            document=document,
            versions=store.versions(db, document_id),
            form=form,
        ), 422
    with db.atomic():
        store.update_meta(db, document_id, form.meta_values())
        audit.record(db, "documents.update", object_type="document", object_id=document_id)
    flash("Сведения о документе сохранены.", "success")
    return htmx.redirect_to(url_for("documents.show", document_id=document_id))


@bp.post("/<int:document_id>/original")
@login_required
def restore_original(document_id):
    """«Вернуть исходное»: a new version from the pages as photographed, before auto-crop."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    if not document["original_key"]:
        abort(404)
    original = storage().get(document["original_key"])
    new_key = storage().put(original)
    try:
        with db.atomic():
            store.add_version(
                db,
                document_id,
                {
                    "file_key": new_key,
                    "thumb_key": None,
                    "original_key": None,
                    "mime": "application/pdf",
                    "pages": document["pages"],
                    "size": len(original),
                    "sha256": hashlib.sha256(original).hexdigest(),
                },
            )
            audit.record(db, "documents.uncrop", object_type="document", object_id=document_id)
    except BaseException:
        storage().delete(new_key)
        raise
    flash("Возвращены исходные фотографии без обрезки.", "success")
    return htmx.redirect_to(url_for("documents.show", document_id=document_id))


@bp.route("/<int:document_id>/delete", methods=["GET", "POST"])
@login_required
def delete(document_id):
    """Confirm, then delete the document with every version; the files go after commit."""
    db = get_db()
    document = store.get_document_or_404(db, document_id, current_user)
    if request.method == "GET":
        return render_template("documents/delete.html", document=document)
    with db.atomic():
        keys = store.delete(db, document_id)
        audit.record(
            db,
            "documents.delete",
            object_type="document",
            object_id=document_id,
            details={"type": document["doc_type"]},
        )
    for key in keys:
        storage().delete(key)
    flash("Документ удалён.", "success")
    return htmx.redirect_to(url_for("documents.index"))
