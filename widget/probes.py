"""The operator's addresses, answered before Flask: ``/healthz`` and ``/readyz`` for load balancers, ``/metrics``
for Prometheus (under ``PLEDGE_URL_PREFIX``).

A WSGI layer of their own, in front of the app and its fast path, whatever ``PLEDGE_FAST_PATH`` says: a load
balancer asks by the node's own address, which is no host the service answers pages on (see
:mod:`widget.trusted_hosts`), and none of these answers holds a link built on the host. They are never cached
(``no-store``) and never rate-limited (they never reach the limiter).

``/metrics`` is answered only with ``PLEDGE_METRICS``, and only to a request straight from loopback (no proxy
header) or one carrying ``Authorization: Bearer`` and ``PLEDGE_METRICS_TOKEN``; any other request goes on to the
app, which has no such address: the ordinary 404, nothing that tells a stranger there is something to guess.
"""
from __future__ import annotations

import hmac
import ipaddress
from typing import Any, Callable, Iterable

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from . import health, metrics
from .appstate import state
from .views.common import HSTS, SECURITY_HEADERS

#: Headers a proxy adds: a request carrying one did not come straight from this machine's own client.
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


class Probes:
    """WSGI middleware: ``/healthz``, ``/readyz`` and ``/metrics``."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.wsgi_app = wsgi_app
        prefix = app.config["PLEDGE_URL_PREFIX"] or ""
        self.paths = {prefix + "/healthz": self.alive, prefix + "/readyz": self.ready, prefix + "/metrics": self.metrics}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = self.paths.get(environ.get("PATH_INFO", ""))
        found = answer(environ) if answer is not None and environ.get("REQUEST_METHOD") in ("GET", "HEAD") else None
        if found is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = found
        headers = [*headers, *SECURITY_HEADERS, ("Content-Length", str(len(body)))]
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", HSTS))
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def alive(self, _environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        return health.alive_answer()

    def ready(self, _environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        pledge = state(self.app)
        pledge.ensure_sender()  # a node that only load balancers talk to still sends its mail
        return health.ready_answer(pledge.store, self.app.config["PLEDGE_READY_MAIL_SECONDS"])

    def metrics(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        config = self.app.config
        if not config["PLEDGE_METRICS"] or not metrics_allowed(environ, config["PLEDGE_METRICS_TOKEN"]):
            return None
        collector = health.StoreCollector(state(self.app).store, config["PLEDGE_READY_MAIL_SECONDS"])
        return 200, [("Content-Type", metrics.CONTENT_TYPE), health.NO_STORE], metrics.exposition([collector])


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
