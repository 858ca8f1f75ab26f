"""Request-rate limits per client IP with Flask-Limiter, on the routes that send mail or write, and on
searches of the public list (each new search text gets past every cache to the database).

Limits live in ``PLEDGE_RATELIMIT_STORAGE_URI``. With several worker processes or nodes use Redis
(``redis://host:6379``): the ``memory://`` storage keeps one count per process, so N workers would
allow N times the limit.

When Redis is down we fail open, on Flask-Limiter's in-memory fallback: each process goes on limiting
with its own counters (looser by the number of processes, never absent) and goes back to Redis once
it answers again. Failing closed would turn a Redis outage into a campaign outage, every sign-on
refused; and what these limits protect is also guarded in the database, exactly, whatever Redis does
(the per-address, per-site and per-client limits that hold sign-ons aside, and the mails per address).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from . import metrics
from .appstate import state

WRITES = ("POST", "PUT", "PATCH", "DELETE")
#: Reads that search: a search text is a new query for the database each time, cached or not.
SEARCHES = frozenset({"pledge.signatories", "pledge.api_signatories"})
#: endpoint → (config key of its limit, methods it applies to)
LIMITED = {
    "pledge.signatories": ("PLEDGE_RATELIMIT_SEARCH", ["GET"]),
    "pledge.api_signatories": ("PLEDGE_RATELIMIT_SEARCH", ["GET"]),
    "pledge.widget": ("PLEDGE_RATELIMIT_SIGNON", ["POST"]),
    "pledge.confirm_post": ("PLEDGE_RATELIMIT_CONFIRM", ["POST"]),
    "pledge.withdraw_post": ("PLEDGE_RATELIMIT_CONFIRM", ["POST"]),
    "pledge.renew": ("PLEDGE_RATELIMIT_RESEND", ["POST"]),
    "pledge.widget_health": ("PLEDGE_RATELIMIT_HEALTH", ["POST"]),
    "host.start": ("PLEDGE_RATELIMIT_HOST_LOGIN", ["POST"]),
    "host.login": ("PLEDGE_RATELIMIT_HOST_LOGIN", ["POST"]),
    # The desk's sign-in (its codes are also limited per admin address, in the database: widget.admin.signin).
    "admin.login": ("PLEDGE_RATELIMIT_HOST_LOGIN", ["POST"]),
    "admin.login_link": ("PLEDGE_RATELIMIT_HOST_LOGIN", ["POST"]),
    "admin.totp": ("PLEDGE_RATELIMIT_HOST_LOGIN", ["POST"]),
    "admin.enrol": ("PLEDGE_RATELIMIT_HOST_LOGIN", ["POST"]),
}


def init_rate_limits(app: Flask) -> Limiter | None:
    """Limit our write routes per client IP; None when ``PLEDGE_RATELIMIT_ENABLED`` is off."""
    if not app.config["PLEDGE_RATELIMIT_ENABLED"]:
        return None
    limiter = Limiter(
        get_remote_address,  # the real client behind PLEDGE_PROXY_FIX trusted proxies, never a header
        app=app,
        storage_uri=app.config["PLEDGE_RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        key_prefix="pledge",
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,  # a storage error is logged; the request is served
        # A dead Redis must not hold every request for the client's default timeout.
        storage_options=_storage_options(app.config["PLEDGE_RATELIMIT_STORAGE_URI"]),
        on_breach=_breached,
    )
    # Every limit is on a write or a search: other reads (millions of widget views) skip the limiter's
    # work altogether, its per-request check included (a third of a cached widget page's cost).
    limiter.request_filter(lambda: not _counted())
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__self__", None) is limiter:
            hooks[index] = _only_when_counted(hook)
    for endpoint, (key, methods) in LIMITED.items():
        # The list's page and its JSON search the same rows: one count of searches for both.
        limit = (limiter.shared_limit(app.config[key], scope="search", methods=methods) if endpoint in SEARCHES
                 else limiter.limit(app.config[key], methods=methods))
        app.view_functions[endpoint] = _limited_when_counted(app.view_functions[endpoint], limit)
    return limiter


def _breached(_limit: Any) -> None:
    """A limit refused this request: a sign-on refused, for the metrics (by its site's campaign)."""
    if request.endpoint == "pledge.widget" and request.method == "POST":
        site = state().store.get_site((request.view_args or {}).get("site_key", ""))
        metrics.signon(site.campaign if site else "", "refused", "rate_limited")


def _counted() -> bool:
    """Whether this request counts toward a limit: a write, or a search of the public list."""
    return request.method in WRITES or (request.endpoint in SEARCHES and bool(request.args.get("q", "").strip()))


def _limited_when_counted(view: Callable[..., Any], limit: Callable[[Callable[..., Any]], Callable[..., Any]]
                          ) -> Callable[..., Any]:
    """``view`` behind ``limit`` for the requests that count (:func:`_counted`), and as it is for others."""
    limited = limit(view)

    @functools.wraps(view)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        return (limited if _counted() else view)(*args, **kwargs)

    return dispatch


def _only_when_counted(hook: Callable[[], Any]) -> Callable[[], Any]:
    """A before-request ``hook`` that runs for the requests that count only."""

    @functools.wraps(hook)
    def run() -> Any:
        return hook() if _counted() else None

    return run


def _storage_options(uri: str) -> dict[str, float]:
    if uri.startswith(("redis://", "rediss://", "redis+")):
        return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return {}
