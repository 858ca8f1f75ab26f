"""A printable A4 poster of a site: the campaign's title, its count, and a QR code to the site's sign-on
page, for a notice board. It speaks the site's language (the people who read it are the site's visitors,
not its webmaster), whatever the host's browser asks; ``?lang=`` picks another of the campaign's."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import i18n
from ..campaigns import Campaign
from ..appstate import state
from ..qr import qr_svg
from ..store import Site
from ..urls import public_url
from .blueprint import bp
from ..views.common import private_page
from .access import own_site

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


@bp.get("/sites/<site_key>/poster", endpoint="poster")
def host_poster(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    lang = poster_language(site, campaign)
    url = sign_on_url(site, lang)
    counts = state().store.counts(campaign.slug, site.key)
    with i18n.speaking(lang):
        label = _("QR code: the sign-on page of %(title)s, %(url)s", title=campaign.text("title"), url=url)
    return private_page(
        "host/poster.html", lang, email=email, site=site, campaign=campaign, counts=counts, url=url,
        qr=qr_svg(url, label), theme="light", host_styles=True,
        poster_languages=campaign.available_languages,
    )
