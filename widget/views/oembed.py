"""oEmbed 1.0 (https://oembed.com): editors that embed by address (WordPress's embed block where allowed,
Ghost, Notion-like tools) ask ``GET /oembed?url=<a widget address>`` and show the ``html`` answered: the
widget page in a frame, the same as the frame snippet. Widget pages name this endpoint in a discovery
``<link>``. The answer is public and cached like the widget page; every address in it is built on the
service's public address (``PLEDGE_PUBLIC_URL``, else the request's host, which the trusted hosts checked)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import jsonify, request
from werkzeug.wrappers import Response

from .. import i18n
from ..appstate import state
from ..caching import keep, public
from ..mail.compose import service_name
from ..origins import normalise_origin
from ..snippet import WIDGET_MAX_WIDTH, frame_height, frame_html
from ..urls import links_base, public_base_url
from ..whole_numbers import whole_number
from .blueprint import blueprint
from .json_errors import json_error
from .widget import ADDRESS_QUERY, SITE_KEY, fresh_seconds, public_site, widget_address, widget_query

#: The longest ``url`` taken (a widget address with every option is far shorter).
MAX_URL = 2048
#: The largest ``maxheight`` that changes anything (the tallest frame).
MAX_SIDE = 100_000


def widget_of(url: str, base: str) -> tuple[str, dict[str, str]] | None:
    """The site key and the frame's query of ``url`` if it is a widget address of this service (under
    ``base``, its public address: same scheme, host, port and prefix); None for anything else."""
    if not url or len(url) > MAX_URL or any(c.isspace() or not c.isprintable() for c in url):
        return None
    try:
        parts, ours = urlsplit(url), urlsplit(base)
        if parts.username or parts.password or normalise_origin(f"{parts.scheme}://{parts.netloc}") != \
                normalise_origin(f"{ours.scheme}://{ours.netloc}"):
            return None
    except ValueError:
        return None
    prefix = ours.path.rstrip("/") + "/w/"
    key = parts.path[len(prefix):] if parts.path.startswith(prefix) else ""
    if not SITE_KEY.match(key):
        return None
    query = widget_query(dict(reversed(parse_qsl(parts.query))))  # the first value of each, as request.args
    return key, {name: query[name] for name in ADDRESS_QUERY if name in query}


def _side(name: str) -> int | None | bool:
    """``maxwidth`` or ``maxheight``: None when absent, False when not a whole number from 1 on."""
    text = request.args.get(name)
    if text is None or text == "":
        return None
    number = whole_number(text, high=10**9, clamp=True)
    return False if number is None or number < 1 else min(number, MAX_SIDE)


@blueprint.get("/oembed")
def oembed() -> Response:
    """The oEmbed answer (``type`` ``rich``) for a widget address; 404 JSON for any other ``url``, 501 for
    a ``format`` other than json (oEmbed 1.0, section 2.3.4), 400 for a ``maxwidth`` or ``maxheight`` that
    is not a whole number from 1 on."""
    fmt = request.args.get("format", "json")
    if fmt != "json":
        return json_error(501, "Only the json format is answered.")
    max_width, max_height = _side("maxwidth"), _side("maxheight")
    if max_width is False or max_height is False:
        return json_error(400, "maxwidth and maxheight are whole numbers from 1 on.")
    base = public_base_url()
    found = widget_of(request.args.get("url", ""), base)
    if found is None:
        return json_error(404, "This url is not the address of a widget of this service.")
    key, query = found
    width = min(max_width or WIDGET_MAX_WIDTH, WIDGET_MAX_WIDTH)
    height = min(max_height or MAX_SIDE, frame_height(query.get("mode")))
    pledge = state()
    cache_key = ("oembed", links_base(), key, tuple(query.items()), width, height)
    page = pledge.pages.get(cache_key)
    if page is None:
        site_and_campaign = public_site(key)
        if site_and_campaign is None:
            return json_error(404, "This url is not the address of a widget of this service.")
        site, campaign = site_and_campaign
        # The title in the widget's language when the address fixes one, else the campaign's first:
        # one answer for every consumer, whatever language its server asks in.
        lang = i18n.normalise(query.get("lang"), campaign.available_languages) or campaign.default_lang
        with i18n.speaking(lang):
            title, provider = campaign.text("title"), service_name()
        src = widget_address(site.key, query)
        seconds = fresh_seconds(campaign)
        response = jsonify({
            "version": "1.0",
            "type": "rich",
            "title": title,
            "provider_name": provider,
            "provider_url": f"{base}/",
            "html": frame_html(src, title, height, width),
            "width": width,
            "height": height,
            "cache_age": seconds,
        })
        response.headers["Access-Control-Allow-Origin"] = "*"
        page = keep(public(response, seconds), seconds)
        pledge.pages.put(cache_key, page)
    return page.response()
