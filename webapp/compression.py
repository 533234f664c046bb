"""Pages and JSON compressed on the way out: Flask-Compress, brotli when accepted, else gzip.

Static files are not compressed here: WhiteNoise serves their precompressed copies
(`static_files.py`). Streamed answers (files sent with `send_file`) and types that are already
compressed (PDF, images, zip) pass through untouched; so do bodies under 500 bytes.

BREACH: a compressed page's length can leak a secret on it (the CSRF token, personal data) to
someone who sees the encrypted traffic and makes the browser send many requests with chosen
text reflected next to the secret. Such requests come from the attacker's site, so a private
answer (`no-store`) is compressed only when the browser says the request came from our own pages
or from the person (`Sec-Fetch-Site: same-origin` or `none`); older browsers that send no
`Sec-Fetch-Site` still have SameSite=Lax cookies and a CSRF token that changes every second
(Flask-WTF signs it with a timestamp). Reasoning in docs/decisions.md «Static files and
compression».
"""

from flask import Flask, request
from flask_compress import Compress

SETTINGS = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,  # ~10 % smaller pages than 4 for a fraction of a millisecond
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_STREAMS": False,
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/javascript",
        "application/json",
        "application/manifest+json",
    ],
}
OWN_SITES = ("same-origin", "none")


def may_compress_private() -> bool:
    """True unless another site started this request (fetch metadata; absent = old browser)."""
    return request.headers.get("Sec-Fetch-Site", "none") in OWN_SITES


class Compression(Compress):
    """Flask-Compress that leaves private answers to other sites' requests uncompressed."""

    def after_request(self, response):
        if response.cache_control.no_store and not may_compress_private():
            response.vary.add("Accept-Encoding")
            return response
        return super().after_request(response)


compress = Compression()


def init_app(app: Flask) -> None:
    """Bind before any other `after_request`, so compression sees each answer's final body."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
