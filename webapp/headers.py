"""Security headers on every response: CSP with a per-request nonce, nosniff, HSTS, caching."""

import secrets

from flask import current_app, g, request

NO_STORE_EXEMPT_PREFIXES = ("/static/", "/sw.js", "/manifest.webmanifest", "/offline")


def csp_nonce() -> str:
    """The nonce for this response's inline <script>/<style> tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def set_security_headers(response):
    """Apply the baseline of DESIGN §3 to a response."""
    nonce = csp_nonce()
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data: blob:; "
        "connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
    if current_app.config["HTTPS"]:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if not request.path.startswith(NO_STORE_EXEMPT_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response
