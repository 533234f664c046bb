"""The only reader of HX-* request headers and writer of HX-* response headers."""

from flask import Response, redirect

from webapp.extensions import htmx


def wants_partial() -> bool:
    """True when htmx asks for a fragment: neither a boosted navigation nor a history restore."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def redirect_to(location: str, code: int = 303) -> Response:
    """Redirect that also works for non-boosted htmx requests (HX-Redirect does a full load)."""
    if wants_partial():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=code)


def add_vary(response: Response) -> Response:
    """Every response may depend on HX-Request: tell caches so."""
    response.vary.add("HX-Request")
    return response
