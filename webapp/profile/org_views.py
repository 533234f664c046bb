"""Known organisations for «Место работы»: suggestions as the worker types the organisation's
name, and the form filled with the organisation they chose."""

from flask import abort, request, url_for
from flask_login import login_required

from webapp import htmx
from webapp.db import get_db
from webapp.profile.forms.records import OrganisationSearchForm
from webapp.profile.kinds import KINDS
from webapp.profile.store import employment
from webapp.profile.views import bp

SUGGESTIONS = 10
FILLED = ("org_name", "org_inn", "org_ogrn", "org_oktmo", "org_address")


@bp.get("/organisations")
@login_required
def organisations():
    """Known organisations whose name contains the typed text: the list under the form's
    «Организация» (htmx sends that field, `org_name`) or a search page that needs no script."""
    form = OrganisationSearchForm(request.args)
    typed = (request.args.get("q") or request.args.get("org_name") or "").strip()[:300]
    found = employment.search_organisations(get_db(), typed, limit=SUGGESTIONS)
    return htmx.render(
        "profile/organisations.html",
        "profile/_organisations.html",
        form=form,
        found=found,
        searched=len(employment.organisation_key(typed)) >= employment.SEARCH_MIN,
    )


@bp.get("/organisations/<inn>")
@login_required
def organisation(inn):
    """«Добавить место работы» filled with a known organisation: where a chosen suggestion
    leads without a script; with htmx the form takes only the organisation's fields from it."""
    known = employment.known_organisation(get_db(), inn)
    if known is None:
        abort(404)
    kind = KINDS["employment"]
    form = kind.form(data={column: known[column] for column in FILLED})
    return htmx.form_page(
        "profile/record_form.html",
        form=form,
        kind=kind,
        record=None,
        action=url_for("profile.new", kind=kind.slug),
    )
