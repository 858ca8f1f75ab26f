"""The withdraw link of every e-mail: GET shows a button, POST deletes the sign-on and its data."""
from __future__ import annotations

from werkzeug.wrappers import Response

from .. import signons
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
