"""Counter badges (``/badge/<site_key>.svg``, ``/badge/campaign/<campaign>.svg``): the count as an image,
in the requested language, cacheable exactly like the count API."""
from __future__ import annotations

from flask import abort, current_app, request
from werkzeug.wrappers import Response

from .. import badge, i18n
from ..caching import keep, public
from ..campaigns import Campaign
from ..appstate import state
from .blueprint import blueprint
from .common import signatures
from .widget import public_site

#: The SVG loads nothing and runs nothing (its colours and fonts are presentation attributes); pages show
#: it as an image (``<img>``), never in a frame.
BADGE_CSP = "default-src 'none'; frame-ancestors 'none'"


def badge_language() -> str:
    """``?lang=``, else Accept-Language, among every language we ship (the campaign may narrow it)."""
    return i18n.pick(request.args.get("lang"), allowed=i18n.LANGUAGES) or (
        i18n.browser_language(i18n.LANGUAGES) or "")


def _badge(key: tuple, find) -> Response:
    pledge = state()
    lang = badge_language()
    by_query = bool(i18n.pick(request.args.get("lang")))
    # by_query in the key: a badge chosen by ?lang= says no Vary: Accept-Language; the same language
    # negotiated from the header must keep its Vary, or a proxy would serve it to every language.
    page_key = ("badge", *key, lang, by_query)
    page = pledge.pages.get(page_key)
    if page is None:
        found = find()
        if found is None:
            abort(404)
        campaign, count = found
        chosen = lang if lang in campaign.available_languages else campaign.default_lang
        with i18n.speaking(chosen):
            label = badge.short_label(campaign.text("title"))
            svg = badge.render(label, signatures(count), chosen, i18n.direction(chosen))
        response = current_app.response_class(svg, mimetype="image/svg+xml")
        response.headers.update({
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Content-Security-Policy": BADGE_CSP,
            "Content-Language": chosen,
        })
        page = keep(public(response), current_app.config["PLEDGE_CACHE_SECONDS"],
                    vary="" if by_query else "Accept-Language")
        pledge.pages.put(page_key, page)
    return page.response()


@blueprint.get("/badge/<site_key>.svg", merge_slashes=False)
def site_badge(site_key: str) -> Response:
    def find() -> tuple[Campaign, int] | None:
        found = public_site(site_key)
        if found is None:
            return None
        site, campaign = found
        return campaign, state().store.counts(campaign.slug, site.key).site
    return _badge(("site", site_key), find)


@blueprint.get("/badge/campaign/<campaign>.svg", merge_slashes=False)
def campaign_badge(campaign: str) -> Response:
    def find() -> tuple[Campaign, int] | None:
        pledge = state()
        if campaign not in pledge.campaigns:
            return None
        return pledge.campaign(campaign), pledge.store.counts(campaign, "").total
    return _badge(("campaign", campaign), find)
