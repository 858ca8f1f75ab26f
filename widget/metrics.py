"""What the service counts for Prometheus (``prometheus_client``): every metric's name starts with ``pledge_``.

Counters move where the thing happens (a sign-on's outcome, a mail sent, a page served from the cache) and
live in the process that counted them. Under gunicorn each worker is a process of its own: with
``PROMETHEUS_MULTIPROC_DIR`` set (before the service starts, and emptied at each start: see
``deploy/gunicorn.conf.py``), prometheus_client writes each process's values to a file there, and
:func:`exposition` adds up the files of every worker (and of a ``mail worker`` sharing the folder), so one
scrape of any worker reads the whole service's counts. Without it (the development server, one process) the
values stay in memory.

What the database knows (the queue of mail, readiness) is read at scrape time instead, by collectors the
caller passes to :func:`exposition` (see :mod:`widget.health`): one truth for every worker.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "exposition"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Seconds: the fast path answers in tens of microseconds, a sign-on in milliseconds, a slow page in seconds.
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Registered nowhere at import: each scrape builds its own registry (see exposition), so that several apps of
# one process (tests, a host app) never clash over the global one.
SIGNONS = Counter("pledge_signons", "Sign-ons sent through a widget's form, by campaign and outcome: pending "
                  "(mailed), held (by the limit named in reason), already (the mailbox had signed), refused "
                  "(reason: the first field in error, bot, rate_limited...).",
                  ["campaign", "outcome", "reason"], registry=None)
CONFIRMATIONS = Counter("pledge_confirmations", "Sign-ons confirmed by their link, by campaign.", ["campaign"],
                        registry=None)
WITHDRAWALS = Counter("pledge_withdrawals", "Sign-ons withdrawn by their signatory, by campaign.", ["campaign"],
                      registry=None)
MAILS_QUEUED = Counter("pledge_mails_queued", "E-mails queued in the outbox, by kind (confirm, host_login, "
                       "digest...).", ["kind"], registry=None)
MAILS_SENT = Counter("pledge_mails_sent", "E-mails the SMTP server accepted.", registry=None)
MAILS_FAILED = Counter("pledge_mails_failed", "E-mails that failed for good (a 5xx answer).", registry=None)
MAIL_RETRIES = Counter("pledge_mail_attempts_failed", "Delivery attempts that failed and will be retried.",
                       registry=None)
BOUNCES = Counter("pledge_bounces", "Messages read by `mail bounces`, by what they were: hard, soft, ignored "
                  "(not a delivery report), unverified (no valid bounce address), unknown (no such e-mail).",
                  ["kind"], registry=None)
WEBHOOKS = Counter("pledge_webhook_deliveries", "Webhook delivery attempts, by outcome (delivered, failed).",
                   ["outcome"], registry=None)
PAGE_CACHE = Counter("pledge_page_cache_lookups", "Look-ups of the kept public pages, by layer (fast: the WSGI "
                     "fast path; app: inside Flask), page and result (hit, miss).",
                     ["layer", "page", "result"], registry=None)
REQUESTS = Histogram("pledge_request_duration_seconds", "Time to answer a request, by route class.", ["route"],
                     buckets=DURATION_BUCKETS, registry=None)
RESPONSES = Counter("pledge_responses", "Answers, by route class and status class (2xx, 3xx, 4xx, 5xx).",
                    ["route", "status"], registry=None)

OURS = (SIGNONS, CONFIRMATIONS, WITHDRAWALS, MAILS_QUEUED, MAILS_SENT, MAILS_FAILED, MAIL_RETRIES, BOUNCES,
        WEBHOOKS, PAGE_CACHE, REQUESTS, RESPONSES)


def signon(campaign: str, outcome: str, reason: str = "") -> None:
    SIGNONS.labels(campaign, outcome, reason).inc()


# The children of the labels each public read counts, found once: a cached page costs microseconds.
@lru_cache(maxsize=256)
def _page_cache(layer: str, page: str, result: str) -> Any:
    return PAGE_CACHE.labels(layer, page, result)


@lru_cache(maxsize=256)
def _request(route: str, status: str) -> tuple[Any, Any]:
    return REQUESTS.labels(route), RESPONSES.labels(route, status)


def page_cache(layer: str, page: str, hit: bool) -> None:
    _page_cache(layer, page, "hit" if hit else "miss").inc()


def request_done(route: str, status: int, seconds: float) -> None:
    duration, responses = _request(route, f"{status // 100}xx")
    duration.observe(seconds)
    responses.inc()


def multiprocess_dir() -> str | None:
    """The folder of the processes' values, when prometheus_client runs in multiprocess mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


def prepare() -> None:
    """Make sure the processes' folder exists (a process counting before anything made it would fail)."""
    folder = multiprocess_dir()
    if folder:
        os.makedirs(folder, exist_ok=True)


def exposition(collectors: Iterable[object] = ()) -> bytes:
    """Every ``pledge_`` metric in Prometheus's text format: the counters of every process sharing
    ``PROMETHEUS_MULTIPROC_DIR`` added up (else this process's), and the ``collectors`` read now."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in OURS:
            registry.register(metric)
    for collector in collectors:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry)
