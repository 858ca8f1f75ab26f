"""One-click unsubscribe from a host's notification e-mails (RFC 8058).

``GET`` shows a button and changes nothing (mail scanners open links); ``POST`` switches the kind of
notification off. The POST needs neither a session nor a CSRF token: mail clients send
``List-Unsubscribe=One-Click`` with no cookie. No form class here, so no CSRF check; the signed token
in the path is the authority, and all it can do is switch mail off.
"""
from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from .. import i18n, notifications
from ..tokens import TokenInvalid
from .blueprint import bp
from ..views.common import current_language, private_page


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], merge_slashes=False, endpoint="unsubscribe")
def host_unsubscribe(token: str) -> Response:
    try:
        host, kind = notifications.read_unsubscribe_token(token)
    except TokenInvalid:
        return private_page("link_invalid.html", current_language(), 400, campaign=None)
    lang = (i18n.pick(host.lang) if host is not None else None) or current_language()
    done = request.method == "POST"
    if done and host is not None:
        notifications.unsubscribe(host, kind)
    return private_page("host/unsubscribed.html", lang, campaign=None, kind=kind, token=token, done=done)
