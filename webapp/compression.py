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

Levels: pages anybody can load first (/login and the other public pages, budgeted at 30 KB
with their files) get brotli 5; a signed-in person's pages get brotli 1. In place, brotli 5
cost 0.3–0.7 ms a page (a fifth of the page's whole cost) against 0.02–0.05 ms for level 1,
which sends 17–24 % more (2.5 → 3.1 KB for the dashboard): still far inside the first
round trip (TCP's initial window is ~14 KB), so no slower on any network (bench/README.md,
issue 13). Both with a 64 KB window (the default 4 MB is allocated afresh for every page).
"""

import gzip
from functools import lru_cache

import brotli
from flask import Flask, current_app, request
from flask_compress import Compress
from flask_login import current_user
from werkzeug.http import parse_accept_header

from webapp.headers import vary

SETTINGS = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,  # public pages: ~10 % smaller than 4 for a fraction of a ms
    "COMPRESS_BR_LEVEL_SIGNED_IN": 1,
    "COMPRESS_BR_WINDOW": 16,
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
    """Flask-Compress that leaves private answers to other sites' requests uncompressed,
    compresses a signed-in person's pages at a fast level, and skips validators on `no-store`
    pages; cacheable answers (the manifest, /offline) go through Flask-Compress itself."""

    def after_request(self, response):
        # One pass over the answer's few headers: Werkzeug's `in` and `get` raise and catch an
        # HTTP exception for each name that is missing, `cache_control` parses into an object.
        fields = {name.lower(): value for name, value in response.headers}
        private = "no-store" in fields.get("cache-control", "")
        if private and not may_compress_private():
            vary(response, "Accept-Encoding")
            return response
        if private:
            signed_in = current_user.is_authenticated
            return self.private_page(
                response,
                "COMPRESS_BR_LEVEL_SIGNED_IN" if signed_in else "COMPRESS_BR_LEVEL",
                fields,
            )
        return super().after_request(response)

    def private_page(self, response, level: str, fields: dict[str, str]):
        """Flask-Compress's own steps for a `no-store` page in one piece, brotli at the level
        that setting names; `fields` are the answer's headers by lower-case name."""
        config = current_app.config
        vary(response, "Accept-Encoding")
        algorithm = best_encoding(
            request.headers.get("Accept-Encoding", ""), tuple(config["COMPRESS_ALGORITHM"])
        )
        mimetype = fields.get("content-type", "").partition(";")[0].strip().lower()
        if (
            algorithm is None
            or mimetype not in self.compress_mimetypes_set
            or not 200 <= response.status_code < 300
            or response.is_streamed
            or "content-encoding" in fields
        ):
            return response
        data = response.get_data()
        if len(data) < config["COMPRESS_MIN_SIZE"]:
            return response
        if algorithm == "br":
            packed = brotli.compress(
                data,
                mode=config["COMPRESS_BR_MODE"],
                quality=config[level],
                lgwin=config["COMPRESS_BR_WINDOW"],
            )
        else:
            packed = gzip.compress(data, config["COMPRESS_LEVEL"])
        response.direct_passthrough = False
        response.headers["Content-Encoding"] = algorithm
        response.set_data(packed)  # sets Content-Length too
        if "etag" in fields or "last-modified" in fields:
            etag, is_weak = response.get_etag()
            if etag and not is_weak:
                response.set_etag(f"{etag}:{algorithm}", weak=False)
            if request.method in ("GET", "HEAD"):
                response.make_conditional(request)
        return response


@lru_cache(maxsize=64)
def best_encoding(accept_encoding: str, offered: tuple[str, ...]) -> str | None:
    """The browser's preferred encoding among ours (a browser sends the same header each time)."""
    return parse_accept_header(accept_encoding).best_match(offered)


compress = Compression()


def init_app(app: Flask) -> None:
    """Bind before any other `after_request`, so compression sees each answer's final body."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)
