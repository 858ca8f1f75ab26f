"""Webhooks for the campaigns' CRMs: check an endpoint's URL, sign and deliver the queued events.

- Each delivery follows the Standard Webhooks specification (``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature``), signed with the endpoint's ``whsec_...`` secret by the ``standardwebhooks`` library;
  the ``webhook-id`` of an event is the same at every attempt, so a receiver can drop a repeat.
- A URL must be ``https://`` on port 443, printable (no control, format or space character), and every
  address its host resolves to must be public: loopback, private, link-local (cloud metadata), multicast,
  reserved and unspecified addresses are refused, and so are IPv6 addresses that embed such an IPv4 one
  (6to4, NAT64, Teredo, ISATAP, IPv4-mapped and -compatible), when the URL is registered and again at each
  delivery, and the connection goes to the very address that was checked (the name is kept for the ``Host``
  header and TLS), so a DNS answer that changes in between reaches nothing internal.
  ``PLEDGE_WEBHOOKS_ALLOW_PRIVATE`` lifts the port and address rules (tests, intranets).
- At most :data:`MAX_ENDPOINTS` endpoints a site, and as many a campaign.
- Short time-outs, no redirect followed (a 3xx is a failure). What a delivery met is said in our words
  (:data:`OUTCOMES`): never the remote's answer, banner or TLS and socket errors, so that nobody can use the
  service to learn what listens where.
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
import unicodedata
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from . import metrics
from .store import Mail
from .store.webhooks import Delivery, Endpoint

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
#: IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits: judged by that address alone
#: (a NAT64 gateway connects to it), and ::/96, IPv4-compatible, which nothing routes.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
#: Endpoints a site may have, and a campaign (each one more request for every sign-on).
MAX_ENDPOINTS = 10


def N_(message: str) -> str:
    """Marks a text for the catalogues; it is translated where a host reads it (its webhooks page)."""
    return message


#: What a host is told of a failed delivery: our own words, whatever the remote said.
CONNECTION_REFUSED = N_("connection refused")
TIMED_OUT = N_("timed out")
TLS_ERROR = N_("TLS error")
TLS_CERTIFICATE = N_("TLS certificate not valid for this name")
CONNECTION_CLOSED = N_("connection closed without an answer")
NOT_HTTP = N_("not an HTTP answer")
UNREACHABLE = N_("server unreachable")
FAILED = N_("delivery failed")
REFUSED = N_("refused: not an https:// address of a public server on port 443")
HTTP_ERROR = N_("HTTP %(status)s")
HTTP_REDIRECT = N_("HTTP %(status)s, redirect not followed")
OUTCOMES = (CONNECTION_REFUSED, TIMED_OUT, TLS_ERROR, TLS_CERTIFICATE, CONNECTION_CLOSED, NOT_HTTP, UNREACHABLE,
            FAILED)


class WebhookURLError(ValueError):
    """A URL webhooks may not be delivered to."""


class TooManyWebhooks(ValueError):
    """The site, or the campaign, has :data:`MAX_ENDPOINTS` endpoints already."""


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
    endpoint = store.add_webhook(url, secret, campaign=campaign, site_key=site_key, owner_email=owner_email,
                                 at_most=MAX_ENDPOINTS)
    if endpoint is None:
        raise TooManyWebhooks(f"{'this campaign' if campaign else 'this site'} has {MAX_ENDPOINTS} webhooks "
                              "already: remove one first")
    return endpoint, secret


def embedded_ipv4(address: Any) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (6to4, Teredo's server and client, ISATAP, NAT64,
    IPv4-mapped and -compatible): a relay or gateway on the way may deliver to them."""
    if address.version != 6:
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    low = int(address) & 0xFFFFFFFF
    if address in NAT64 or address in IPV4_COMPATIBLE or (int(address) >> 32) & 0xFDFFFFFF == 0x5EFE:
        found.append(ipaddress.IPv4Address(low))  # NAT64, IPv4-compatible, ISATAP (::0:5efe:a.b.c.d, ::200:5efe:...)
    return [embedded for embedded in found if embedded is not None]


def _forbidden(address: Any) -> bool:
    embedded = embedded_ipv4(address)
    if any(_forbidden(inner) for inner in embedded):
        return True
    if address.version == 6 and (address.ipv4_mapped or address in NAT64):
        return False  # judged by the IPv4 address alone, which a gateway connects to
    return (address in METADATA or address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified or not address.is_global
            or address in IPV4_COMPATIBLE)


def check_url(url: str, allow_private: bool) -> tuple[str, str, int, str]:
    """Resolve and check a webhook URL: ``(scheme, host, port, address to connect to)``, or WebhookURLError."""
    if any(unicodedata.category(char)[0] in "CZ" for char in url):
        # Controls, format characters and spaces: a URL has none, and they would reach a terminal or a log.
        raise WebhookURLError("a webhook URL may not hold spaces or control characters")
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
    # Every problem at once (a port other than 443 and a name that does not resolve, say).
    wrong_port = port != 443 and not allow_private
    problems = ["a webhook URL must use the port of https, 443"] if wrong_port else []
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        infos, problems = [], [*problems, f"{parts.hostname} does not resolve: {exc}"]
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    bad = [] if allow_private else [str(a) for a in addresses if _forbidden(a)]
    if bad:
        problems.append(f"{parts.hostname} resolves to a loopback, private, link-local or otherwise non-public "
                        f"address ({', '.join(bad)})")
    if problems:
        lifted = "; set PLEDGE_WEBHOOKS_ALLOW_PRIVATE=true to allow it" if wrong_port or bad else ""
        raise WebhookURLError("; ".join(problems) + lifted)
    if not addresses:
        raise WebhookURLError(f"{parts.hostname} does not resolve")
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
    """A delivery that did not get a 2xx; its message is in our words (see :data:`OUTCOMES`)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def in_our_words(exc: BaseException) -> str:
    """What a connection or an answer met, as the host is told it: never the text of the error itself,
    which may quote what the remote sent (a banner, a TLS alert)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TLS_CERTIFICATE
    if isinstance(exc, ssl.SSLError):
        return TLS_ERROR
    if isinstance(exc, ConnectionRefusedError):
        return CONNECTION_REFUSED
    if isinstance(exc, TimeoutError):  # socket.timeout too
        return TIMED_OUT
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return CONNECTION_CLOSED  # http.client's RemoteDisconnected too
    if isinstance(exc, http.client.HTTPException):
        return NOT_HTTP
    if isinstance(exc, OSError):
        return UNREACHABLE
    return FAILED


def http_outcome(status: int) -> str:
    """A non-2xx answer, in our words: its status only, never its body."""
    return (HTTP_REDIRECT if 300 <= status < 400 else HTTP_ERROR) % {"status": status}


def for_host(error: str | None, status: int | None) -> tuple[str, dict[str, Any]]:
    """A failed delivery's outcome as a host reads it: a catalogue message and its values. Only our words
    reach a host: an address refused names no address, an error stored by an older version none of its text."""
    if status is not None and error == http_outcome(status):
        return (HTTP_REDIRECT if 300 <= status < 400 else HTTP_ERROR), {"status": status}
    if error in OUTCOMES:
        return error, {}
    if error and error.startswith("refused:"):
        return REFUSED, {}
    return FAILED, {}


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
        response = conn.getresponse()  # its status only: the body is the remote's text, never shown
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(TIMED_OUT if cut.is_set() else in_our_words(exc)) from None
    finally:
        watchdog.cancel()
        conn.close()
    if cut.is_set():  # what was read before the cut is not an answer
        raise DeliveryFailed(TIMED_OUT)
    if 200 <= response.status < 300:
        return response.status
    raise DeliveryFailed(http_outcome(response.status), response.status)


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


def disabled_mail(endpoint: Endpoint, last_error: str, status: int | None) -> Mail:
    """The (English) notice to an endpoint's owner that it was switched off, its last error in our words."""
    message, values = for_host(last_error, status)
    text = (f"Hello,\n\nThe webhook endpoint {endpoint.url} ({endpoint.target}) failed every delivery for "
            f"3 days, so it has been switched off and receives no more events.\n\n"
            f"Last error: {message % values}\n\n"
            "Once it works again, register it anew (a host: on the site's dashboard, Webhooks; the operator: "
            "`pledge-widget webhook add`); the events of these days were not delivered.\n")
    return Mail(to=endpoint.owner_email or "", subject="Webhook switched off: " + endpoint.url, text=text,
                html="<pre>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</pre>", kind="webhook_disabled")


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
        except Exception:  # noqa: BLE001 - anything else concerns this delivery only (the log has its traceback)
            log.exception("webhook %s to endpoint %s failed", delivery.event_id, delivery.endpoint_id)
            self._failed(delivery, None, FAILED)
            return False
        self.store.mark_webhook_delivered(delivery, status)
        metrics.WEBHOOKS.labels("delivered").inc()
        return True

    def _failed(self, delivery: Delivery, status: int | None, error: str) -> None:
        delay = retry_delay(delivery.attempts)
        log.warning("webhook %s (%s) to endpoint %s not delivered (%s); retrying in %ss", delivery.event_id,
                    delivery.event_type, delivery.endpoint_id, error, delay)
        disabled = self.store.mark_webhook_failed(delivery, status, error, time.time() + delay)
        metrics.WEBHOOKS.labels("failed").inc()
        if disabled is not None:
            log.warning("webhook endpoint %s (%s) switched off: %s", disabled.id, disabled.url, disabled.disabled_reason)
            owner = disabled.owner_email
            if owner is None and disabled.site_key:
                site = self.store.get_site(disabled.site_key)
                owner = site.owner_email if site else None
            if owner:
                self.store.enqueue_mail(disabled_mail(Endpoint(**{**disabled.__dict__, "owner_email": owner}),
                                                      error, status))
