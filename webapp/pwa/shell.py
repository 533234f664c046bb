"""The app shell: the one list of what the service worker precaches, and its version.

The version is a hash of everything the installed app runs offline (the service worker's own
source, every shell file, the offline page's template) plus the deployment's `RELEASE`. A change
to any of them changes the bytes of /sw.js, so the browser installs the new worker and the page
offers «Доступна новая версия». Templates name scripts through `SCRIPTS`, so a vendored
library's version is written here and nowhere else.
"""

import hashlib
import json

from flask import current_app, url_for

from webapp.config import ROOT

SCRIPTS = {
    "htmx": "vendor/htmx-2.0.11.min.js",
    "app": "js/app.js",
    "offline_store": "js/offline_store.js",
    "passkeys": "js/passkeys.js",
    "capture": "js/capture.js",
}
HEAD_SCRIPTS = ("htmx", "offline_store", "app", "passkeys")  # every page's <head>, in this order
STATIC = [
    "css/app.css",
    *SCRIPTS.values(),
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/apple-touch-icon-180.png",
]
PAGES = ["pwa.offline", "pwa.manifest"]
SOURCE = ROOT / "service_worker" / "sw.js"
MARKUP_SOURCES = [
    ROOT / "templates" / "pwa" / "offline.html",
    ROOT / "templates" / "base.html",
    ROOT / "webapp" / "pwa" / "chrome.py",  # the head links and tabs every page carries
]

_versions: dict[tuple, str] = {}


def _files():
    static = ROOT / "static"
    return [SOURCE, *MARKUP_SOURCES, *(static / name for name in STATIC)]


def version() -> str:
    """A short hash naming this shell; recomputed only when a file's mtime or size changes."""
    files = _files()
    release = current_app.config["RELEASE"]
    key = (release, *((f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    if key not in _versions:
        digest = hashlib.sha256(release.encode() + b"\x00")
        for path in files:
            digest.update(path.read_bytes())
        _versions.clear()
        _versions[key] = digest.hexdigest()[:12]
    return _versions[key]


def urls() -> list[str]:
    """Every URL to precache."""
    return [url_for(endpoint) for endpoint in PAGES] + [
        url_for("static", filename=name) for name in STATIC
    ]


def worker_source() -> str:
    """/sw.js: its settings as one line of JSON, then the worker's own source."""
    settings = {
        "version": version(),
        "shell": urls(),
        "store": url_for("static", filename=SCRIPTS["offline_store"]),
        "offline": url_for("pwa.offline"),
        "share": url_for("pwa.share"),
        "capture": url_for("documents.new"),
        "icon": url_for("static", filename="icons/icon-192.png"),
    }
    return f"const SETTINGS = {json.dumps(settings, ensure_ascii=False)};\n{SOURCE.read_text()}"


def script_url(name: str) -> str:
    """A template's way to name one of the shell's scripts."""
    return current_app.extensions["fixed_urls"]("static", filename=SCRIPTS[name])
