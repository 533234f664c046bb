"""Addresses that moved, kept working for bookmarks and old links: each answers 301 to its new
place. Endpoints are named `redirects.<old path>` so the access matrix knows them."""

from flask import redirect, url_for

MOVED = {
    # old path: (endpoint, its arguments)
    "/profile/sessions": ("account.sessions_index", {}),
    "/profile/history": ("account.history", {}),
    "/security/phone": ("account.change", {"channel": "phone"}),
    "/security/phone/confirm": ("account.change_confirm", {"channel": "phone"}),
    "/security/email": ("account.change", {"channel": "email"}),
    "/security/email/confirm": ("account.change_confirm", {"channel": "email"}),
    "/security/delete": ("account.delete", {}),
}


def _to(endpoint: str, args: dict):
    def view():
        return redirect(url_for(endpoint, **args), code=301)

    return view


def init_app(app) -> None:
    """Register one GET rule per moved address."""
    for old, (endpoint, args) in MOVED.items():
        app.add_url_rule(old, endpoint=f"redirects.{old}", view_func=_to(endpoint, args))
