"""PWA plumbing: the manifest, the service worker at /sw.js, the offline page, the list of pages
an opted-in device keeps offline, and the share target's fallback."""

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from webapp.db import get_db
from webapp.extensions import csrf
from webapp.pwa import chrome, shell, snapshot

bp = Blueprint("pwa", __name__)
SHARE_ACCEPT = ["image/*", "application/pdf", ".jpg", ".jpeg", ".png", ".heic", ".heif", ".pdf"]


bp.add_app_template_global(shell.script_url, "script_url")
bp.add_app_template_global(chrome.head_links, "head_links")
bp.add_app_template_global(chrome.tabs, "section_tabs")


bp.after_app_request(snapshot.mark)


@bp.get("/manifest.webmanifest")
def manifest():
    """Web app manifest (DESIGN §8), with the share target «Поделиться → Медкабинет»."""
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"),
        "sizes": size,
        "type": "image/png",
        "purpose": purpose,
    }
    body = {
        "id": "/",
        "name": "Кабинет медработника",
        "short_name": "Медкабинет",
        "description": "Профессиональные данные, документы и аккредитация медработника",
        "lang": "ru",
        "dir": "ltr",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f7fa",
        "theme_color": "#1558b0",
        "categories": ["medical", "productivity"],
        "icons": [
            icon("icon-192.png", "192x192"),
            icon("icon-512.png", "512x512"),
            icon("icon-maskable-512.png", "512x512", "maskable"),
        ],
        "share_target": {
            "action": url_for("pwa.share"),
            "method": "POST",
            "enctype": "multipart/form-data",
            "params": {"files": [{"name": "files", "accept": SHARE_ACCEPT}]},
        },
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()  # a repeat visit asks and gets 304: only the page itself travels
    return response.make_conditional(request)


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole site."""
    response = Response(shell.worker_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page cannot be fetched."""
    return render_template("pwa/offline.html")


@bp.get("/pwa/snapshot-pages")
@login_required
def snapshot_pages():
    """What a device that turned on «Доступ без сети» fetches to fill its snapshot."""
    return jsonify(pages=snapshot.pages(get_db(), current_user))


@bp.post("/documents/share")
@csrf.exempt  # reads nothing and changes nothing: it only says the share did not arrive
def share():
    """The share target when no service worker took the files (it normally does, storing them
    on the device and opening «Новый документ» with them)."""
    flash(
        "Файл не удалось принять. Откройте приложение, нажмите «Новый документ» и выберите "
        "файл там.",
        "error",
    )
    return redirect(url_for("documents.new"), code=303)
