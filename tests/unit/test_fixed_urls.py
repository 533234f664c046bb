"""Templates' remembering `url_for` (template_helpers.FixedUrls) gives what Flask's gives."""

import pytest
from flask import url_for

from webapp.ids import IdConverter

IDS = (0, 1, 7, 10, 123456, 7_300_000_000_000_001, 2**63 - 1)
TEXTS = ("education", "a b/с%", "x?y#z&w=1", "%d", "%(i0)d")


def arguments(rule, trial: int) -> dict:
    """Values for every argument of a rule, varied by trial."""
    values = {}
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if isinstance(converter, IdConverter):
            values[name] = IDS[(trial + len(values)) % len(IDS)]
        elif hasattr(converter, "items"):  # any(...)
            options = sorted(converter.items)
            values[name] = options[trial % len(options)]
        else:
            values[name] = TEXTS[trial % len(TEXTS)]
    return values


@pytest.mark.parametrize("query", [{}, {"page": 3}, {"page": 3, "q": "ф 1&2"}, {"before": 0}])
def test_every_route_is_built_as_flask_builds_it(app, query):
    fixed = app.extensions["fixed_urls"]
    checked = 0
    with app.test_request_context("/"):
        for rule in app.url_map.iter_rules():
            for trial in range(len(IDS)):
                values = arguments(rule, trial) | query
                expected = url_for(rule.endpoint, **values)
                assert fixed(rule.endpoint, **values) == expected, (rule.rule, values)
                assert fixed(rule.endpoint, **values) == expected, (rule.rule, values)  # cached
                checked += 1
    assert checked > 500


def test_what_is_not_remembered_still_works(app):
    fixed = app.extensions["fixed_urls"]
    with app.test_request_context("/", base_url="http://localhost/app"):
        assert fixed("documents.show", document_id=5, _anchor="x") == "/app/documents/5#x"
        assert fixed("documents.show", document_id=5, _external=True) == (
            "http://localhost/app/documents/5"
        )
        assert fixed("documents.show", document_id=True) == url_for(
            "documents.show", document_id=True
        )
        assert fixed("main.index") == "/app/"
    with app.test_request_context("/"):
        assert fixed("main.index") == "/"  # another mount point is another address
        assert fixed("documents.show", document_id=5) == "/documents/5"


def test_the_memory_is_bounded(app):
    from webapp.template_helpers import FIXED_URLS_MAX

    fixed = app.extensions["fixed_urls"]
    with app.test_request_context("/"):
        for n in range(FIXED_URLS_MAX + 50):
            assert fixed("static", filename=f"x{n}.css").startswith("/static/x")
            assert fixed("auth.login", next=f"/p{n}") == url_for("auth.login", next=f"/p{n}")
    assert len(fixed.known) == FIXED_URLS_MAX
