"""The operator's addresses: ``/healthz`` and ``/readyz`` for load balancers, ``/metrics`` for Prometheus.

None of them is cached (``no-store``) nor rate-limited. The standalone service answers the first two in its
fast path (see :mod:`widget.fastpath`) before Flask; these views answer them otherwise (inside a host app).

``/metrics`` exists only with ``PLEDGE_METRICS``, for a request straight from loopback (no proxy between) or
one carrying ``Authorization: Bearer`` and ``PLEDGE_METRICS_TOKEN``; any other request gets the ordinary 404
page, as for an address that does not exist: nothing tells a stranger that there is something to guess.
"""
from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import abort, current_app, request
from werkzeug.wrappers import Response

from .. import health, metrics
from ..appstate import state
from .blueprint import blueprint

#: Headers a proxy adds: a request carrying one did not come straight from this machine's own client.
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _answer(status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
    return current_app.response_class(body, status, headers=headers)


@blueprint.route("/healthz", methods=["GET"])
def healthz() -> Response:
    return _answer(*health.alive_answer())


@blueprint.route("/readyz", methods=["GET"])
def readyz() -> Response:
    return _answer(*health.ready_answer(state().store, current_app.config["PLEDGE_READY_MAIL_SECONDS"]))


@blueprint.route("/metrics", methods=["GET"])
def metrics_page() -> Response:
    config = current_app.config
    if not config["PLEDGE_METRICS"] or not metrics_allowed(request.environ, config["PLEDGE_METRICS_TOKEN"]):
        abort(404)
    collector = health.StoreCollector(state().store, config["PLEDGE_READY_MAIL_SECONDS"])
    response = current_app.response_class(metrics.exposition([collector]), 200, content_type=metrics.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def metrics_allowed(environ: dict[str, Any], token: str | None) -> bool:
    """Whether a request may read the metrics: the right bearer token (compared in constant time), or a
    connection from loopback that no proxy passed on."""
    given = environ.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given[len("Bearer "):].strip().encode(), token.encode())
    # The address that connected, before PLEDGE_PROXY_FIX replaced it with the forwarded one.
    peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or environ.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1, from a server listening on [::]
    return (mapped or address).is_loopback and not any(name in environ for name in FORWARDED)
