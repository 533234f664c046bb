"""Security headers on every response: CSP with a per-request nonce, nosniff, HSTS, caching."""

import secrets
from functools import cache

from flask import current_app, g, request

NO_STORE_EXEMPT_PREFIXES = ("/static/", "/sw.js", "/manifest.webmanifest", "/offline")


def csp_nonce() -> str:
    """The nonce for this response's inline <script>/<style> tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    """The policy of DESIGN §3; pages allow their own inline tags by nonce, static files none."""
    own = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return (
        "default-src 'self'; "
        f"script-src {own}; "
        f"style-src {own}; "
        "img-src 'self' data: blob:; "
        "connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


@cache
def baseline(https: bool) -> dict[str, str]:
    """The headers every answer carries, page or static file (built once; never mutated)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


def vary(response, name: str) -> None:
    """Add `name` to the response's Vary header. Werkzeug's `response.vary.add` parses the header
    into a set and writes it back on every call (~7 µs); three a page add up."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = name
    elif name.lower() not in (part.strip().lower() for part in current.split(",")):
        response.headers["Vary"] = f"{current}, {name}"


def set_security_headers(response):
    """Apply the baseline of DESIGN §3 to a response."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    response.headers.update(baseline(current_app.config["HTTPS"]))
    if not request.path.startswith(NO_STORE_EXEMPT_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response


def static_file_headers(https: bool):
    """WhiteNoise's `add_headers_function`: the same baseline on the files it serves before
    Flask sees the request (its own Cache-Control stays: never `no-store`)."""

    def add(headers, _path: str, _url: str) -> None:
        headers["Content-Security-Policy"] = content_security_policy(None)
        for name, value in baseline(https).items():
            headers[name] = value

    return add
