"""Who is signed in on the host pages, and the one rule of them: a host sees and changes only its own sites."""
from __future__ import annotations

from typing import Any

from flask import abort, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError
from werkzeug.wrappers import Response

from .. import hosts
from ..campaigns import Campaign
from ..appstate import state
from ..store import Site
from .blueprint import bp
from ..views.common import current_language, private_page

#: The key of Flask's session that holds the host's session id (never the address: sessions are revocable).
SESSION_KEY = "pledge_host_session"


def signed_in_host() -> str | None:
    """The address of the host signed in on this browser, or None."""
    return hosts.session_host(session.get(SESSION_KEY))


def not_found() -> None:
    """The host pages' 404: the same for a signed-out visitor, another host's site and an unknown key
    (nobody learns which keys exist), in words for a host rather than for a signatory."""
    abort(host_page("host/not_found.html", 404))


def host_or_404() -> str:
    """The signed-in host; anyone else gets the same 404 as for a site that does not exist."""
    email = signed_in_host()
    if email is None:
        not_found()
    return email


def own_site(site_key: str) -> tuple[str, Site, Campaign]:
    """``(host, site, campaign)`` for one of the signed-in host's own sites; 404 for anything else
    (signed out, another host's site, an unknown key, a campaign no longer configured)."""
    email = host_or_404()
    pledge = state()
    site = pledge.store.get_site(site_key)
    if site is None or site.owner_email != email or site.campaign not in pledge.campaigns:
        not_found()
    return email, site, pledge.campaign(site.campaign)


def host_page(template: str, status: int = 200, **context: Any) -> Response:
    """A host page: private (no-store, no-referrer, noindex), framed by nobody, in the host's language."""
    context.setdefault("campaign", None)
    return private_page(template, current_language(), status, host_styles=True, **context)


@bp.app_template_global("pledge_csrf_token")
def _csrf_token_global() -> str:
    """Flask-WTF's session CSRF token, for the host pages' buttons that are forms of their own."""
    return generate_csrf()


def check_csrf() -> None:
    """A button of a host page (sign out, rotate, delete, ...) must carry the session's CSRF token."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:  # missing, expired, or not this session's
        abort(400)
