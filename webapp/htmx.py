"""Page or fragment, redirects and flashes for htmx: the only reader of HX-* request headers and
writer of HX-* response headers."""

from flask import Response, get_flashed_messages, redirect, render_template, request, session

from webapp.extensions import htmx
from webapp.headers import vary


def wants_partial() -> bool:
    """True when htmx asks for a fragment: neither a boosted navigation nor a history restore."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str, /, **context) -> str:
    """The whole page, or only its fragment when htmx asks for one (both from one markup)."""
    return render_template(partial if wants_partial() else page, **context)


def form_page(template: str, status: int | None = None, /, **context):
    """A page with a form: 200 when first shown, 422 when a POST was refused."""
    if status is None:
        status = 422 if request.method == "POST" else 200
    return render_template(template, **context), status


def redirect_to(location: str, code: int = 303) -> Response:
    """Redirect that also works for non-boosted htmx requests (HX-Redirect does a full load)."""
    if wants_partial():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=code)


def add_vary(response: Response) -> Response:
    """Every response may depend on HX-Request: tell caches so."""
    vary(response, "HX-Request")
    return response


def flashes_out_of_band(response: Response) -> Response:
    """A fragment answer carries pending flash messages out-of-band into #flashes."""
    if (
        wants_partial()
        and response.mimetype == "text/html"
        and response.status_code != 204
        and not response.direct_passthrough
        and session.get("_flashes")
    ):
        messages = get_flashed_messages(with_categories=True)
        block = render_template("_flashes.html", oob=True, oob_flashes=messages)
        response.set_data(response.get_data() + block.encode())
    return response
