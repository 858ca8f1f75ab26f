"""The widget page inside the host's iframe: the campaign, the live count and the sign-on form."""
from __future__ import annotations

import re
import time

from flask import abort, current_app, jsonify, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import hosts, i18n
from ..snippet import MODES, SCOPES, THEMES, hex_colour, usable_accent
from ..abuse import client_hash, looks_like_a_bot
from ..assets import static_asset
from ..caching import keep, public
from ..campaigns import Campaign
from ..extension import state
from ..forms import build_form, form_token
from ..sharing import page_address
from ..signons import sign_on
from ..store import Site
from ..store.listing import Filters
from . import blueprint
from .common import content_security_policy, current_language, render_page

SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ANSWERS = ("name", "organization", "org_type", "country", "goal", "actions", "timetable", "resources")


def public_site(site_key: str) -> tuple[Site, Campaign] | None:
    """A site whose widget and counts are public, and its campaign; None for an unknown key, a site that
    waits for approval or was disabled, and a site whose campaign is no longer configured."""
    pledge = state()
    site = pledge.store.get_site(site_key) if SITE_KEY.match(site_key) else None
    if site is None or not site.active or site.campaign not in pledge.campaigns:
        return None
    return site, pledge.campaign(site.campaign)


def find_site(site_key: str) -> tuple[Site, Campaign]:
    """:func:`public_site`, or the 404 page."""
    found = public_site(site_key)
    if found is None:
        abort(404)
    return found


def host_origin(site: Site) -> str | None:
    """The embedding page's origin, as the loader reports it, if it is one the site registered or
    our own (the front page shows the demo on whatever host and port the service runs).

    The widget posts its height only there: ``postMessage`` to an exact origin, never to ``*``.
    """
    origin = request.args.get("origin", "")
    return origin if origin in site.origins or origin == own_origin() else None


def own_origin() -> str:
    """This request's own origin: the parent of the widget on our own pages (the front page's demo, the
    snippet builder's preview), on whichever host they were asked for."""
    return request.host_url.rstrip("/")


def widget_theme(value: str | None) -> str:
    """The snippet's data-theme: light by default (a dark box on a light page looks broken), or dark,
    or auto (the visitor's preference)."""
    return value if value in THEMES else "light"


def widget_mode(value: str | None) -> str:
    """The snippet's data-mode: "form" (the default), "button" or "counter"; anything else is the form."""
    return value if value in MODES else "form"


def list_scope(value: str | None) -> str:
    """The snippet's data-scope, for the list mode: "site" (the default) or "campaign"."""
    return value if value in SCOPES else "site"


def min_count(value: str | None) -> int:
    """The snippet's data-min-count: the count stays hidden until the site has this many signatures."""
    return min(int(value), 10**9) if value and value.isascii() and value.isdigit() else 0


#: How many signatories the list mode shows.
LIST_LENGTH = 10


def latest_signatories(site: Site, campaign: Campaign, scope: str, lang: str) -> dict:
    """What the list mode shows: the newest entries of the public list (the site's, or the campaign's),
    and the address of the whole list, in the widget's language."""
    filters = Filters(campaign=campaign.slug, site_key=None if scope == "campaign" else site.key)
    entries, _more = state().store.list_entries(filters, current_app.config["PLEDGE_LIST_MODERATION"], None, LIST_LENGTH)
    return {"entries": entries, "list_url": url_for("pledge.signatories", campaign=campaign.slug, lang=lang),
            "scope": scope}


#: How long cached widget pages carry the same form token.
SHARED_TOKEN_SECONDS = 600

#: The query of the widget page (the loader's parameters) that every link and form of it keeps.
QUERY = ("lang", "hl", "origin", "theme", "mode", "min", "accent", "scope")


# Routes that carry a key or a token say merge_slashes=False: "/w//KEY" is a bad address (404), not a
# redirect to a guess.
@blueprint.route("/w/<site_key>", methods=["GET", "POST"], merge_slashes=False)
def widget(site_key: str) -> Response:
    if request.method != "POST":  # GET, and the HEAD Flask adds: a read, never a sign-on
        return _widget_page(site_key)
    site, campaign = find_site(site_key)
    pledge = state()
    lang = current_language(campaign)
    query = {k: v for k, v in request.args.items() if k in QUERY}
    switch = i18n.normalise(request.form.get("switch_lang"), campaign.available_languages)
    if switch:
        # The visitor changed language with the form half filled: show it again, in that language,
        # with their answers, and neither check nor store anything.
        lang = query["lang"] = switch
    # The form reads request.form only: Flask-WTF would also take a JSON body, which is not ours to parse.
    with i18n.speaking(lang):  # the form's texts (labels, the consent) in the page's language
        form = build_form(campaign, lang, site.key, pledge.tokens, request.form, site_name=site.name)
    status = 200
    if not switch:
        if form.validate():
            if not looks_like_a_bot(request.form, form.issued_at, current_app.config["PLEDGE_MIN_FILL_SECONDS"]):
                answers = {name: form[name].data for name in ANSWERS if name in form and form[name].data}
                ip_hash = client_hash(pledge.tokens.keys[0], request.remote_addr)
                # The separate, optional consent to be contacted by the host: its wording's version, or None.
                contact = form.contact_consent.data if "contact_consent" in form else False
                sign_on(site, campaign, lang, form.email.data, answers, ip_hash,
                        contact_consent=f"{campaign.consent_version}/{lang}" if contact else None,
                        page_url=page_address(request.form.get("page"), site))
            # Post, redirect, get: Back and Reload show "sent" again, never the form nor a second POST.
            # Bots and held sign-ons get the same answer as everyone.
            return redirect(url_for("pledge.widget_sent", site_key=site.key, **dict(query, lang=lang)), code=303)
        status = 400
    # In button mode a form sent back (errors, another language) stays open.
    return _page(site, campaign, lang, status, form=form, query=query, opened=True,
                 page=page_address(request.form.get("page"), site))


def widget_key(site_key: str, query: dict[str, str], accept_language: str, own: str = "") -> tuple:
    """The page cache's key of a widget page (also computed by :mod:`widget.fastpath`). The loader nearly
    always says the language (``?hl=``, the host page's): then the visitor's Accept-Language changes
    nothing, and one copy serves everyone, here and in every proxy. ``own``: this service's origin as the
    request sees it (:func:`own_origin`), on which the page's parent origin depends."""
    by_query = i18n.pick(query.get("lang"), query.get("hl"))
    # One key per page that differs: a value the page ignores (an unknown mode, "min=007" for "min=7")
    # makes no copy of its own, whatever order the query comes in (the links in a page follow the query
    # of the request that made it).
    normal = {
        "lang": i18n.normalise(query.get("lang")),
        "hl": i18n.normalise(query.get("hl")),
        "mode": widget_mode(query.get("mode")),
        "theme": widget_theme(query.get("theme")),
        "min": min_count(query.get("min")),
        "accent": hex_colour(query.get("accent")),
        # Only the list mode reads the scope: any other mode makes no copy of its own for it.
        "scope": list_scope(query.get("scope")) if widget_mode(query.get("mode")) == "list" else None,
        "origin": query.get("origin", "")[:300] or None,
        # Our own front page's origin is the parent only for a request on that host (see host_origin).
        "own": bool(query.get("origin")) and query.get("origin") == own,
    }
    defaults = {"mode": widget_mode(None), "theme": widget_theme(None), "min": min_count(None), "scope": list_scope(None)}
    return ("widget", site_key, "" if by_query else accept_language,
            tuple(sorted((name, value) for name, value in normal.items() if value and value != defaults.get(name))))


def _widget_page(site_key: str) -> Response:
    """The widget page of a GET: public, rendered once per site, language and query in each process and
    kept ``PLEDGE_CACHE_SECONDS`` (the count it shows may be that old; the script refreshes it),
    compressed once, and a 304 for a client that holds it."""
    pledge = state()
    query = {k: v for k, v in request.args.items() if k in QUERY}
    key = widget_key(site_key, query, request.headers.get("Accept-Language", ""), own_origin())
    page = pledge.pages.get(key)
    if page is None:
        site, campaign = find_site(site_key)
        lang = current_language(campaign)
        with i18n.speaking(lang):
            form = build_form(campaign, lang, site.key, pledge.tokens, None, site_name=site.name)
        # This page's form token is shared by everyone served this copy: its script fetches a visitor's own.
        # The same token everywhere for a while, so that the page is the same bytes (the same ETag, a 304)
        # until its count changes.
        form.form_token.current_token = shared_form_token(site.key, lang)
        token_url = url_for("pledge.widget_token", site_key=site.key, lang=lang)
        response = public(_page(site, campaign, lang, 200, form=form, query=query, opened=False, token_url=token_url))
        chosen = i18n.pick(query.get("lang"), query.get("hl"), allowed=campaign.available_languages)
        page = keep(response, current_app.config["PLEDGE_CACHE_SECONDS"], vary="" if chosen else "Accept-Language",
                    extra=site)
        # A language the campaign lacks: Accept-Language decided after all, so this copy is not everyone's.
        if chosen or not i18n.pick(query.get("lang"), query.get("hl")):
            pledge.pages.put(key, page)
    hosts.widget_seen(page.extra, request.args.get("origin"))  # "Where is my widget?" on the dashboard
    return page.response()


def shared_form_token(site_key: str, lang: str) -> str:
    """The form token of the cached widget pages of a site in a language: dated from the start of the
    current ``SHARED_TOKEN_SECONDS`` and signed at that moment, so that every worker and every node makes
    the same one (the same page bytes, the same ETag) until the next period."""
    period = int(time.time()) // SHARED_TOKEN_SECONDS * SHARED_TOKEN_SECONDS
    return form_token(state().tokens, site_key, lang, shared_at=period)


@blueprint.get("/w/<site_key>/token", merge_slashes=False)
def widget_token(site_key: str) -> Response:
    """A fresh form token, for a widget page that came from a cache: its script asks for one when the
    visitor starts filling the form in, so the minimum fill time counts from that moment."""
    site, campaign = find_site(site_key)
    lang = i18n.normalise(request.args.get("lang"), campaign.available_languages) or campaign.default_lang
    response = jsonify({"form_token": form_token(state().tokens, site.key, lang)})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/w/<site_key>/sent", merge_slashes=False)
def widget_sent(site_key: str) -> Response:
    """What a visitor sees after sending the form: check your inbox."""
    site, campaign = find_site(site_key)
    query = {k: v for k, v in request.args.items() if k in QUERY}
    return _page(site, campaign, current_language(campaign), 200, form=None, query=query, sent=True)


@blueprint.get("/w/accent/<colour>.css")
def widget_accent(colour: str) -> Response:
    """A snippet's accent colour as a stylesheet (the widget's CSP allows no inline style): light theme
    only, the dark theme keeps its own palette. 404 for a colour too pale to read white text on."""
    accent = usable_accent(colour) if hex_colour(colour) == f"#{colour.lower()}" else None
    if accent is None:
        abort(404)
    css = (f':root[data-theme="light"] {{ --accent: {accent}; }}\n'
           f'@media (prefers-color-scheme: light) {{ :root[data-theme="auto"] {{ --accent: {accent}; }} }}\n')
    response = current_app.response_class(css, mimetype="text/css")
    # One colour, one address, the same answer for ever.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _page(site: Site, campaign: Campaign, lang: str, status: int, **context) -> Response:
    counts = state().store.counts(campaign.slug, site.key)
    if widget_mode(request.args.get("mode")) == "list" and not context.get("sent"):
        context.update(latest_signatories(site, campaign, list_scope(request.args.get("scope")), lang))
    body, status = render_page(
        "widget.html",
        lang,
        status,
        site=site,
        campaign=campaign,
        counts=counts,
        host_origin=host_origin(site),
        theme=widget_theme(request.args.get("theme")),
        mode=widget_mode(request.args.get("mode")),
        accent=usable_accent(request.args.get("accent")),
        # "0 signatures" on a new site discourages: the snippet may hide the count until there are more.
        show_count=counts.site >= min_count(request.args.get("min")),
        languages=campaign.available_languages,
        privacy_url=current_app.config["PLEDGE_PRIVACY_URL"],
        inline_css=Markup(static_asset("widget.css").raw.decode()),
        **context,
    )
    response = current_app.make_response((body, status))
    # Only the site's registered origins (and our own front page) may frame its widget; browsers enforce it.
    # Its stylesheet is inlined (one request fewer for every visitor), allowed by its hash.
    response.headers["Content-Security-Policy"] = content_security_policy(
        " ".join(["'self'", *site.origins]), style_hash=static_asset("widget.css").sha256)
    # A form sent back with errors, or "sent": one visitor's page, never kept (GETs are made public above).
    response.headers["Cache-Control"] = "no-store"
    # A part of the host's page, not a page of its own in search results.
    response.headers["X-Robots-Tag"] = "noindex"
    return response
