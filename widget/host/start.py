"""The host's start page: sign up or sign in by an e-mailed link, the list of the host's sites, sign out.

These are first-party pages, visited directly, so they may use Flask's session cookie (HttpOnly,
SameSite=Lax). The cookie holds an opaque session id that the store can end: signing out ends the
session on the server, and "sign out everywhere" ends all of a host's sessions.
"""
from __future__ import annotations

import io

from flask import current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from .. import export, hosts
from ..appstate import state
from ..abuse import no_sooner_than
from ..forms import SignInForm
from ..i18n import speaking
from ..tokens import TokenExpired, TokenInvalid
from .blueprint import bp
from ..views.common import current_language
from .access import SESSION_KEY, check_csrf, host_page, own_site, signed_in_host

#: The sign-in answer comes no sooner than this (seconds), host or not: its timing tells nothing (as the desk's).
ANSWER_SECONDS = 0.5


@bp.route("/", methods=["GET", "POST"], endpoint="start")
def host() -> Response:
    email = signed_in_host()
    if email:
        return _sites(email)
    form = SignInForm()
    signup = current_app.config["PLEDGE_HOST_SIGNUP"] == "open"
    if request.method == "POST":
        if not form.validate():
            return host_page("host/login.html", 400, form=form, signup=signup)
        # The same answer in the same time whether or not the address is a host (or may become one): made
        # before the wait, so that nothing left to do after it depends on the address.
        with no_sooner_than(ANSWER_SECONDS):
            hosts.send_sign_in_link(form.email.data, current_language())
            answer = host_page("host/login_sent.html", signup=signup)
        return answer
    return host_page("host/login.html", form=form, signup=signup, done=request.args.get("done"))


@bp.route("/login/<token>", methods=["GET", "POST"], merge_slashes=False, endpoint="login")
def host_login(token: str) -> Response:
    pledge = state()
    try:
        login_id, _issued = pledge.tokens.loads("host-login", token)
    except (TokenInvalid, TokenExpired):
        return host_page("host/login_invalid.html", 400)
    if request.method == "GET":  # a mail scanner's visit must not use up the link
        return host_page("host/login_confirm.html", token=token)
    # The button of the page above, in this browser: another site's form must not sign its visitor into an
    # account of its choosing (login CSRF), whose sites the visitor would then add.
    check_csrf()
    session_id = hosts.sign_in(login_id, current_language()) if isinstance(login_id, str) else None
    if session_id is None:
        return host_page("host/login_invalid.html", 400)
    session.clear()
    session[SESSION_KEY] = session_id
    # Signed in on this browser for PLEDGE_HOST_SESSION_DAYS (the cookie's lifetime), not until it closes.
    session.permanent = True
    return redirect(url_for("host.start"), code=303)


@bp.post("/logout", endpoint="logout")
def host_logout() -> Response:
    """Sign out: this browser's session ends on the server too, so a copy of the cookie stops working."""
    check_csrf()
    session_id = session.pop(SESSION_KEY, None)
    if session_id:
        state().store.end_host_session(session_id)
    return redirect(url_for("host.start", done="signed-out"), code=303)


@bp.post("/logout-everywhere", endpoint="logout_everywhere")
def host_logout_everywhere() -> Response:
    """End every session of the signed-in host, on every browser."""
    check_csrf()
    email = signed_in_host()
    if email:
        state().store.end_host_sessions(email)
    session.pop(SESSION_KEY, None)
    return redirect(url_for("host.start", done="signed-out"), code=303)


def _sites(email: str) -> Response:
    pledge = state()
    sites = []
    for site in pledge.store.sites_of(email):
        if site.campaign not in pledge.campaigns:
            continue  # its campaign was removed from the configuration: nothing to show
        campaign = pledge.campaign(site.campaign)
        sites.append({"site": site, "campaign": campaign, "counts": pledge.store.counts(campaign.slug, site.key)})
    return host_page("host/sites.html", email=email, sites=sites, done=request.args.get("done"))


@bp.get("/sites/<site_key>.csv", endpoint="export")
def host_export(site_key: str) -> Response:
    """The confirmed sign-ons of one of the host's own sites, as a spreadsheet-safe CSV."""
    _email, site, campaign = own_site(site_key)
    stream = io.StringIO()
    with speaking(current_language()):
        export.write_host_csv(state().store.confirmed_signons(site.key), campaign, stream)
    response = current_app.response_class(stream.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="sign-ons-{site.key}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
