"""The widget page inside the host's iframe: the campaign, the live count and the sign-on form."""
from __future__ import annotations

import dataclasses
import math
import re
import time
from typing import Mapping
from urllib.parse import urlencode

from flask import abort, current_app, jsonify, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

from .. import hosts, i18n, metrics
from ..snippet import MODES, SCOPES, THEMES, hex_colour, oembed_address, usable_accent
from ..abuse import client_hash, looks_like_a_bot
from ..assets import static_asset
from ..caching import keep, public
from ..campaigns import OPTIONAL_CONSENTS, Campaign
from ..appstate import state
from ..forms import build_form, form_token
from ..origins import ANY_ORIGIN, allows_any, frame_sources, normalise_origin
from ..sharing import page_address
from ..signons import sign_on
from ..utm import UTM_FIELDS, utm_values
from ..store import Counts, Site
from ..store.listing import Filters
from ..urls import public_base_url
from .blueprint import blueprint
from ..whole_numbers import whole_number
from . import widget_shell
from .common import content_security_policy, current_language, render_page

SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ANSWERS = ("name", "organization", "website", "org_type", "country", "goal", "actions", "timetable", "resources")


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


def host_origin(site: Site, origin: str | None) -> str | None:
    """The embedding page's origin, as the loader reports it, if it is one the site registered or
    our own (the front page shows the demo on whatever host and port the service runs).

    The widget posts its height only there: ``postMessage`` to an exact origin, never to ``*``. A site whose
    origins have the line ``*`` may be framed anywhere: then any origin the loader reports, if well formed.
    """
    if not origin or origin == ANY_ORIGIN:  # a target of "*" would tell every page: never
        return None
    if origin in site.origins or origin == own_origin(request.environ):
        return origin
    return origin if allows_any(site.origins) and _is_origin(origin) else None


def _is_origin(value: str) -> bool:
    """Whether ``value`` is an origin exactly as a browser writes it (``location.origin``)."""
    try:
        return normalise_origin(value) == value
    except ValueError:
        return False


def own_origin(environ: dict) -> str:
    """The service's origin as this request reached it (scheme and host: the front page's demo is framed
    there). One function for the view and :mod:`widget.fastpath`, so that both key a page alike."""
    return f"{environ['wsgi.url_scheme']}://{get_host(environ)}"


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


#: The longest ``origin`` a widget page takes (scheme, host and port: far shorter); a longer one is none.
MAX_ORIGIN = 300


def min_count(value: str | None) -> int:
    """The snippet's data-min-count: the count stays hidden until the site has this many signatures (any
    number above a billion is a billion; anything but a whole number is no minimum)."""
    return whole_number(value, high=10**9, clamp=True) or 0


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
#: What of it a widget's own address carries (the snippet's options): ``hl`` and ``origin`` are the loader's.
ADDRESS_QUERY = ("mode", "lang", "theme", "min", "accent", "scope")


def widget_address(site_key: str, query: Mapping[str, str]) -> str:
    """The widget's public address with the snippet's options of ``query`` (as :func:`widget_query` gives
    it), on the service's public address: what oEmbed consumers are given and asked about."""
    options = {name: query[name] for name in ADDRESS_QUERY if name in query}
    return f"{public_base_url()}/w/{site_key}" + (f"?{urlencode(options)}" if options else "")


# Routes that carry a key or a token say merge_slashes=False: "/w//KEY" is a bad address (404), not a
# redirect to a guess.
@blueprint.route("/w/<site_key>", methods=["GET", "POST"], merge_slashes=False)
def widget(site_key: str) -> Response:
    if request.method != "POST":  # GET, and the HEAD Flask adds: a read, never a sign-on
        return _widget_page(site_key)
    site, campaign = find_site(site_key)
    pledge = state()
    lang = current_language(campaign)
    query = widget_query(request.args)
    # Whether signing is open, read from the database now (not this worker's copy, which may be a second
    # old): after a pause or a close, no worker accepts a sign-on. Nothing is checked, stored nor mailed.
    campaign = pledge.campaigns.now(campaign.slug)
    if campaign.status() != "open":
        metrics.signon(campaign.slug, "refused", campaign.status())  # upcoming, paused, closed
        return _page(site, campaign, lang, 410, form=None, query=query)
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
            if looks_like_a_bot(request.form, form.issued_at, current_app.config["PLEDGE_MIN_FILL_SECONDS"]):
                metrics.signon(campaign.slug, "refused", "bot")
            else:
                answers = {name: form[name].data for name in ANSWERS if name in form and form[name].data}
                ip_hash = client_hash(pledge.tokens.keys[0], request.remote_addr)
                # The separate, optional consent to be contacted by the host: its wording's version, or None.
                # The same for the boxes that let us ask about the commitment later, and send news.
                consents = {name: f"{campaign.consent_version}/{lang}" if name in form and form[name].data else None
                            for name in OPTIONAL_CONSENTS}
                done = sign_on(site, campaign, lang, form.email.data, answers, ip_hash,
                               page_url=page_address(request.form.get("page"), site),
                               utm=utm_values(request.form), **consents)
                if done == "closed":  # paused or closed while the form was being checked
                    return _page(site, pledge.campaigns.now(campaign.slug), lang, 410, form=None, query=query)
            # Post, redirect, get: Back and Reload show "sent" again, never the form nor a second POST.
            # Bots and held sign-ons get the same answer as everyone.
            return embeddable(redirect(url_for("pledge.widget_sent", site_key=site.key, **dict(query, lang=lang)), code=303))
        status = 400
        metrics.signon(campaign.slug, "refused", next(iter(form.errors), "invalid"))
    # In button mode a form sent back (errors, another language) stays open.
    return _page(site, campaign, lang, status, form=form, query=query, opened=True,
                 page=page_address(request.form.get("page"), site), utm=utm_values(request.form))


#: What a widget address means without each of these parameters (then left out of its query).
QUERY_DEFAULTS = {"mode": widget_mode(None), "theme": widget_theme(None), "min": str(min_count(None)),
                  "scope": list_scope(None)}


def widget_query(args: Mapping[str, str]) -> dict[str, str]:
    """The loader's parameters of a widget address as the page reads them, each in one spelling, those
    left at their default or not understood left out: a value the page ignores (an unknown mode,
    "min=007" for "min=7") changes nothing in it, its links included (they carry this query)."""
    mode = widget_mode(args.get("mode"))
    origin = args.get("origin", "")
    normal = {  # in the snippet's order, whatever order the request's query came in
        "mode": mode,
        "lang": i18n.normalise(args.get("lang")),
        "hl": i18n.normalise(args.get("hl")),
        "theme": widget_theme(args.get("theme")),
        "min": str(min_count(args.get("min"))),
        "accent": hex_colour(args.get("accent")),
        # Only the list mode reads the scope: any other mode makes no copy of its own for it.
        "scope": list_scope(args.get("scope")) if mode == "list" else None,
        "origin": origin if len(origin) <= MAX_ORIGIN else None,
    }
    return {name: value for name, value in normal.items() if value and value != QUERY_DEFAULTS.get(name)}


def widget_key(site_key: str, query: Mapping[str, str], accept_language: str, own: str = "",
               links_on_host: bool = False) -> tuple:
    """The page cache's key of a widget page (also computed by :mod:`widget.fastpath`): exactly what the
    page depends on. The loader nearly always says the language (``?hl=``, the host page's): then the
    visitor's Accept-Language changes nothing, and one copy serves everyone, here and in every proxy.
    ``own`` is the service's origin as the request reached it (:func:`own_origin`): an ``origin`` equal
    to it is one the page talks to. ``links_on_host``: without ``PLEDGE_PUBLIC_URL`` the page's absolute
    links (its oEmbed discovery link) are built on that origin, so each origin keeps its own copy."""
    normal = widget_query(query)
    by_query = normal.get("lang") or normal.get("hl")  # as i18n.pick: both are normalised already
    ours = bool(own) and normal.get("origin") == own
    return ("widget", site_key, "" if by_query else accept_language, tuple(normal.items()),
            own if links_on_host else ours)


def _widget_page(site_key: str) -> Response:
    """The widget page of a GET: public, rendered once per site, language and query in each process and
    kept ``PLEDGE_CACHE_SECONDS`` (the count it shows may be that old; the script refreshes it),
    compressed once, and a 304 for a client that holds it."""
    pledge = state()
    query = widget_query(request.args)
    key = widget_key(site_key, query, request.headers.get("Accept-Language", ""), own_origin(request.environ),
                     links_on_host=not current_app.config.get("PLEDGE_PUBLIC_URL"))
    page = pledge.pages.get(key)
    if page is None:
        site, campaign = find_site(site_key)
        lang = current_language(campaign)
        make_body = shell_body if widget_mode(query.get("mode")) in SHELL_MODES else full_body
        seconds = fresh_seconds(campaign)
        response = public(_response(site, make_body(site, campaign, lang, query), 200), seconds)
        chosen = i18n.pick(query.get("lang"), query.get("hl"), allowed=campaign.available_languages)
        page = keep(response, seconds, vary="" if chosen else "Accept-Language", extra=site)
        # A language the campaign lacks: Accept-Language decided after all, so this copy is not everyone's.
        if chosen or not i18n.pick(query.get("lang"), query.get("hl")):
            pledge.pages.put(key, page)
    hosts.widget_seen(page.extra, request.args.get("origin"))  # "Where is my widget?" on the dashboard
    return page.response()


def fresh_seconds(campaign: Campaign) -> int:
    """How long a public read about ``campaign`` may be kept (by this process, browsers and proxies):
    ``PLEDGE_CACHE_SECONDS``, but never past the moment the clock alone changes what it says (the campaign
    opens or closes, its countdown moves on a day). The operator's changes reach this process's copies
    through the campaigns' revision (see widget.campaign_registry), others' at their next revalidation."""
    seconds = current_app.config["PLEDGE_CACHE_SECONDS"]
    change = campaign.next_change()
    return seconds if change is None else max(0, min(seconds, math.floor(change - time.time())))


def shared_form_token(site_key: str, lang: str) -> str:
    """The form token of the cached widget pages of a site in a language: dated from the start of the
    current ``SHARED_TOKEN_SECONDS`` and signed at that moment, so that every worker and every node makes
    the same one (the same page bytes, the same ETag) until the next period."""
    period = int(time.time()) // SHARED_TOKEN_SECONDS * SHARED_TOKEN_SECONDS
    tokens = state().tokens
    # Signed once per site, language and period, not once per page rendered: over thousands of sites the
    # pages are rarely kept, and the token stays the same for its ten minutes. Keyed by the signing keys
    # too, so that a key rotation signs anew.
    key = (tuple(tokens.keys), site_key, lang, period)
    token = _SHARED_TOKENS.get(key)
    if token is None:
        if len(_SHARED_TOKENS) >= SHARED_TOKENS_KEPT:  # a new period, or more sites than that: start again
            _SHARED_TOKENS.clear()
        token = _SHARED_TOKENS[key] = form_token(tokens, site_key, lang, shared_at=period)
    return token


#: How many shared form tokens a process keeps (about 200 bytes each).
SHARED_TOKENS_KEPT = 20_000
_SHARED_TOKENS: dict[tuple, str] = {}


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
    return _page(site, campaign, current_language(campaign), 200, form=None, query=widget_query(request.args),
                 sent=True)


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


def embeddable(response: Response) -> Response:
    """``response`` as a page of the widget's frame (or a redirect on its way) that host pages isolated by
    Cross-Origin-Embedder-Policy (``require-corp`` or ``credentialless``) may frame: it lets any origin embed
    it and asks the same of what it loads (all of it ours, from our own origin)."""
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cross-Origin-Embedder-Policy"] = "require-corp"
    return response


def widget_preview(campaign: Campaign, lang: str, site_name: str) -> Response:
    """The widget page of ``campaign`` as a visitor in ``lang`` sees it while signing is open, on a stand-in
    site named ``site_name``: for the desk's campaign editor, which frames it (nothing on it can be sent)."""
    site = Site(key="preview", name=site_name, owner_email="", campaign=campaign.slug, origins=(), created_at=0.0)
    open_now = dataclasses.replace(campaign, opens=None, closes=None, paused_at=None, closed_at=None)
    with i18n.speaking(lang):
        form = build_form(open_now, lang, site.key, state().tokens, None, site_name=site.name)
    return _page(site, open_now, lang, 200, form=form, query={}, opened=True, preview=True)


def _page(site: Site, campaign: Campaign, lang: str, code: int, **context) -> Response:
    counts = state().store.counts(campaign.slug, site.key)
    if widget_mode(request.args.get("mode")) == "list" and not context.get("sent"):
        context.update(latest_signatories(site, campaign, list_scope(request.args.get("scope")), lang))
    body, code = render_page("widget.html", lang, code, **page_context(site, campaign, counts, time.time(), context))
    return _response(site, body, code)


def page_context(site: Site, campaign: Campaign, counts: Counts | None, now: float, context: dict) -> dict:
    """What the widget template reads, for ``site`` at ``now`` (``counts`` None: a shell's rendering, whose
    count parts are markers); ``context`` adds to it and wins."""
    values = dict(
        site=site,
        campaign=campaign,
        counts=counts,
        campaign_status=campaign.status(now),
        days_left=campaign.days_left(now),
        ended_at=campaign.ended_at(now),
        goal=campaign.goal_for(counts.total) if counts is not None else None,
        host_origin=host_origin(site, context["query"].get("origin")),
        theme=widget_theme(request.args.get("theme")),
        mode=widget_mode(request.args.get("mode")),
        accent=usable_accent(request.args.get("accent")),
        # "0 signatures" on a new site discourages: the snippet may hide the count until there are more.
        show_count=counts.site >= min_count(request.args.get("min")) if counts is not None else None,
        # "N organisations report progress" (a campaign option): a count part, kept and refreshed as the count is.
        reported=state().store.count_reporters(campaign.slug) if campaign.show_progress else 0,
        languages=campaign.available_languages,
        privacy_url=current_app.config["PLEDGE_PRIVACY_URL"],
        inline_css=Markup(static_asset("widget.css").raw.decode()),
        utm_fields=UTM_FIELDS,
        # The discovery link of editors that embed by address (oEmbed); a preview has none.
        oembed_url=None if context.get("preview") else oembed_address(public_base_url(),
                                                                      widget_address(site.key, context["query"])),
    )
    values.update(context)
    return values


def _response(site: Site, body: str, code: int) -> Response:
    """The widget page's answer, with its headers."""
    response = embeddable(current_app.make_response((body, code)))
    # Only the site's registered origins (and our own front page) may frame its widget; browsers enforce it.
    # Each is checked again here: a row stored before origins were parsed strictly must not add directives.
    # Its stylesheet is inlined (one request fewer for every visitor), allowed by its hash.
    response.headers["Content-Security-Policy"] = content_security_policy(
        " ".join(["'self'", *frame_sources(site.origins)]), style_hash=static_asset("widget.css").sha256)
    # A form sent back with errors, or "sent": one visitor's page, never kept (GETs are made public above).
    response.headers["Cache-Control"] = "no-store"
    # A part of the host's page, not a page of its own in search results.
    response.headers["X-Robots-Tag"] = "noindex"
    return response


#: The modes whose page is made from a campaign's shell (the list mode shows a site's own signatories).
SHELL_MODES = ("form", "button", "counter")


def shell_body(site: Site, campaign: Campaign, lang: str, query: Mapping[str, str]) -> str:
    """The body of ``site``'s widget page as a GET shows it (form token shared, count as of now): its
    campaign's shell for this language and query (rendered now if not kept), with the site's values set in.
    The same bytes as :func:`full_body`."""
    pledge = state()
    now = time.time()
    origin = query.get("origin")
    accepted = host_origin(site, origin) is not None
    key = ("shell", campaign.slug, lang, tuple((k, v) for k, v in query.items() if k != "origin"),
           origin is not None, accepted, campaign.status(now), campaign.days_left(now), campaign.ended_at(now),
           request.script_root, own_origin(request.environ))  # the host too: a page's absolute links may use it
    shell = pledge.pages.parts.get(key)
    if shell is None or shell.campaign is not campaign:  # a campaign read again is a new object
        shell = _render_shell(campaign, lang, query, accepted, now)
        pledge.pages.parts.put(key, shell)
    counts = pledge.store.counts(campaign.slug, site.key)
    goal = campaign.goal_for(counts.total)
    show_count = counts.site >= min_count(request.args.get("min"))
    ended_at = campaign.ended_at(now)
    reported = pledge.store.count_reporters(campaign.slug) if campaign.show_progress else 0

    def count_part(part: str) -> str:
        part_key = ("count", part, lang, counts, goal, show_count, ended_at, reported)
        text = pledge.pages.parts.get(part_key)
        if text is None:
            with i18n.speaking(lang):
                text = str(widget_shell.render_count_part(part, counts, goal, show_count, ended_at, reported))
            pledge.pages.parts.put(part_key, text)
        return text

    return shell.fill(widget_shell.site_values(shell.slots, site.key, site.name, shared_form_token(site.key, lang),
                                               origin, count_part))


def _render_shell(campaign: Campaign, lang: str, query: Mapping[str, str], accepted: bool, now: float) -> widget_shell.Shell:
    site = Site(key=widget_shell.KEY, name=widget_shell.NAME, owner_email="", campaign=campaign.slug, origins=(),
                created_at=0.0)
    marked = dict(query)
    if "origin" in marked:
        marked["origin"] = widget_shell.ORIGIN
    with i18n.speaking(lang):
        form = build_form(campaign, lang, site.key, state().tokens, None, site_name=site.name)
    form.form_token.current_token = widget_shell.TOKEN
    context = dict(form=form, query=marked, opened=False, count_markers=widget_shell.COUNT_MARKERS,
                   host_origin=widget_shell.ORIGIN if accepted else None,
                   token_url=url_for("pledge.widget_token", site_key=site.key, lang=lang))
    body, _code = render_page("widget.html", lang, 200, **page_context(site, campaign, None, now, context))
    return widget_shell.cut(campaign, body)


def full_body(site: Site, campaign: Campaign, lang: str, query: Mapping[str, str]) -> str:
    """The body of ``site``'s widget page as a GET shows it, rendered on its own (as before shells; kept
    for the modes without one, and for the tests that compare both)."""
    with i18n.speaking(lang):
        form = build_form(campaign, lang, site.key, state().tokens, None, site_name=site.name)
    # This page's form token is shared by everyone served this copy: its script fetches a visitor's own.
    # The same token everywhere for a while, so that the page is the same bytes (the same ETag, a 304)
    # until its count changes.
    form.form_token.current_token = shared_form_token(site.key, lang)
    token_url = url_for("pledge.widget_token", site_key=site.key, lang=lang)
    context: dict = dict(form=form, query=dict(query), opened=False, token_url=token_url)
    counts = state().store.counts(campaign.slug, site.key)
    if widget_mode(query.get("mode")) == "list":
        context.update(latest_signatories(site, campaign, list_scope(query.get("scope")), lang))
    body, _code = render_page("widget.html", lang, 200, **page_context(site, campaign, counts, time.time(), context))
    return body
