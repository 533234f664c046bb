"""Upload of one document from its pages; an Idempotency-Key makes a retry safe."""

import contextlib
import hashlib
import uuid

from flask import abort, current_app, flash, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from webapp import audit, htmx, offload
from webapp.auth.flows import safe_next
from webapp.db import get_db
from webapp.documents import ingest, store
from webapp.documents.uploads import Limits, UploadRefused, format_size
from webapp.documents.views import bp, details_form, link_is_mine, storage
from webapp.errors import is_disk_full, is_storage_down

UPLOAD_ENDPOINTS = {"documents.upload"}
DISK_FULL = (
    "Не хватает места на сервере: документ не сохранён. Попробуйте ещё раз позже — "
    "администратор уже знает об ошибке."
)
STORAGE_DOWN = (
    "Хранилище документов сейчас недоступно: документ не сохранён. Попробуйте через несколько "
    "минут — администратор уже знает об ошибке."
)


def _wants_json() -> bool:
    """The page's script asks for JSON; a plain form post gets pages and redirects."""
    return request.accept_mimetypes.best == "application/json"


def _answer(status: int, error: str, field: str | None = None, form=None, replace=None):
    """A refusal as JSON for the page's script, or the page again for a plain form post."""
    if _wants_json() or htmx.wants_partial():
        return jsonify(error=error, field=field), status
    if form is not None:
        form.form_errors.append(error)
        return render_template(
            "documents/new.html",
            form=form,
            replace=replace,
            idempotency_key=str(uuid.uuid4()),
        ), status
    abort(status)


def _created(document_id: int, version: int, pages: int, status: int = 201):
    """The stored document as JSON for the page's script, or a redirect to it with a flash."""
    url = url_for("documents.show", document_id=document_id)
    back = safe_next(request.form.get("next"), "")
    if back:
        # Back to the page that asked for the document (an application's documents step),
        # which marks the new one as chosen.
        url = f"{back}{'&' if '?' in back else '?'}added={document_id}"
    if _wants_json():
        return jsonify(id=document_id, url=url, pages=pages, version=version), status
    flash("Документ сохранён.", "success")
    return htmx.redirect_to(url)


def _body_digest(files, form) -> str:
    """A hash of the details and pages, so a key reused for a different body is caught."""
    digest = hashlib.sha256()
    fields = (
        "doc_type",
        "document_id",
        "title",
        "holder_name",
        "issued_on",
        "valid_until",
        "linked",
    )
    for name in fields:
        digest.update(f"{name}={form.get(name, '')}\x00".encode())
    for name, data in files:
        digest.update(name.encode() + b"\x00" + hashlib.sha256(data).digest())
    return digest.hexdigest()


@bp.post("/upload")
@login_required
def upload():
    """Store one document from its pages; the Idempotency-Key makes retries safe."""
    key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key", "")
    try:
        key = str(uuid.UUID(key))
    except ValueError:
        return _answer(400, "Запрос без ключа повтора (Idempotency-Key). Обновите страницу.")
    db = get_db()
    replace = None
    if request.form.get("document_id"):
        try:
            replace_id = int(request.form["document_id"])
        except ValueError:
            abort(404)
        replace = store.get_document_or_404(db, replace_id, current_user)
    form = details_form()
    if not form.validate() or not link_is_mine(db, form):
        field, errors = next(iter(form.errors.items()))
        return _answer(422, errors[0], field, form, replace)
    config = current_app.config
    files = []
    for upload_file in request.files.getlist("pages"):
        try:
            data = upload_file.read()
        finally:
            upload_file.close()  # big parts are spooled to temporary files: close them now
        if data or upload_file.filename:
            files.append((upload_file.filename or "file", data))
    outcome, row = store.claim_upload(db, key, current_user.id, _body_digest(files, request.form))
    if outcome == "done":
        if row["document_id"] is None:  # deleted since
            return _answer(410, "Этот документ уже удалён.")
        pages = store.version_pages(db, row["document_id"], row["version"])
        return _created(row["document_id"], row["version"], pages, 200)
    if outcome == "in_flight":
        return _answer(409, "Этот документ ещё загружается. Подождите несколько секунд.")
    if outcome == "mismatch":
        return _answer(
            422, "Ключ повтора уже использован для другого документа. Обновите страницу.", None
        )
    stored = None
    try:
        total = sum(len(data) for _, data in files)
        if store.used_bytes(db, current_user.id) + total > config["DOCUMENTS_QUOTA_BYTES"]:
            raise UploadRefused(
                "Место для документов закончилось: доступно "
                f"{format_size(config['DOCUMENTS_QUOTA_BYTES'])}. "
                "Удалите ненужные документы или старые версии."
            )
        # The image pipeline and the encryption take up to a second: off the event loop.
        limits = Limits(max_file_bytes=config["DOCUMENT_MAX_FILE_BYTES"])
        assembled = offload.run(ingest.assemble, files, limits)
        stored = offload.run(ingest.store, storage(), assembled)
        with db.atomic():
            meta = form.meta_values()
            if replace is None:
                document_id = store.create(db, current_user.id, meta)
            else:
                document_id = replace["id"]
                store.update_meta(db, document_id, meta)
            version = store.add_version(db, document_id, stored)
            store.finish_upload(db, key, document_id, version)
            audit.record(
                db,
                "documents.upload" if replace is None else "documents.replace",
                object_type="document",
                object_id=document_id,
                details={
                    "pages": assembled.pages,
                    "version": version,
                    "removed": assembled.removed,
                },
            )
    except UploadRefused as refused:
        store.release_upload(db, key)
        return _answer(422, refused.message, "pages", form, replace)
    except BaseException as error:
        store.release_upload(db, key)
        if stored:
            for blob in (stored["file_key"], stored["thumb_key"], stored["original_key"]):
                if blob:
                    with contextlib.suppress(Exception):  # the store may be what failed
                        storage().delete(blob)
        if isinstance(error, Exception) and is_disk_full(error):
            current_app.logger.exception("upload not stored: the disk is full")
            return _answer(507, DISK_FULL, "pages", form, replace)
        if isinstance(error, Exception) and is_storage_down(error):
            current_app.logger.exception("upload not stored: the document store is down")
            return _answer(503, STORAGE_DOWN, "pages", form, replace)
        raise
    return _created(document_id, version, assembled.pages)
