"""The widget page inside the host's iframe: the campaign, the live count and the sign-on form."""
from __future__ import annotations

import re
import time

from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app, request
from werkzeug.wrappers import Response

from .. import i18n
from ..abuse import client_hash, looks_like_a_bot
from ..extension import state
from ..forms import build_form
from ..mail import compose
from ..store import Mail, SignOn, Site, new_id
from . import blueprint
from .common import content_security_policy, current_language, public_url, render_page

SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ANSWERS = ("name", "organization", "org_type", "country", "goal", "actions", "timetable", "resources")


def find_site(site_key: str) -> Site:
    site = state().store.get_site(site_key) if SITE_KEY.match(site_key) else None
    if site is None:
        abort(404)
    return site


def host_origin(site: Site) -> str | None:
    """The embedding page's origin, as the loader reports it, if it is one the site registered or
    our own (the front page shows the demo on whatever host and port the service runs).

    The widget posts its height only there: ``postMessage`` to an exact origin, never to ``*``.
    """
    origin = request.args.get("origin", "")
    own = request.host_url.rstrip("/")
    return origin if origin in site.origins or origin == own else None


THEMES = ("light", "dark", "auto")


def widget_theme() -> str:
    """The snippet's data-theme: light by default (a dark box on a light page looks broken), or dark,
    or auto (the visitor's preference)."""
    theme = request.args.get("theme", "")
    return theme if theme in THEMES else "light"


# Routes that carry a key or a token say merge_slashes=False: "/w//KEY" is a bad address (404), not a
# redirect to a guess.
@blueprint.route("/w/<site_key>", methods=["GET", "POST"], merge_slashes=False)
def widget(site_key: str) -> Response:
    site = find_site(site_key)
    pledge = state()
    campaign = pledge.campaign(site.campaign)
    lang = current_language(campaign.default_lang)
    query = {k: v for k, v in request.args.items() if k in ("lang", "hl", "origin", "theme")}
    switch = i18n.normalise(request.form.get("switch_lang")) if request.method == "POST" else None
    if switch:
        # The visitor changed language with the form half filled: show it again, in that language,
        # with their answers, and neither check nor store anything.
        lang = query["lang"] = switch
    # The form reads request.form only: Flask-WTF would also take a JSON body, which is not ours to parse.
    formdata = request.form if request.method == "POST" else None
    form = build_form(campaign, lang, site.key, pledge.tokens, formdata)
    sent = False
    status = 200
    if request.method == "POST" and not switch:
        if form.validate():
            sign_on(site, campaign, lang, form)
            sent = True
        else:
            status = 400
    counts = pledge.store.counts(campaign.slug, site.key)
    body, status = render_page(
        "widget.html",
        lang,
        status,
        site=site,
        campaign=campaign,
        form=form,
        sent=sent,
        counts=counts,
        host_origin=host_origin(site),
        theme=widget_theme(),
        query=query,
    )
    response = current_app.make_response((body, status))
    # Only the site's registered origins (and our own front page) may frame its widget; browsers enforce it.
    response.headers["Content-Security-Policy"] = content_security_policy(" ".join(["'self'", *site.origins]))
    # The count is live and the form token is time-stamped: never serve a stored copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def sign_on(site: Site, campaign, lang: str, form) -> None:
    """Store the sign-on and its confirmation e-mail in one transaction, then wake the sender.

    Bots, floods and repeated addresses get the same answer as everyone (the caller shows "check
    your inbox" whatever happens here); only what is stored and mailed differs.
    """
    pledge = state()
    config = current_app.config
    if looks_like_a_bot(request.form, form.issued_at, config["PLEDGE_MIN_FILL_SECONDS"]):
        return
    email = normalise_email(form.email.data)
    earlier = pledge.store.find_confirmed(campaign.slug, email)
    if earlier is not None:
        # The mail, not the page, says they have signed already: the page tells nobody who signed.
        withdraw_url = public_url("pledge.withdraw", token=pledge.tokens.dumps("withdraw", earlier.id))
        mail = compose.already_signed(email, lang, campaign, withdraw_url)
        if pledge.store.enqueue_mail(mail, earlier.id, limits=pledge.limits):
            pledge.mail_queued()
        return
    now = time.time()
    signon = SignOn(
        id=new_id(18),
        campaign=campaign.slug,
        site_key=site.key,
        email=email,
        lang=lang,
        status="pending",
        created_at=now,
        confirmed_at=None,
        consent_at=now,
        consent_version=f"{campaign.consent_version}/{lang}",
        answers={name: getattr(form, name).data for name in ANSWERS if name in form and getattr(form, name).data},
    )
    ip_hash = client_hash(pledge.tokens.keys[0], request.remote_addr)
    status = pledge.store.create_signon(signon, confirmation_mail(signon), limits=pledge.limits, ip_hash=ip_hash)
    if status == "pending":
        pledge.mail_queued()


def confirmation_mail(signon: SignOn) -> Mail:
    """The e-mail with a fresh confirmation link (and a withdraw link) for a pending sign-on."""
    pledge = state()
    return compose.confirmation(
        signon.email,
        signon.lang,
        pledge.campaign(signon.campaign),
        signon.answers.get("organization", ""),
        public_url("pledge.confirm", token=pledge.tokens.dumps("confirm", signon.id)),
        public_url("pledge.withdraw", token=pledge.tokens.dumps("withdraw", signon.id)),
        max_age_hours=max(1, round(current_app.config["PLEDGE_CONFIRM_MAX_AGE"] / 3600)),
    )


def normalise_email(address: str) -> str:
    """One spelling per mailbox, so one address signs a campaign once."""
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:  # the form validated it already; keep the visitor's spelling
        return address.strip().lower()
