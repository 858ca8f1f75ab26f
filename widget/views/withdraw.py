"""The withdraw link of every e-mail: GET shows a button, POST deletes the sign-on and its data."""
from __future__ import annotations

from flask import abort, request
from werkzeug.wrappers import Response

from .. import checkins, signons
from ..appstate import state
from .blueprint import blueprint
from .common import private_page
from .confirm import signon_from_token


@blueprint.get("/withdraw/<token>", merge_slashes=False)
def withdraw(token: str) -> Response:
    signon, error, _expired = signon_from_token("withdraw", token)
    if error:
        return error
    campaign = state().campaign(signon.campaign)
    return private_page("withdraw.html", signon.lang, token=token, campaign=campaign, signon=signon)


@blueprint.post("/withdraw/<token>", merge_slashes=False)
def withdraw_post(token: str) -> Response:
    signon, error, _expired = signon_from_token("withdraw", token)
    if error:
        return error
    signons.withdraw(signon.id)
    return private_page("withdraw_done.html", signon.lang, campaign=state().campaign(signon.campaign))


@blueprint.post("/withdraw/<token>/mail", merge_slashes=False)
def withdraw_mail(token: str) -> Response:
    """Keep the signature, stop check-ins or news (``kind``): the withdraw link's token is the authority."""
    signon, error, _expired = signon_from_token("withdraw", token)
    if error:
        return error
    kind = request.form.get("kind", "")
    if kind not in checkins.STOP_KINDS:
        abort(400)
    checkins.stop(signon, kind)
    return private_page("stop_mail.html", signon.lang, kind=kind, token=None, done=True,
                        campaign=state().campaign(signon.campaign))
