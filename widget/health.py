"""Is the service alive, is it ready, and what the database says for the metrics.

- Alive (``/healthz``): the process answers; nothing else is asked (a load balancer restarts what fails it).
- Ready (``/readyz``): the database answers within :data:`READY_TIMEOUT` seconds, its schema has every
  migration of this code, and no e-mail has waited for its first attempt longer than
  ``PLEDGE_READY_MAIL_SECONDS`` (no sender runs, or none reaches the SMTP server). Otherwise 503 and a JSON
  ``reason``: a load balancer takes the node out until it is ready again.
- :class:`StoreCollector`: the gauges of the metrics that the database knows (the mail waiting, readiness),
  read at each scrape, one truth for every worker.
"""
from __future__ import annotations

import json
import time
from typing import Any, Iterator

from prometheus_client.core import GaugeMetricFamily

from .store.schema import MIGRATIONS

#: Seconds the readiness check waits for the database: under a load balancer's own time-out (often 5 s).
READY_TIMEOUT = 2.0


def readiness(store: Any, mail_bound: float, now: float | None = None) -> tuple[int, dict[str, Any]]:
    """``(200 or 503, the JSON answer)``: ``{"status": "ready" | "unavailable", "reason": ... (503 only),
    "checks": {"database", "migrations", "mail_queue"}}``. ``mail_bound``: seconds an e-mail may wait for
    its first attempt (0: not checked)."""
    now = time.time() if now is None else now
    head = len(MIGRATIONS)
    try:
        version, oldest = store.readiness(READY_TIMEOUT)
    except store.Unavailable:
        return 503, {"status": "unavailable", "reason": "database out of reach",
                     "checks": {"database": "out of reach"}}
    checks = {"database": "ok", "migrations": f"{version} of {head}", "mail_queue": "ok"}
    reasons = []
    if version < head:
        reasons.append(f"database schema behind: migration {version} of {head}")
    waited = now - oldest if oldest is not None else 0.0
    if mail_bound and waited > mail_bound:
        checks["mail_queue"] = f"stuck: the oldest new e-mail has waited {int(waited)} s"
        reasons.append(f"mail queue stuck: an e-mail has waited {int(waited)} s for its first attempt "
                       f"(over {int(mail_bound)} s)")
    if reasons:
        return 503, {"status": "unavailable", "reason": "; ".join(reasons), "checks": checks}
    return 200, {"status": "ready", "checks": checks}


class StoreCollector:
    """Gauges read from the database at each scrape: ``pledge_mail_waiting`` and
    ``pledge_mail_oldest_waiting_seconds`` (by ``state``: ``new``, never tried; ``retrying``),
    ``pledge_mail_failed`` (failed for good, still kept), ``pledge_ready`` (1 or 0) and
    ``pledge_database_up``."""

    def __init__(self, store: Any, mail_bound: float):
        self.store = store
        self.mail_bound = mail_bound

    def collect(self) -> Iterator[GaugeMetricFamily]:
        status, answer = readiness(self.store, self.mail_bound)
        database_up = int(answer["checks"]["database"] == "ok")
        if database_up:  # not waited for again when it did not answer the readiness check
            try:
                yield from self._outbox()
            except self.store.Unavailable:
                database_up = 0
        yield GaugeMetricFamily("pledge_database_up", "1 when the database answers.", value=database_up)
        yield GaugeMetricFamily("pledge_ready", "1 when /readyz answers 200 (see its JSON for why not).",
                                value=int(status == 200))

    def _outbox(self) -> list[GaugeMetricFamily]:
        waiting = GaugeMetricFamily("pledge_mail_waiting", "E-mails waiting to go out, by state (new: never "
                                    "tried; retrying: after a failed attempt).", labels=["state"])
        oldest = GaugeMetricFamily("pledge_mail_oldest_waiting_seconds", "How long the oldest e-mail waiting "
                                   "has waited, by state (0: none waits).", labels=["state"])
        now = time.time()
        for state, (n, since) in self.store.mail_waiting().items():
            waiting.add_metric([state], n)
            oldest.add_metric([state], now - since if since is not None else 0.0)
        failed = GaugeMetricFamily("pledge_mail_failed", "E-mails that failed for good and are still kept "
                                   "(`mail failed` lists them).", value=self.store.outbox_stats()["failed"])
        return [waiting, oldest, failed]


#: The answers' headers: never kept by a browser or a proxy (a cached "ready" would hide an outage).
NO_STORE = ("Cache-Control", "no-store")


def alive_answer() -> tuple[int, list[tuple[str, str]], bytes]:
    """``/healthz``: ``(status, headers, body)``."""
    return 200, [("Content-Type", "text/plain; charset=utf-8"), NO_STORE], b"ok\n"


def ready_answer(store: Any, mail_bound: float) -> tuple[int, list[tuple[str, str]], bytes]:
    """``/readyz``: ``(status, headers, body)`` of :func:`readiness`."""
    status, answer = readiness(store, mail_bound)
    return status, [("Content-Type", "application/json"), NO_STORE], json.dumps(answer).encode() + b"\n"
