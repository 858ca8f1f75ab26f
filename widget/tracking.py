"""Each request's id and route class, for the logs, the ``X-Request-ID`` header and the metrics.

:class:`Tracking` is the WSGI layer in front of everything of ours (the fast path included): it gives each
request an id (a well-formed ``X-Request-ID`` from the trusted proxy, else a new one), returns it as
``X-Request-ID``, keeps it and the request's route class for the log records made meanwhile (gunicorn's
access line included: it is written before the answer is closed), and times the request.

A route class is a handful of words (``widget``, ``signon``, ``api``, ``confirm``...) read from the path:
metrics and logs group requests by it without an unbounded label per address.
"""
from __future__ import annotations

import os
import re
import time
from contextvars import ContextVar
from typing import Any, Callable, Iterable, Iterator

from . import metrics

#: An incoming request id we keep as it is: letters, digits and ``._:-``, 1 to 128 of them (nginx's
#: ``$request_id`` is 32 hex digits, a UUID 36 characters); anything else is replaced by one of ours.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")

#: The first segment of a path (after the prefix) → its route class; any other is ``other``.
ROUTE_CLASSES = {
    "": "front", "w": "widget", "embed.js": "loader", "embed": "loader", "pledge-static": "static", "api": "api",
    "oembed": "api", "badge": "badge", "c": "list", "confirm": "confirm", "withdraw": "withdraw",
    "leave-list": "withdraw", "progress": "progress", "host": "host", "admin": "admin", "healthz": "health",
    "readyz": "health", "metrics": "metrics", "robots.txt": "static",
}

#: ``(request id, route class)`` of the request this thread is answering, or None.
_CURRENT: ContextVar[tuple[str, str] | None] = ContextVar("pledge_request", default=None)


def current() -> tuple[str, str] | None:
    """``(request id, route class)`` of the request being answered, or None outside one."""
    return _CURRENT.get()


def new_request_id() -> str:
    return os.urandom(16).hex()


def route_class(method: str, path: str, prefix: str = "") -> str:
    """The route class of a request: ``signon`` for a POST of a widget, else by the path's first segment."""
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            return "other"
        path = path[len(prefix):]
    segments = path.lstrip("/").split("/")
    found = ROUTE_CLASSES.get(segments[0], "other")
    if found == "widget" and method == "POST" and len(segments) == 2:
        return "signon"
    return found


class Tracking:
    """WSGI middleware: the request id, the route class and the time of every request."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], prefix: str = "", trust_incoming: bool = False):
        self.wsgi_app = wsgi_app
        self.prefix = prefix
        #: Only a request that came through the trusted proxy (``PLEDGE_PROXY_FIX``) may name its id.
        self.trust_incoming = trust_incoming

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if self.trust_incoming and WELL_FORMED.match(incoming) else new_request_id()
        route = route_class(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), self.prefix)
        environ["pledge.request_id"] = request_id
        _CURRENT.set((request_id, route))
        status = [500]

        def start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(status_line[:3])
            headers.append(("X-Request-ID", request_id))  # nothing of ours sets one: ours is the only one
            return start_response(status_line, headers, exc_info)

        def done() -> None:
            metrics.request_done(route, status[0], time.perf_counter() - started)
            _CURRENT.set(None)

        try:
            body = self.wsgi_app(environ, start)
        except BaseException:
            done()
            raise
        return Closing(body, done)


class Closing:
    """A WSGI answer's body that calls ``done`` when the server closes it (after the last byte went out, and
    after gunicorn wrote its access line); werkzeug's ClosingIterator does more, and costs a page's worth."""

    __slots__ = ("body", "done")

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]):
        self.body, self.done = body, done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done()
