"""Caching of public reads: what browsers and proxies may keep (Cache-Control, strong ETags, 304s), and
the pages each process keeps rendered for a few seconds.

Every host page view loads our widget: millions of loads for each sign-on. A public read must cost next
to nothing: the same page for the same site, language, mode and theme is rendered once per process and
per ``PLEDGE_CACHE_SECONDS``, kept compressed, and sent again as it is, or as a 304. Private pages (host
pages, confirm and withdraw links, every POST) keep ``no-store``; nothing here touches them.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Hashable, Iterable

from flask import current_app, request
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response

from . import metrics
from .assets import MIN_COMPRESS, Asset

#: Headers of a rendered response worth keeping with its body (the rest are added per request).
KEPT = ("Content-Type", "Content-Security-Policy", "X-Robots-Tag", "Access-Control-Allow-Origin",
        "Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy", "Content-Language")


#: The gzip level of kept pages: over thousands of sites nearly every widget view is a page compressed anew,
#: and level 4 takes 0.50 ms where level 6 took 0.84 ms (27 kB page) for a body about 1 % larger.
GZIP_LEVEL = 4


def public(response: Response, max_age: int | None = None) -> Response:
    """Let browsers and shared caches keep ``response`` for ``max_age`` seconds (``PLEDGE_CACHE_SECONDS``
    by default), then serve it stale while they fetch a new one, and for a day if we are down (as the UK
    Parliament's petition counts do)."""
    response.headers["Cache-Control"] = public_control(max_age)
    return response


def public_control(max_age: int | None = None) -> str:
    """The ``Cache-Control`` value of :func:`public`."""
    config = current_app.config
    max_age = config["PLEDGE_CACHE_SECONDS"] if max_age is None else max_age
    return (f"public, max-age={max_age}, stale-while-revalidate={config['PLEDGE_CACHE_STALE_SECONDS']}, "
            f"stale-if-error={config['PLEDGE_CACHE_ERROR_SECONDS']}")


def conditional(response: Response, etag: str) -> Response:
    """Give ``response`` its strong ETag, and turn it into a 304 when the client holds that version."""
    response.set_etag(etag)
    response = response.make_conditional(request)
    # Werkzeug adds a Date here, and every WSGI server (its own, gunicorn) sends one of its own: two.
    del response.headers["Date"]
    return response


def choose_coding(accept_encoding: str, available: Iterable[str | None]) -> str | None:
    """The content coding to send among ``available``: brotli where the client takes it, else gzip."""
    if not accept_encoding:
        return None
    accepted = parse_accept_header(accept_encoding)
    for coding in ("br", "gzip"):
        if coding in available and accepted[coding] > 0:
            return coding
    return None


@dataclass(frozen=True)
class Page:
    """A rendered response as it is sent again: its body as rendered and compressed, each with its tag."""

    status: int
    #: None: as rendered; "gzip", "br": compressed once. A page kept by :func:`keep` holds only its gzipped
    #: body when it has one (see :meth:`body`).
    bodies: dict[str | None, bytes]
    headers: tuple[tuple[str, str], ...]
    etags: dict[str | None, str]
    expires: float
    #: What the view needs again on a hit without asking the database (the widget's site).
    extra: Any = None

    def body(self, coding: str | None) -> bytes:
        """The body in ``coding`` (one of ``etags``): the plain one of a page kept gzipped only is unpacked
        for the few clients that take no gzip."""
        body = self.bodies.get(coding)
        return gzip.decompress(self.bodies["gzip"]) if body is None else body

    def response(self) -> Response:
        """A fresh response of this page, compressed as the client takes it (304 when the client's copy
        is this one)."""
        coding = choose_coding(request.headers.get("Accept-Encoding", ""), self.etags)
        response = current_app.response_class(self.body(coding), self.status, headers=list(self.headers))
        if coding:
            response.headers["Content-Encoding"] = coding
        return conditional(response, self.etags[coding])


def keep(response: Response, seconds: float, vary: str = "", extra: Any = None) -> Page:
    """A :class:`Page` of a freshly rendered ``response``; a body worth compressing is kept gzipped only
    (then ``Accept-Encoding`` joins ``vary``): nearly every client takes gzip, and a page cache of the same
    size then holds four times the pages."""
    body = response.get_data()
    bodies: dict[str | None, bytes] = {None: body}
    if len(body) >= MIN_COMPRESS:
        bodies["gzip"] = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        vary = ", ".join(filter(None, [vary, "Accept-Encoding"]))
    headers = [(name, response.headers[name]) for name in KEPT if name in response.headers]
    headers.append(("Cache-Control", response.headers.get("Cache-Control", "no-store")))
    if vary:
        headers.append(("Vary", vary))
    etags = {coding: hashlib.blake2b(data, digest_size=12).hexdigest() for coding, data in bodies.items()}
    if "gzip" in bodies:
        del bodies[None]
    return Page(response.status_code, bodies, tuple(headers), etags, time.monotonic() + seconds, extra)


def asset_page(asset: Asset, headers: list[tuple[str, str]], seconds: float) -> Page:
    """A :class:`Page` of a prepared file (its codings made once, at start)."""
    bodies: dict[str | None, bytes] = {None: asset.raw, **asset.encoded}
    if asset.encoded:
        headers = [*headers, ("Vary", "Accept-Encoding")]
    etags = {coding: asset.etag_for(coding) for coding in bodies}
    return Page(200, bodies, tuple(headers), etags, time.monotonic() + seconds)


class PageCache:
    """The pages of public reads this process rendered lately, by what they depend on; least recently
    used first out, each for a few seconds, at most ``size`` pages and ``max_bytes`` of bodies (a
    stranger's endless variations of a query cannot make a worker grow)."""

    def __init__(self, size: int = 4096, max_bytes: int = 64 * 2**20, parts: int = 1024):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._lock = threading.Lock()
        #: What pages are made of, the same for many of them (a campaign's widget page before a site's values
        #: are set in: see widget.views.widget_shell): kept as long as the pages, forgotten with them.
        self.parts = KeptParts(parts)

    def get(self, key: Hashable, layer: str = "app") -> Page | None:
        """The page kept under ``key``, or None; counted as a hit or a miss of ``layer`` (``app``: a view,
        ``fast``: the fast path) and of the page's kind (the key's first item: widget, count, embed...)."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None and page.expires <= time.monotonic():
                self._drop(key)
                page = None
            elif page is not None:
                self._pages.move_to_end(key)
        metrics.page_cache(layer, str(key[0]) if isinstance(key, tuple) and key else "other", page is not None)
        return page

    def put(self, key: Hashable, page: Page) -> None:
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self.bytes += _size(page)
            while self._pages and (len(self._pages) > self.size or self.bytes > self.max_bytes):
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        """Forget every page (a site changed in this process: its host should see it at once)."""
        with self._lock:
            self._pages.clear()
            self.bytes = 0
        self.parts.clear()

    def _drop(self, key: Hashable) -> None:
        self.bytes -= _size(self._pages.pop(key))


class KeptParts:
    """A bounded mapping, least recently used first out (no expiry: what it holds is dropped with the pages)."""

    def __init__(self, size: int):
        self.size = size
        self._parts: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
            return part

    def put(self, key: Hashable, part: Any) -> None:
        with self._lock:
            self._parts[key] = part
            self._parts.move_to_end(key)
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()

    def __len__(self) -> int:
        return len(self._parts)


def _size(page: Page) -> int:
    return sum(len(body) for body in page.bodies.values())
