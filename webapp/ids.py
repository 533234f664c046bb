"""Ids in addresses and query strings: SQLite integers end at 2^63 − 1, so a larger number
names nothing. One mechanism instead of per-route checks: `<int:…>` in routes refuses such
numbers (404), and an id that slips through a query string (`?before=`, `?version=`, a form
value) and reaches SQLite as an OverflowError also answers 404."""

from werkzeug.routing import IntegerConverter

from webapp.errors import render_error

LARGEST = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` that stops where SQLite does."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=LARGEST, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    """Replace the int converter and answer an overflowing id with 404."""
    app.url_map.converters["int"] = IdConverter

    @app.errorhandler(OverflowError)
    def too_large(_error):
        return render_error(404)
