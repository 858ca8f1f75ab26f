"""The fast path of public reads: a WSGI layer in front of the Flask app that answers a GET of a page this
process keeps (the widget page, the count API, the loader, static files) straight from the page cache.

A cached widget page through Flask still costs its request context, session, hooks and routing: five
times a bare "hello". Millions of widget loads should cost what a static file costs. Anything this layer
does not hold, or that must reach the app (a POST, a first visit, a "last seen" to record), goes on to Flask,
which renders the page and keeps it for the next visitors.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.wsgi import get_host

from .assets import static_asset
from .caching import Page, choose_coding
from .appstate import state
from .hosts import seen_is_due
from .trusted_hosts import is_trusted
from .views.common import HSTS, SECURITY_HEADERS
from .views.widget import QUERY, SITE_KEY, own_origin, widget_key


#: The page cache's layer name for the look-ups of this fast path (see :mod:`widget.metrics`).
FAST = "fast"


class PublicReads:
    """WSGI middleware: serve kept public pages without entering Flask."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.wsgi_app = wsgi_app
        self.prefix = app.config["PLEDGE_URL_PREFIX"] or ""
        self.seen_interval = app.config["PLEDGE_SEEN_INTERVAL"]
        self.hosts: dict[tuple[str | None, ...], str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # A request with a body (whatever its size or framing) goes to the app, which refuses one too large.
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and not has_body(environ):
            try:
                found = self.kept(environ)
            except Exception:  # whatever it is, the app answers it (and logs it) as it would without us
                found = None
            if found is not None:
                return self.send(found, environ, start_response)
        return self.wsgi_app(environ, start_response)

    def kept(self, environ: dict[str, Any]) -> Page | None:
        path = environ.get("PATH_INFO", "")
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return None
            path = path[len(self.prefix):]
        pledge = state(self.app)
        own = self.own_origin(environ, pledge.trusted_hosts)
        if own is None:
            return None  # a host of nobody's: the app answers 400
        # A campaign changed (paused, closed, edited in the desk)? Then the kept pages are dropped first: one
        # row read at most every PLEDGE_CAMPAIGN_REFRESH_SECONDS.
        pledge.campaigns.refresh()
        if path.startswith("/w/"):
            site_key = path[3:]
            if not SITE_KEY.match(site_key):
                return None
            query = self.query(environ)
            page = pledge.pages.get(widget_key(site_key, query, environ.get("HTTP_ACCEPT_LANGUAGE", ""), own,
                                               links_on_host=not self.app.config.get("PLEDGE_PUBLIC_URL")), FAST)
            if page is not None and self.to_record(pledge, page, query.get("origin")):
                return None  # the app records where the widget was seen, then serves the page
            return page
        if path.startswith("/api/v1/sites/") and path.endswith("/count"):
            return pledge.pages.get(("count", path[len("/api/v1/sites/"):-len("/count")]), FAST)
        if path == "/embed.js":
            return pledge.pages.get(("embed",), FAST)
        if path == "/embed/v1.js":
            return pledge.pages.get(("embed", "v1"), FAST)
        if path.startswith("/pledge-static/"):
            filename = path[len("/pledge-static/"):]
            asset = static_asset(filename)
            versioned = asset is not None and self.query(environ, ("v",)).get("v") == asset.version
            return pledge.pages.get(("static", filename, versioned), FAST)
        return None

    def own_origin(self, environ: dict[str, Any], trusted: tuple[str, ...] | None) -> str | None:
        """This request's own origin (:func:`widget.views.widget.own_origin`, as the view keys its pages),
        or None when its host is not trusted (:func:`widget.trusted_hosts.is_trusted`). Remembered for the few
        hosts a service is asked on: working it out costs as much as the rest of a kept page."""
        asked = (environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
                 environ.get("SERVER_PORT"))
        known = self.hosts.get(asked)
        if known is None:
            if len(self.hosts) >= 64:  # a stranger's stream of made-up hosts: start again
                self.hosts.clear()
            host = get_host(environ)
            known = self.hosts[asked] = own_origin(environ) if is_trusted(host, trusted) else ""
        return known or None

    @staticmethod
    def query(environ: dict[str, Any], names: Iterable[str] = QUERY) -> dict[str, str]:
        query: dict[str, str] = {}
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            if name in names:
                query.setdefault(name, value)  # the first value, as request.args gives it
        return query

    def to_record(self, pledge: Any, page: Page, origin: str | None) -> bool:
        """Whether this view is one to record as "last seen" (see :func:`widget.hosts.widget_seen`)."""
        return page.extra is not None and seen_is_due(pledge.seen, page.extra, origin, self.seen_interval, time.time())

    @staticmethod
    def send(page: Page, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        coding = choose_coding(environ.get("HTTP_ACCEPT_ENCODING", ""), page.etags)
        etag = f'"{page.etags[coding]}"'
        headers = list(page.headers)
        names = {name.lower() for name, _ in headers}
        headers += [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in names]
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", HSTS))
        headers.append(("ETag", etag))
        if coding:
            headers.append(("Content-Encoding", coding))
        if etag in environ.get("HTTP_IF_NONE_MATCH", "") or environ.get("HTTP_IF_NONE_MATCH", "").strip() == "*":
            start_response("304 Not Modified", [h for h in headers if h[0] != "Content-Type"])
            return [b""]
        body = page.body(coding)
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{page.status} OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def has_body(environ: dict[str, Any]) -> bool:
    """Whether a request comes with a body: a Content-Length above 0, or one sent in chunks."""
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ
