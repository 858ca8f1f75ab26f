"""Webhooks for the campaigns' CRMs: check an endpoint's URL, sign and deliver the queued events.

- Each delivery follows the Standard Webhooks specification (``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature``), signed with the endpoint's ``whsec_...`` secret by the ``standardwebhooks`` library;
  the ``webhook-id`` of an event is the same at every attempt, so a receiver can drop a repeat.
- A URL must be ``https://`` and every address its host resolves to must be public: loopback, private,
  link-local (cloud metadata), multicast, reserved and unspecified addresses are refused, when the URL is
  registered and again at each delivery, and the connection goes to the very address that was checked (the
  name is kept for the ``Host`` header and TLS), so a DNS answer that changes in between reaches nothing
  internal. ``PLEDGE_WEBHOOKS_ALLOW_PRIVATE`` lifts both rules (tests, intranets).
- Short time-outs, no redirect followed (a 3xx is a failure), only a 200-character excerpt of an answer kept.
- Retries with back-off (:data:`BACKOFF`); an endpoint that failed every attempt for 3 days is switched off and
  its owner mailed. The mail senders deliver webhooks in each of their rounds (see :class:`WebhookSender`).
"""
from __future__ import annotations

import base64
import http.client
import ipaddress
import logging
import os
import secrets
import socket
import ssl
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from .store import Mail
from .store.webhooks import ERROR_EXCERPT, Delivery, Endpoint

log = logging.getLogger("widget.webhooks")

#: Seconds before retry number n (the last value repeats: every 6 hours until the endpoint is switched off).
BACKOFF = (30, 120, 600, 3600, 6 * 3600)
CONNECT_TIMEOUT = 3.0
TOTAL_TIMEOUT = 10.0
LEASE_SECONDS = 120.0
#: Days a delivery is kept after it was made (the senders' daily housekeeping deletes older ones).
WEBHOOK_KEEP_DAYS = 30
#: Addresses refused even where ``ipaddress`` calls them global (AWS's IPv6 metadata service).
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class WebhookURLError(ValueError):
    """A URL webhooks may not be delivered to."""


def retry_delay(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts."""
    return BACKOFF[min(attempts, len(BACKOFF) - 1)]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def register(store: Any, url: str, allow_private: bool, *, campaign: str | None = None, site_key: str | None = None,
             owner_email: str | None = None) -> tuple[Endpoint, str]:
    """Check ``url`` (WebhookURLError if refused) and register it; return the endpoint and its secret."""
    check_url(url, allow_private)
    secret = new_secret()
    return store.add_webhook(url, secret, campaign=campaign, site_key=site_key, owner_email=owner_email), secret


def _forbidden(address: Any) -> bool:
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return (address in METADATA or address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified or not address.is_global)


def check_url(url: str, allow_private: bool) -> tuple[str, str, int, str]:
    """Resolve and check a webhook URL: ``(scheme, host, port, address to connect to)``, or WebhookURLError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookURLError(f"not a valid URL: {exc}") from None
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise WebhookURLError("a webhook URL must start with https://")
    if not parts.hostname:
        raise WebhookURLError("a webhook URL needs a host name")
    if parts.username or parts.password:
        raise WebhookURLError("a webhook URL may not carry a user name or password")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookURLError(f"{parts.hostname} does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise WebhookURLError(f"{parts.hostname} does not resolve")
    if not allow_private:
        bad = [str(a) for a in addresses if _forbidden(a)]
        if bad:
            raise WebhookURLError(f"{parts.hostname} resolves to a loopback, private, link-local or otherwise "
                                  f"non-public address ({', '.join(bad)}); set PLEDGE_WEBHOOKS_ALLOW_PRIVATE=true "
                                  "to allow it")
    return parts.scheme, parts.hostname, port, str(addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a checked address, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, address: str, deadline: float):
        super().__init__(host, port, timeout=CONNECT_TIMEOUT)
        self.address, self.deadline = address, deadline

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.address, self.port), CONNECT_TIMEOUT)
        sock.settimeout(max(0.1, self.deadline - time.monotonic()))
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    def __init__(self, host: str, port: int, address: str, deadline: float):
        super().__init__(host, port, address, deadline)
        self.context = ssl.create_default_context()

    def connect(self) -> None:
        self.sock = self.context.wrap_socket(self._open(), server_hostname=self.host)


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def post(url: str, body: bytes, headers: dict[str, str], allow_private: bool) -> int:
    """POST ``body`` to ``url`` (checked again now); return the 2xx status, or raise DeliveryFailed."""
    try:
        scheme, host, port, address = check_url(url, allow_private)
    except WebhookURLError as exc:
        raise DeliveryFailed(f"refused: {exc}") from None
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = connection_class(host, port, address, time.monotonic() + TOTAL_TIMEOUT)
    # The socket's time-out bounds each read; this bounds them all (a receiver trickling its answer).
    cut = threading.Event()
    watchdog = threading.Timer(TOTAL_TIMEOUT, _cut, [conn, cut])
    watchdog.start()
    try:
        conn.request("POST", target, body=body, headers={
            **headers, "Content-Type": "application/json", "User-Agent": "pledge-widget-webhooks"})
        response = conn.getresponse()
        excerpt = response.read(ERROR_EXCERPT).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        if cut.is_set():
            raise DeliveryFailed(f"no complete answer within {TOTAL_TIMEOUT:g} s") from None
        raise DeliveryFailed(f"{exc.__class__.__name__}: {exc}") from None
    finally:
        watchdog.cancel()
        conn.close()
    if cut.is_set():  # what was read before the cut is not an answer
        raise DeliveryFailed(f"no complete answer within {TOTAL_TIMEOUT:g} s")
    if 200 <= response.status < 300:
        return response.status
    what = "redirect not followed" if 300 <= response.status < 400 else "HTTP error"
    raise DeliveryFailed(f"{what} {response.status}: {excerpt}"[:ERROR_EXCERPT], response.status)


def _cut(conn: http.client.HTTPConnection, cut: threading.Event) -> None:
    """End a delivery that has taken longer than :data:`TOTAL_TIMEOUT` in all."""
    cut.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def sign(delivery: Delivery, when: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery."""
    when = when or datetime.now(timezone.utc)
    signature = Webhook(delivery.secret).sign(delivery.event_id, when, delivery.payload)
    return {"webhook-id": delivery.event_id, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": signature}


def disabled_mail(endpoint: Endpoint) -> Mail:
    """The (English) notice to an endpoint's owner that it was switched off."""
    text = (f"Hello,\n\nThe webhook endpoint {endpoint.url} ({endpoint.target}) failed every delivery for "
            f"3 days, so it has been switched off and receives no more events.\n\n"
            f"Reason: {endpoint.disabled_reason}\n\n"
            "Once it works again, register it anew (a host: on the site's dashboard, Webhooks; the operator: "
            "`pledge-widget webhook add`); the events of these days were not delivered.\n")
    return Mail(to=endpoint.owner_email or "", subject="Webhook switched off: " + endpoint.url, text=text,
                html="<pre>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</pre>")


class WebhookSender:
    """Delivers the due webhooks of one store; the mail senders call :meth:`deliver_due` in every round."""

    def __init__(self, store: Any, allow_private: bool = False, batch: int = 20, lease: float = LEASE_SECONDS,
                 poster: Callable[..., int] = post):
        self.store, self.allow_private, self.batch, self.lease, self.poster = store, allow_private, batch, lease, poster

    def deliver_due(self) -> tuple[int, int]:
        """Attempt every delivery due now; return ``(delivered, failed)``."""
        delivered = failed = 0
        claimer = f"{os.getpid()}-{secrets.token_hex(6)}"
        while True:
            deliveries = self.store.claim_webhooks(self.batch, self.lease, claimer)
            if not deliveries:
                return delivered, failed
            for delivery in deliveries:
                if not self.store.renew_webhook_claim(delivery.id, claimer, self.lease):
                    continue
                if self.deliver(delivery):
                    delivered += 1
                else:
                    failed += 1

    def deliver(self, delivery: Delivery) -> bool:
        try:
            status = self.poster(delivery.url, delivery.payload.encode(), sign(delivery), self.allow_private)
        except DeliveryFailed as exc:
            self._failed(delivery, exc.status, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - anything else concerns this delivery only
            self._failed(delivery, None, f"{exc.__class__.__name__}: {exc}")
            return False
        self.store.mark_webhook_delivered(delivery, status)
        return True

    def _failed(self, delivery: Delivery, status: int | None, error: str) -> None:
        delay = retry_delay(delivery.attempts)
        log.warning("webhook %s (%s) to endpoint %s not delivered (%s); retrying in %ss", delivery.event_id,
                    delivery.event_type, delivery.endpoint_id, error, delay)
        disabled = self.store.mark_webhook_failed(delivery, status, error, time.time() + delay)
        if disabled is not None:
            log.warning("webhook endpoint %s (%s) switched off: %s", disabled.id, disabled.url, disabled.disabled_reason)
            owner = disabled.owner_email
            if owner is None and disabled.site_key:
                site = self.store.get_site(disabled.site_key)
                owner = site.owner_email if site else None
            if owner:
                self.store.enqueue_mail(disabled_mail(Endpoint(**{**disabled.__dict__, "owner_email": owner})))
