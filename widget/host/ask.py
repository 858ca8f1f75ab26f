"""Ask an organisation to sign: an e-mail the host sends from its own mailbox (a ``mailto:`` link and a copy
button: the service never sends it, so it cannot be used to mail strangers), a printable letter with the QR
code of the site's sign-on page, and for councils a model resolution, also as a plain-text download; and the
host's private list of the organisations it asked, with those that came through.

The page around them speaks the host's language (its browser's); the e-mail, the letter and the resolution
speak the letter's (``?lang=``, any of the campaign's languages; by default the site's, as the poster), since
the person asked may read another language than the host.
"""
from __future__ import annotations

import time
from typing import Any

from flask import current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from .. import ask_texts, asks, i18n
from ..appstate import state
from ..campaigns import Campaign
from ..forms import MAX_LENGTHS, no_control_characters
from ..qr import qr_svg
from ..store import Site
from ..text import clean_text
from .access import check_csrf, not_found, own_site
from .blueprint import bp
from .poster import poster_language, sign_on_url
from ..views.common import private_page

#: The longest note kept with an entry of the list.
MAX_NOTE = 500


class AskForm(FlaskForm):
    """An organisation the host asked: its name, its kind and a note (free text in any script)."""

    organization = StringField(
        _l("Organisation you asked"), filters=[clean_text],
        validators=[DataRequired(message=_l("Please fill in this field.")),
                    Length(max=MAX_LENGTHS["organization"], message=_l("Please use at most %(max)d characters.")),
                    no_control_characters],
        render_kw={"autocomplete": "off", "maxlength": MAX_LENGTHS["organization"]},
    )
    org_type = SelectField(_l("Kind of organisation"), validate_choice=True)
    note = StringField(
        _l("Note (optional)"), description=_l("Whom you wrote to, when to follow up: only you see it."),
        filters=[clean_text],
        validators=[Length(max=MAX_NOTE, message=_l("Please use at most %(max)d characters.")), no_control_characters],
        render_kw={"autocomplete": "off", "maxlength": MAX_NOTE},
    )


def interface_language() -> str:
    """The host's own language, for the page around the letter: its browser's (here ``?lang=`` is the
    letter's), else the default campaign's."""
    default = state().campaign(current_app.config["PLEDGE_DEFAULT_CAMPAIGN"]).default_lang
    return i18n.browser_language() or i18n.pick(default) or i18n.DEFAULT


def kinds(campaign: Campaign) -> list[tuple[str, str]]:
    """The campaign's kinds of organisation, ``(code, name)``, named in the current language."""
    return [(code, campaign.text(f"org_type.{code}", code)) for code in campaign.org_types]


def in_language(lang: str, template: str, **context: Any) -> Markup:
    """A part of the page rendered in ``lang`` (the letter's), whatever the page's own language."""
    with i18n.speaking(lang):
        return Markup(render_template(template, lang=lang, dir=i18n.direction(lang), **context))


def resolution_parts(campaign: Campaign, ask: ask_texts.Ask, url: str) -> dict[str, Any]:
    """The resolution's heading, title, paragraphs and sign-on line, in the current language."""
    return {"heading": _("Model council resolution"), "title": campaign.text("title"), "paragraphs": ask.resolution,
            "sign_on": _("Sign online:"), "url": url}


@bp.app_template_global("pledge_ask_counts")
def ask_counts(site: Site) -> tuple[int, int]:
    """``(asked, signed)`` of the owner's list for a site (its dashboard shows them)."""
    return asks.tally(site, site.owner_email)


@bp.route("/sites/<site_key>/ask", methods=["GET", "POST"], endpoint="ask")
def host_ask(site_key: str) -> Response:
    email, site, campaign = own_site(site_key)
    ui = interface_language()
    g.pledge_lang = ui  # what this request translates outside the letter's parts
    lang = poster_language(site, campaign)
    kind = ask_texts.kind_of(campaign, request.args.get("org_type"))
    again = {"site_key": site.key, "org_type": kind, "lang": lang, "_anchor": "asked"}
    with i18n.speaking(ui):
        kind_names = kinds(campaign)
        form = AskForm(data={"org_type": kind})
    form.org_type.choices = kind_names
    if not campaign.org_types:
        del form.org_type
    full = False
    if request.method == "POST":
        check_csrf()
        if "delete" in request.form:
            value = request.form["delete"]
            done = value.isascii() and value.isdigit() and len(value) < 19 and asks.remove(site, email, int(value))
            return redirect(url_for("host.ask", done="deleted" if done else None, **again), code=303)
        if form.validate():
            org_type = form.org_type.data if campaign.org_types else None
            if asks.record(site, email, form.organization.data, org_type, form.note.data):
                return redirect(url_for("host.ask", done="added", **again), code=303)
            full = True

    url = sign_on_url(site, lang)
    with i18n.speaking(lang):
        ask = ask_texts.compose(campaign, lang, kind, url)
        qr = qr_svg(url, _("QR code: the sign-on page of %(title)s, %(url)s", title=campaign.text("title"), url=url))
        resolution = resolution_parts(campaign, ask, url) if ask.resolution else None
    mailto, shortened = ask_texts.mailto_url(ask.subject, ask.email, url)
    letter = in_language(lang, "host/ask_letter.html", ask=ask, url=url, qr=qr, blank=ask_texts.BLANK, now=time.time())
    failed = request.method == "POST"
    return private_page(
        "host/ask.html", ui, 400 if failed else 200, host_styles=True,
        email=email, site=site, campaign=campaign, kinds=kind_names, kind=kind,
        letter_languages=campaign.available_languages, letter_lang=lang, letter_dir=i18n.direction(lang),
        ask=ask, mailto=mailto, mailto_max=ask_texts.MAILTO_MAX, shortened=shortened, letter=letter,
        resolution=in_language(lang, "host/ask_resolution.html", resolution=resolution) if resolution else None,
        form=form, full=full, entries=asks.asked(site, email), tally=asks.tally(site, email),
        done=request.args.get("done") if not failed else None,
    )


@bp.get("/sites/<site_key>/ask/resolution.txt", endpoint="ask_resolution")
def host_ask_resolution(site_key: str) -> Response:
    """The model council resolution as a plain-text file, in the letter's language (``?lang=``)."""
    _email, site, campaign = own_site(site_key)
    if ask_texts.RESOLUTION_KIND not in campaign.org_types:
        not_found()
    lang = poster_language(site, campaign)
    url = sign_on_url(site, lang)
    with i18n.speaking(lang):
        parts = resolution_parts(campaign, ask_texts.compose(campaign, lang, ask_texts.RESOLUTION_KIND, url), url)
    text = "\n\n".join((parts["heading"], parts["title"], *parts["paragraphs"], f"{parts['sign_on']} {url}"))
    response = make_response(text.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n")  # Notepad's line ends too
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="resolution-{campaign.slug}-{lang}.txt"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
