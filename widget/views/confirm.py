"""The confirmation link: GET shows a button, POST confirms (a mail scanner's GET confirms nothing)."""
from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

from .. import signons
from ..appstate import state
from ..store import SignOn
from ..store.listing import public_id
from ..tokens import TokenExpired, TokenInvalid
from .blueprint import blueprint
from .common import current_language, private_page
from .share import share_context


def invalid_link() -> Response:
    return private_page("link_invalid.html", current_language(), 400)


def signon_from_token(purpose: str, token: str) -> tuple[SignOn | None, Response | None, bool]:
    """``(sign-on, error page, expired)`` for a confirm or withdraw token."""
    pledge = state()
    expired = False
    try:
        signon_id, _issued = pledge.tokens.loads(purpose, token)
    except TokenInvalid:
        return None, invalid_link(), False
    except TokenExpired as exc:
        signon_id, expired = exc.payload, True
    if not isinstance(signon_id, str):
        return None, invalid_link(), False
    signon = pledge.store.get_signon(signon_id)
    if signon is None or signon.campaign not in pledge.campaigns:  # a campaign the operator removed
        return None, private_page("link_unknown.html", current_language(), 404), expired
    g.pledge_lang = signon.lang
    return signon, None, expired


def _context(signon: SignOn) -> dict:
    pledge = state()
    campaign = pledge.campaign(signon.campaign)
    return {
        "signon": signon,
        "campaign": campaign,
        "counts": pledge.store.counts(campaign.slug, signon.site_key),
    }


def thank_you_page(signon: SignOn, already: bool, mailbox_proven: bool) -> Response:
    """The thank-you page: the count, its entry in the count log, ways to share, and (mailbox just proven)
    becoming a host."""
    context = _context(signon)
    # The public id its confirmation has in the campaign's count log (GET /api/v1/campaigns/<c>/log).
    log_id = public_id(signon.id) if signon.status == "confirmed" else None
    return private_page("confirm_done.html", signon.lang, already=already, log_id=log_id,
                        **share_context(signon, context["campaign"], mailbox_proven), **context)


@blueprint.get("/confirm/<token>", merge_slashes=False)
def confirm(token: str) -> Response:
    signon, error, expired = signon_from_token("confirm", token)
    if error:
        return error
    if signon.status == "confirmed":
        # An expired link clicked again (or forwarded) still shows the thanks, but proves no mailbox.
        return thank_you_page(signon, already=True, mailbox_proven=not expired)
    if expired:
        return private_page("link_expired.html", signon.lang, 410, token=token, **_context(signon))
    return private_page("confirm.html", signon.lang, token=token, **_context(signon))


@blueprint.post("/confirm/<token>", merge_slashes=False)
def confirm_post(token: str) -> Response:
    signon, error, expired = signon_from_token("confirm", token)
    if error:
        return error
    if signon.status != "confirmed" and expired:
        return private_page("link_expired.html", signon.lang, 410, token=token, **_context(signon))
    result = signons.confirm(signon.id)
    return thank_you_page(result.signon or signon, already=result.status != "confirmed", mailbox_proven=not expired)


@blueprint.post("/confirm/<token>/renew", merge_slashes=False)
def renew(token: str) -> Response:
    """An expired but genuine link: send a fresh one to the same address."""
    signon, error, _expired = signon_from_token("confirm", token)
    if error:
        return error
    if signon.status == "confirmed":
        return thank_you_page(signon, already=True, mailbox_proven=False)
    if state().campaigns.now(signon.campaign).status() != "open":  # closed or paused: links still valid only
        return private_page("link_expired.html", signon.lang, 410, token=token, **_context(signon))
    # Within the cool-down, or over the day's share of mail for this address, the page says the same.
    cooling_down = not signons.send_new_link(signon)
    return private_page("link_renewed.html", signon.lang, cooling_down=cooling_down, **_context(signon))
