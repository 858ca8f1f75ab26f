"""The host's dashboard: a first-party page, entered by a link e-mailed to the site's owner.

Unlike the widget, these pages are visited directly, so they may use Flask's session cookie.
The login link carries an opaque id (never the address) and works once, within an hour.
"""
from __future__ import annotations

import io
import time

from flask import current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length

from .. import export
from ..i18n import speaking
from ..extension import state
from ..addresses import normalise_email
from ..text import clean_text
from ..mail import compose
from ..snippet import snippet
from ..tokens import TokenExpired, TokenInvalid
from . import blueprint
from ..urls import public_base_url, public_url
from .common import current_language, private_page

SESSION_KEY = "pledge_host"


class HostLoginForm(FlaskForm):
    """The owner's address; Flask-WTF's session CSRF protects it (a first-party page)."""

    email = EmailField(
        _l("E-mail address"),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Please enter your e-mail address.")),
            Length(max=254, message=_l("Please use at most %(max)d characters.")),
            Email(message=_l("Please enter a valid e-mail address, such as name@example.org."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email"},
    )


def _page(template: str, status: int = 200, **context) -> Response:
    return private_page(template, current_language(), status, campaign=None, **context)


def _host_email() -> str | None:
    return session.get(SESSION_KEY)


@blueprint.route("/host/", methods=["GET", "POST"])
def host() -> Response:
    email = _host_email()
    if email:
        return _dashboard(email)
    form = HostLoginForm()
    if request.method == "POST":
        if not form.validate():
            return _page("host_login.html", 400, form=form)
        address = normalise_email(form.email.data)
        pledge = state()
        sites = pledge.store.sites_of(address)
        if sites:
            login_id = pledge.store.create_host_login(address)
            token = pledge.tokens.dumps("host-login", login_id)
            campaigns = [pledge.campaigns[slug] for slug in dict.fromkeys(s.campaign for s in sites) if slug in pledge.campaigns]
            mail = compose.host_login(address, current_language(), public_url("pledge.host_login", token=token), campaigns)
            if pledge.store.enqueue_mail(mail, limits=pledge.limits):
                pledge.mail_queued()
        # The same answer whether or not the address owns a site.
        return _page("host_login_sent.html")
    return _page("host_login.html", form=form)


@blueprint.route("/host/login/<token>", methods=["GET", "POST"], merge_slashes=False)
def host_login(token: str) -> Response:
    pledge = state()
    try:
        login_id, _issued = pledge.tokens.loads("host-login", token)
    except (TokenInvalid, TokenExpired):
        return _page("host_login_invalid.html", 400)
    if request.method == "GET":  # a mail scanner's visit must not use up the link
        return _page("host_login_confirm.html", token=token)
    email = pledge.store.use_host_login(login_id) if isinstance(login_id, str) else None
    if email is None:
        return _page("host_login_invalid.html", 400)
    session.clear()
    session[SESSION_KEY] = email
    return redirect(url_for("pledge.host"), code=303)


@blueprint.post("/host/logout")
def host_logout() -> Response:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("pledge.host"), code=303)


def _dashboard(email: str) -> Response:
    pledge = state()
    sites = []
    for site in pledge.store.sites_of(email):
        if site.campaign not in pledge.campaigns:
            continue  # its campaign was removed from the configuration: nothing to show
        campaign = pledge.campaign(site.campaign)
        sites.append(
            {
                "site": site,
                "campaign": campaign,
                "counts": pledge.store.counts(campaign.slug, site.key),
                "breakdown": pledge.store.breakdown(site.key),
                "snippet": snippet(public_base_url(), site.key, campaign.text("title")),
            }
        )
    return _page("host_dashboard.html", email=email, sites=sites, now=time.time())


@blueprint.get("/host/sites/<site_key>.csv")
def host_export(site_key: str) -> Response:
    """The confirmed sign-ons of one of the host's own sites, as a spreadsheet-safe CSV."""
    email = _host_email()
    pledge = state()
    site = pledge.store.get_site(site_key)
    if not email or site is None or site.owner_email != email or site.campaign not in pledge.campaigns:
        return _page("not_found.html", 404)
    stream = io.StringIO()
    with speaking(current_language()):
        export.write_host_csv(pledge.store.confirmed_signons(site.key), pledge.campaign(site.campaign), stream)
    response = current_app.response_class(stream.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="sign-ons-{site.key}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
