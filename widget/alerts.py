"""Alerts on surges: sign-ons from one client (its keyed hash), one domain (of the mailbox) or through one site
in the last hour, at least ``PLEDGE_ALERT_FLOOR`` of them and more than ``PLEDGE_ALERT_MULTIPLE`` times their
usual hourly rate (the week before that hour). Each alert mails every admin (``PLEDGE_ADMINS``) once, and the
desk's overview shows the alerts of the last day with links that fill in a block or an invalidation.

:func:`check` runs in every mail sender (in-process or ``mail worker``) every few minutes, and on demand with
``pledge-widget alerts check``; it reads ranges of indexes, never the sign-on path, so signing costs nothing more.
Several senders at once raise each alert once (see :meth:`widget.store.alerts.AlertTables.raise_alert`).
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from . import i18n
from .addresses import address_list
from .appstate import state
from .mail import compose
from .store.alerts import Alert
from .text import unlinkable
from .urls import link_context, public_url

log = logging.getLogger("widget.alerts")

HOUR = 3600.0
#: The usual rate is the average hour of this many days before the hour watched.
BASELINE_DAYS = 7
#: After an alert on a client, domain or site, no other on it for this long (one mail per surge).
QUIET_SECONDS = 24 * HOUR
#: How often each mail sender looks.
WATCH_SECONDS = 300.0
#: How long the desk's overview shows an alert.
SHOWN_SECONDS = 24 * HOUR

def what(kind: str, value: str) -> Any:
    """The lazy text naming what an alert is about: a client by the start of its hash, a domain written so that
    no mail client makes a link of it, a site by its key."""
    if kind == "ip":
        return _l("the network address %(value)s", value=value[:12])
    if kind == "domain":
        return _l("the domain %(value)s", value=unlinkable(value))
    return _l("the site %(value)s", value=value)


def admins() -> list[str]:
    """The addresses of ``PLEDGE_ADMINS``, normalised."""
    return sorted(address_list(current_app.config.get("PLEDGE_ADMINS")))


def _sources(rows: list[tuple[str | None, str, str]]) -> Counter:
    counted: Counter = Counter()
    for ip_hash, box, site_key in rows:
        if ip_hash:
            counted[("ip", ip_hash)] += 1
        domain = (box or "").rpartition("@")[2]
        if domain:
            counted[("domain", domain)] += 1
        counted[("site", site_key)] += 1
    return counted


def check(now: float | None = None, app: Flask | None = None) -> list[Alert]:
    """Raise the alerts the last hour calls for, mailing each to the admins; return those raised now.

    Runs in a request context for the desk's link (outside one, in a throwaway one on PLEDGE_PUBLIC_URL);
    ``app`` is for callers without an app context (the sender's thread)."""
    with link_context(app):
        return _check(time.time() if now is None else now)


def _check(now: float) -> list[Alert]:
    config = current_app.config
    floor, multiple = int(config["PLEDGE_ALERT_FLOOR"]), float(config["PLEDGE_ALERT_MULTIPLE"])
    if floor <= 0:
        return []
    store = state().store
    since = now - HOUR
    raised = []
    for (kind, value), count in sorted(_sources(store.signon_sources(since, now)).items()):
        if count < floor or store.alert_raised(kind, value, now - QUIET_SECONDS):
            continue
        usual = store.signons_from(kind, value, since - BASELINE_DAYS * 24 * HOUR, since) / (BASELINE_DAYS * 24)
        if count <= multiple * usual:
            continue
        mails = [compose.alert(admin, i18n.DEFAULT, what(kind, value), count, usual, moment(since),
                               public_url("admin.overview")) for admin in admins()]
        alert = store.raise_alert(kind, value, count, usual, since, now, now - QUIET_SECONDS, mails)
        if alert is not None:
            log.warning("sign-on alert: %s sign-ons from one %s in an hour (usually %.1f)", count, kind, usual)
            raised.append(alert)
    # No wake-up call: this runs in a sender's round (its next one sends them) or in the CLI, whose process ends now.
    return raised


def watch(app: Flask) -> None:
    """:func:`check`, for the mail senders: never raises (a failed look must not stop the mail)."""
    try:
        check(app=app)
    except Exception:  # noqa: BLE001
        log.exception("surge alerts check failed")


def recent(now: float | None = None) -> list[Alert]:
    """The alerts of the last day, the newest first (the desk's overview)."""
    return state().store.recent_alerts((time.time() if now is None else now) - SHOWN_SECONDS)


def moment(timestamp: float) -> str:
    """``2026-12-07 05:00 UTC``: one way in every language (mails and the desk)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def form_moment(timestamp: float) -> str:
    """The moment as a ``datetime-local`` field (UTC) takes it, for the invalidation the desk fills in."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M")
