"""The public list of signatories: the page ``/c/<campaign>/signatories``, the same as JSON under
``/api/v1``, and the signatory's own link to leave the list (their signature still counts).

Only organisation, type, country and date are published, under a public id derived from the sign-on's
secret one. Both reads are public and cacheable like every public read (see :mod:`widget.caching`).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, jsonify, request, url_for
from werkzeug.wrappers import Response

from .. import countries, i18n, listing
from ..caching import keep, public
from ..campaigns import Campaign
from ..appstate import state
from ..store.listing import CURSOR, Cursor, Entry, Filters, clean
from ..urls import links_base, public_url
from .blueprint import blueprint
from .json_errors import json_error
from .common import current_language, private_page, render_page
from .confirm import signon_from_token

#: Entries on one page of the list (and of the JSON).
PAGE_SIZE = 50
#: The shapes of the JSON list's parameters, as docs/openapi.yaml states them; anything else is a 400.
API_SHAPES = (
    ("country", re.compile(r"[A-Za-z]{2}"), "country must be an ISO 3166-1 alpha-2 code, such as FR"),
    ("org_type", re.compile(r"[A-Za-z0-9_-]{1,64}"), "org_type must be an organisation type code, such as company"),
    ("after", CURSOR, "after must be the cursor of a `next` URL"),
)


@dataclass
class ListQuery:
    """A request's filters and cursor, read leniently: what is not understood is named in ``wrong``."""

    filters: Filters
    after: Cursor | None
    wrong: list[str] = field(default_factory=list)  # "country", "org_type", "after"

    def params(self) -> dict[str, str]:
        """The query string of these filters (without the cursor), for links to other pages."""
        values = {"country": self.filters.country, "org_type": self.filters.org_type, "q": self.filters.q}
        return {name: value for name, value in values.items() if value}

    def key(self) -> tuple:
        """What a page of the list depends on: the filters as read, the cursor, and what was not understood
        (an unknown country matches nothing: its empty page is not the unfiltered one)."""
        return (*self.params().items(), str(self.after or ""), *self.wrong)


def read_query(campaign: Campaign, args: Any) -> ListQuery:
    """The filters of ``args`` (``country``, ``org_type``, ``q``, ``after``) for a campaign's list."""
    wrong = []
    country = (args.get("country") or "").strip().upper() or None
    if country and not countries.is_country(country):
        wrong.append("country")
        country = None
    org_type = (args.get("org_type") or "").strip() or None
    if org_type and org_type not in campaign.org_types:
        wrong.append("org_type")
        org_type = None
    q = clean(args.get("q") or "") or None
    after = Cursor.parse(args.get("after"))
    if args.get("after") and after is None:
        wrong.append("after")
    return ListQuery(Filters(campaign=campaign.slug, country=country, org_type=org_type, q=q), after, wrong)


def moderation() -> str:
    return current_app.config["PLEDGE_LIST_MODERATION"]


def signed_on(entry: Entry) -> str:
    """The UTC day an entry was confirmed, ``2026-11-25``."""
    return time.strftime("%Y-%m-%d", time.gmtime(entry.confirmed_at))


def known_campaign(slug: str) -> Campaign | None:
    pledge = state()
    return pledge.campaign(slug) if slug in pledge.campaigns else None


def _kept(key: tuple, render: Any, vary: str = "") -> Response:
    pledge = state()
    page = pledge.pages.get(key)
    if page is None:
        page = keep(public(render()), current_app.config["PLEDGE_CACHE_SECONDS"], vary=vary)
        pledge.pages.put(key, page)
    return page.response()


@blueprint.get("/c/<campaign>/signatories", merge_slashes=False)
def signatories(campaign: str) -> Response:
    found = known_campaign(campaign)
    if found is None:
        abort(404)
    lang = current_language(found)
    by_query = i18n.pick(request.args.get("lang"), request.args.get("hl"), allowed=found.available_languages)
    query = read_query(found, request.args)

    def render() -> Response:
        store = state().store
        entries, after = store.list_entries(query.filters, moderation(), query.after, PAGE_SIZE)
        params = dict(query.params(), **({"lang": by_query} if by_query else {}))
        body, status = render_page(
            "signatories.html", lang, campaign=found, entries=entries, query=query, params=params,
            # The organisations that told how their commitment goes (see /c/<campaign>/progress).
            reported=store.reported_public_ids(found.slug) if found.has_checkins else set(),
            # Counted on the first page only: a crawler walking every page must not count the list each time.
            total=None if query.after else store.count_entries(query.filters, moderation()),
            countries=countries.choices(lang), signed_on=signed_on,
            next_url=url_for("pledge.signatories", campaign=found.slug, after=str(after), **params) if after else None,
            first_url=url_for("pledge.signatories", campaign=found.slug, **params) if query.after else None,
        )
        return current_app.make_response((body, status))

    # by_query in the key: the page chosen by ?lang= says no Vary: Accept-Language and its links carry
    # ?lang=; the same language negotiated from the header must be a page of its own.
    key = ("signatories", found.slug, lang, by_query or "", *query.key())
    return _kept(key, render, vary="" if by_query else "Accept-Language")


@blueprint.get("/api/v1/campaigns/<campaign>/signatories", merge_slashes=False)
def api_signatories(campaign: str) -> Response:
    found = known_campaign(campaign)
    if found is None:
        return json_error(404, f"No campaign {campaign!r}.")
    wrong = [message for name, shape, message in API_SHAPES
             if name in request.args and not shape.fullmatch(request.args[name])]
    if wrong:
        return json_error(400, "; ".join(wrong) + ".")
    query = read_query(found, request.args)

    def render() -> Response:
        # A well-formed country or type that is not one of the campaign's matches nothing.
        entries, after = ([], None) if query.wrong else state().store.list_entries(
            query.filters, moderation(), query.after, PAGE_SIZE)
        items = [{"id": e.id, "organization": e.organization, "org_type": e.org_type, "country": e.country,
                  "signed_on": signed_on(e), "verified_domain": e.verified_domain} for e in entries]
        following = (public_url("pledge.api_signatories", campaign=found.slug, after=str(after), **query.params())
                     if after else None)
        response = jsonify({"items": items, "next": following})
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    # The base of its absolute `next` links too: one host's copy is never another's.
    return _kept(("api-signatories", links_base(), found.slug, *query.key()), render)


# -- leaving the list, from the link of the confirmation mail ----------------------------------


@blueprint.get("/leave-list/<token>", merge_slashes=False)
def leave_list(token: str) -> Response:
    signon, error, _expired = signon_from_token("leave-list", token)
    if error:
        return error
    campaign = state().campaign(signon.campaign)
    return private_page("leave_list.html", signon.lang, token=token, campaign=campaign, signon=signon)


@blueprint.post("/leave-list/<token>", merge_slashes=False)
def leave_list_post(token: str) -> Response:
    signon, error, _expired = signon_from_token("leave-list", token)
    if error:
        return error
    pledge = state()
    try:
        listing.leave(pledge.store, signon.id)
        left = True
    except listing.ListingError:  # not confirmed, or never meant for the list: nothing to take off
        left = False
    pledge.pages.clear()  # this process's copies of the list drop the entry at once
    return private_page("leave_list_done.html", signon.lang, campaign=pledge.campaign(signon.campaign), left=left)
