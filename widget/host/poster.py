"""A printable A4 poster of a site: the campaign's title, its count, and a QR code to the site's sign-on
page, for a notice board. It speaks the site's language (the people who read it are the site's visitors,
not its webmaster), whatever the host's browser asks; ``?lang=`` picks another of the campaign's."""
from __future__ import annotations

import re

import segno
from flask import request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import i18n
from ..campaigns import Campaign
from ..extension import state
from ..store import Site
from ..urls import public_url
from . import blueprint
from .common import private_page
from .host_access import own_site

#: Error correction level "M": a poster gets scuffed, pinned and photographed at an angle.
QR_ERROR = "m"
#: The quiet zone the QR specification asks for, in modules.
QR_BORDER = 4
_STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style\s*>", re.IGNORECASE | re.DOTALL)


def poster_language(site: Site, campaign: Campaign) -> str:
    """``?lang=`` among the campaign's languages, else the site's language, else the campaign's."""
    allowed = campaign.available_languages
    return (
        i18n.normalise(request.args.get("lang"), allowed)
        or i18n.normalise(site.lang, allowed)
        or campaign.default_lang
    )


def sign_on_url(site: Site, lang: str) -> str:
    """The site's widget as a page of its own: sign-ons through it count for the site."""
    return public_url("pledge.widget", site_key=site.key, lang=lang)


def qr_svg(url: str, label: str) -> Markup:
    """``url`` as a QR code in inline SVG (segno), black on white, scaled by CSS; an image named ``label``.

    Our pages' CSP forbids inline styles: segno writes presentation attributes (``fill``, ``stroke``),
    which CSP allows, but any ``style`` attribute is dropped all the same, in case a later segno adds one.
    """
    code = segno.make_qr(url, error=QR_ERROR)
    svg = code.svg_inline(scale=1, border=QR_BORDER, dark="#000", light="#fff", omitsize=True,
                          svgclass="qr", lineclass=None)  # segno's own markup: no text of ours in it
    svg = _STYLE_ELEMENT.sub("", _STYLE_ATTRIBUTE.sub("", svg))
    opening, rest = svg.split(">", 1)
    attributes = opening.removeprefix("<svg")
    return (Markup('<svg role="img" aria-label="%s" focusable="false"') % label + Markup(attributes + ">")
            + Markup("<title>%s</title>") % label + Markup(rest))


@blueprint.get("/host/sites/<site_key>/poster")
def host_poster(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    lang = poster_language(site, campaign)
    url = sign_on_url(site, lang)
    counts = state().store.counts(campaign.slug, site.key)
    with i18n.speaking(lang):
        label = _("QR code: the sign-on page of %(title)s, %(url)s", title=campaign.text("title"), url=url)
    return private_page(
        "host_poster.html", lang, email=email, site=site, campaign=campaign, counts=counts, url=url,
        qr=qr_svg(url, label), theme="light", host_styles=True,
        poster_languages=campaign.available_languages,
    )
