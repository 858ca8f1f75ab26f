"""Commitments followed through, the visitor's side: stopping check-ins or news in one click, and the
progress link of a check-in (GET shows the form, POST records; a mail scanner's GET records nothing)."""
from __future__ import annotations

from flask import abort, request
from werkzeug.wrappers import Response

from .. import checkins
from ..appstate import state
from ..store import SignOn
from ..store.progress import PROGRESS_STATUSES, ProgressLink
from ..tokens import TokenExpired, TokenInvalid
from .blueprint import blueprint
from .common import current_language, private_page
from .confirm import invalid_link
from .share import same_origin_post


# -- one click off (RFC 8058) --------------------------------------------------------------------------


@blueprint.route("/stop/<token>", methods=["GET", "POST"], merge_slashes=False, endpoint="stop_mail")
def stop_mail(token: str) -> Response:
    """GET asks, POST stops. The POST needs no session nor CSRF token: mail clients send
    ``List-Unsubscribe=One-Click`` without cookies; the signed token is the authority, and all it can
    do is stop mail."""
    try:
        signon, kind = checkins.read_stop_token(token)
    except TokenInvalid:
        return invalid_link()
    lang = signon.lang if signon is not None else current_language()
    done = request.method == "POST"
    if done and signon is not None:
        checkins.stop(signon, kind)
    campaign = state().campaign(signon.campaign) if signon is not None and signon.campaign in state().campaigns else None
    return private_page("stop_mail.html", lang, kind=kind, token=token, done=done, campaign=campaign)


# -- the progress link ---------------------------------------------------------------------------------


def _progress_link(token: str) -> tuple[ProgressLink | None, SignOn | None, Response | None, bool]:
    """``(link, sign-on, error page, expired)`` of a progress token."""
    pledge = state()
    expired = False
    try:
        link_id, _issued = pledge.tokens.loads("progress", token)
    except TokenInvalid:
        return None, None, invalid_link(), False
    except TokenExpired as exc:
        link_id, expired = exc.payload, True
    link = pledge.store.get_progress_link(link_id) if isinstance(link_id, str) else None
    signon = pledge.store.get_signon(link.signon_id) if link is not None else None
    if signon is None or signon.status != "confirmed" or signon.campaign not in pledge.campaigns:
        return None, None, private_page("link_unknown.html", current_language(), 404), expired
    return link, signon, None, expired


def _page(template: str, signon: SignOn, status: int = 200, **context) -> Response:
    return private_page(template, signon.lang, status, campaign=state().campaign(signon.campaign), signon=signon,
                        statuses=PROGRESS_STATUSES, status_labels=checkins.STATUS_LABELS, max_update=checkins.MAX_UPDATE,
                        **context)


@blueprint.get("/progress/<token>", merge_slashes=False)
def progress(token: str) -> Response:
    link, signon, error, expired = _progress_link(token)
    if error:
        return error
    if expired or link.used_at is not None:
        return _page("progress_expired.html", signon, 410, token=token)
    return _page("progress.html", signon, token=token, chosen="", update="", problem=None)


def _posted_link(token: str) -> tuple[ProgressLink | None, SignOn | None, Response | None, bool]:
    """:func:`_progress_link` for a POST, which must come from our own page (Fetch Metadata, or Origin)."""
    if not same_origin_post():  # a cross-site form: the page in our words, nothing recorded
        abort(400)
    return _progress_link(token)


@blueprint.post("/progress/<token>", merge_slashes=False)
def progress_post(token: str) -> Response:
    link, signon, error, expired = _posted_link(token)
    if error:
        return error
    if expired or link.used_at is not None:
        return _page("progress_expired.html", signon, 410, token=token)
    chosen = request.form.get("status", "")
    update = (request.form.get("update") or "").replace("\r\n", "\n").strip()
    problem = None if chosen in PROGRESS_STATUSES else "status"
    update_problem = checkins.update_problem(update)
    if problem or update_problem:
        return _page("progress.html", signon, 400, token=token, chosen=chosen, update=update, problem=problem,
                     update_problem=update_problem)
    result = checkins.report(link.id, chosen, update)
    if result == "used":
        return _page("progress_expired.html", signon, 410, token=token)
    if result == "gone":  # withdrawn meanwhile: nothing changed
        return private_page("link_unknown.html", signon.lang, 404)
    return _page("progress_done.html", signon, chosen=chosen, with_update=bool(update))


@blueprint.post("/progress/<token>/renew", merge_slashes=False)
def progress_renew(token: str) -> Response:
    """A used or expired (but genuine) link: mail a fresh one to the signatory's address."""
    _link, signon, error, _expired = _posted_link(token)
    if error:
        return error
    # Within the cool-down the page says the same: nobody learns more by pressing twice.
    checkins.send_new_link(signon)
    return _page("progress_renewed.html", signon)
