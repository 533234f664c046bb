"""PWA plumbing: the manifest, the service worker at /sw.js and the offline page."""

from flask import Blueprint, jsonify, render_template, send_from_directory, url_for

from webapp.config import ROOT

bp = Blueprint("pwa", __name__)


@bp.get("/manifest.webmanifest")
def manifest():
    """Web app manifest (DESIGN §8)."""
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
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole site."""
    response = send_from_directory(
        ROOT / "service_worker", "sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline():
    """Shown by the service worker when a page cannot be fetched."""
    return render_template("pwa/offline.html")
