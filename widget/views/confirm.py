"""The confirmation link: GET shows a button, POST confirms (a mail scanner's GET confirms nothing)."""
from __future__ import annotations

import time

from flask import current_app, g
from werkzeug.wrappers import Response

from ..extension import state
from ..mail import compose
from ..store import SignOn
from ..tokens import TokenExpired, TokenInvalid
from . import blueprint
from .common import current_language, public_url, render_page


def _page(template: str, lang: str, status: int = 200, **context) -> Response:
    body, status = render_page(template, lang, status, **context)
    response = current_app.make_response((body, status))
    # The token is in the URL: no other site may learn it through a Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid() -> Response:
    return _page("link_invalid.html", current_language(), 400)


def _signon_or_error(token: str) -> tuple[SignOn | None, Response | None, bool]:
    """``(sign-on, error page, expired)`` for a confirmation token."""
    pledge = state()
    expired = False
    try:
        signon_id, _issued = pledge.tokens.loads("confirm", token)
    except TokenInvalid:
        return None, _invalid(), False
    except TokenExpired as exc:
        signon_id, expired = exc.payload, True
    if not isinstance(signon_id, str):
        return None, _invalid(), False
    signon = pledge.store.get_signon(signon_id)
    if signon is None:
        return None, _page("link_unknown.html", current_language(), 404), expired
    g.pledge_lang = signon.lang
    return signon, None, expired


def _context(signon: SignOn) -> dict:
    pledge = state()
    campaign = pledge.campaign(signon.campaign)
    return {
        "signon": signon,
        "campaign": campaign,
        "counts": pledge.store.counts(campaign.slug, signon.site_key),
        "site": pledge.store.get_site(signon.site_key),
    }


@blueprint.get("/confirm/<token>")
def confirm(token: str) -> Response:
    signon, error, expired = _signon_or_error(token)
    if error:
        return error
    if signon.status == "confirmed":
        return _page("confirm_done.html", signon.lang, already=True, **_context(signon))
    if expired:
        return _page("link_expired.html", signon.lang, 410, token=token, **_context(signon))
    return _page("confirm.html", signon.lang, token=token, **_context(signon))


@blueprint.post("/confirm/<token>")
def confirm_post(token: str) -> Response:
    signon, error, expired = _signon_or_error(token)
    if error:
        return error
    if signon.status != "confirmed" and expired:
        return _page("link_expired.html", signon.lang, 410, token=token, **_context(signon))
    result = state().store.confirm_signon(signon.id)
    return _page("confirm_done.html", signon.lang, already=result.status != "confirmed", **_context(result.signon or signon))


@blueprint.post("/confirm/<token>/renew")
def renew(token: str) -> Response:
    """An expired but genuine link: send a fresh one to the same address."""
    signon, error, _expired = _signon_or_error(token)
    if error:
        return error
    if signon.status == "confirmed":
        return _page("confirm_done.html", signon.lang, already=True, **_context(signon))
    pledge = state()
    campaign = pledge.campaign(signon.campaign)
    fresh = pledge.tokens.dumps("confirm", signon.id)
    mail = compose.confirmation(
        signon.email,
        signon.lang,
        campaign,
        signon.answers.get("organization", ""),
        public_url("pledge.confirm", token=fresh),
        max_age_hours=current_app.config["PLEDGE_CONFIRM_MAX_AGE"] // 3600,
    )
    pledge.store.enqueue_mail(mail, signon.id)
    pledge.mail_queued()
    return _page("link_renewed.html", signon.lang, sent_at=time.time(), **_context(signon))
