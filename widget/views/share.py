"""The thank-you page's sharing and its "Put this button on your own website" button.

The button is a POST form of a first-party page (the confirmation link opens in the visitor's own
browser). A short-lived, single-use signed token names the sign-on: the host account it starts is always
the sign-on's own address, never one the form could choose. The thank-you page sets no cookie (nothing is
stored in a signatory's browser unless they ask for a host account), so the POST is checked against
cross-site forgery by its Sec-Fetch-Site (or Origin) header, which browsers send with a form POST.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from .. import i18n, sharing
from ..campaigns import Campaign
from ..appstate import state
from ..store import SignOn
from ..tokens import TokenExpired, TokenInvalid
from ..origins import normalise_origin
from .blueprint import blueprint
from ..host.access import SESSION_KEY, host_page, signed_in_host


def share_context(signon: SignOn, campaign: Campaign, mailbox_proven: bool) -> dict[str, Any]:
    """What the thank-you page needs to offer sharing, and becoming a host when the visitor has just
    proven they read the sign-on's mailbox (a fresh confirmation link, within the time allowed)."""
    address = sharing.share_address(signon, campaign)
    # A host page's address goes out with the source codes of its channel (the loader there reads them);
    # the campaign's own list needs none.
    tag = bool(signon.page_url)
    with i18n.speaking(signon.lang):  # the prefilled texts in the signatory's language
        links = sharing.share_links(campaign, address, tag=tag)
        text = sharing.share_text(campaign)
    offer = mailbox_proven and sharing.may_become_host(signon)
    return {
        "share_address": address,
        "share_native": sharing.tagged(address, "native") if tag else address,
        "share_links": links,
        "share_text": text,
        "become_host_token": sharing.become_host_token(signon) if offer else None,
    }


@blueprint.post("/host/from-sign-on")
def host_from_signon() -> Response:
    """Start a host account for the address of a sign-on just confirmed, and open the "add a site" form
    with the organisation's name and the campaign filled in."""
    if not same_origin_post():  # the refusal of every other reason: the visitor can still sign up by e-mail
        return _refused()
    pledge = state()
    try:
        signon_id, _issued = pledge.tokens.loads("host-from-signon", request.form.get("token", ""))
    except (TokenInvalid, TokenExpired):
        return _refused()
    signon = pledge.store.get_signon(signon_id) if isinstance(signon_id, str) else None
    if signon is None or signon.campaign not in pledge.campaigns:  # withdrawn since, or its campaign removed
        return _refused()
    values = sharing.new_site_values(signon)
    if signed_in_host() == signon.email:  # this browser is that host already: nothing to start
        return redirect(url_for("host.site_new", **values), code=303)
    session_id = sharing.become_host(signon)
    if session_id is None:
        return _refused()
    session.clear()
    session[SESSION_KEY] = session_id
    session.permanent = True  # as a sign-in by e-mailed link does
    return redirect(url_for("host.site_new", **values), code=303)


def same_origin_post() -> bool:
    """Whether this POST comes from a page of ours: the browser says Sec-Fetch-Site: same-origin, or (a
    browser without Fetch Metadata) its Origin is this service's, as the request or PLEDGE_PUBLIC_URL
    names it. Our pages' no-referrer policy makes browsers send "Origin: null", so Fetch Metadata comes
    first. A request with neither is refused: the visitor can still sign up by e-mail."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    ours = [request.host_url, current_app.config.get("PLEDGE_PUBLIC_URL") or request.host_url]
    try:
        return normalise_origin(origin) in {_origin_of(url) for url in ours}
    except ValueError:  # "null" (a sandboxed or privacy-minded page), or not an origin at all
        return False


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return normalise_origin(f"{parts.scheme}://{parts.netloc}")


def _refused() -> Response:
    """The same answer for every reason (expired, used, withdrawn, disabled): sign in by e-mail instead."""
    return host_page("host_from_signon_refused.html", 400)
