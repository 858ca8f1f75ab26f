"""``POST /w/<site_key>/health``: the loader's report that a site's widget could not show on a page.

Every POST of ours is checked against cross-site forgery (a CSRF token or Fetch Metadata). This one is meant
to come from any other site: the loader on a host page sends it with ``navigator.sendBeacon``, a "no-cors"
request with no body. What protects it instead:

- it acts on nobody's authority: it reads no cookie (no session, no account) and sets none, so a forged
  report can do nothing a stranger's own report could not;
- it changes nothing but one bounded report row per site and origin (a reason, a count, two dates; at most
  20 origins a site, see :mod:`widget.store.embed_health`) and, at most once a week per site, a mail to the
  host that names no page;
- Fetch Metadata, where the browser sends it, must say what a beacon is (``Sec-Fetch-Mode: no-cors``), and
  an ``Origin`` header, where sent, must be the origin the report names; the body must be empty or tiny;
- it is rate-limited per client (``PLEDGE_RATELIMIT_HEALTH``), and every answer is the same 204 whatever
  happened (an unknown key, a bad reason), so it tells nothing about sites either.
"""
from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from .. import embed_health
from .blueprint import blueprint
from .widget import public_site

#: The largest body a report may carry (a beacon sends none): anything larger is refused unread.
MAX_BODY = 1024


@blueprint.post("/w/<site_key>/health", merge_slashes=False)
def widget_health(site_key: str) -> Response:
    """Keep the report (``?reason=csp|refused|timeout&origin=...``, the frame's own query) and answer 204."""
    if (request.content_length or 0) > MAX_BODY or "Transfer-Encoding" in request.headers:
        return _answer(413)
    found = public_site(site_key)
    origin = embed_health.reported_origin(request.args.get("origin"))
    reason = request.args.get("reason")
    sent_by = request.headers.get("Origin")
    if (found is not None and origin is not None and reason in embed_health.REASONS
            and request.headers.get("Sec-Fetch-Mode", "no-cors") == "no-cors"
            and (sent_by in (None, "null") or embed_health.reported_origin(sent_by) == origin)):
        embed_health.report(found[0], origin, reason)
    return _answer(204)


def _answer(status: int) -> Response:
    response = Response(status=status)
    response.headers["Cache-Control"] = "no-store"
    # Whoever sent it may read nothing of the answer: there is nothing to read.
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
