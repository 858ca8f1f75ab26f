"""Embed health: the loader's report that a site's widget could not show on a page, what the host's dashboard
says about it, and the host's mail (at most one a week per site, if the host wants it).

The loader gives the visitor the plain link back when the page's Content-Security-Policy refuses our frame
(``csp``), when the frame loaded without a word from the widget (``refused``: most often a page whose origin
the site did not register, which the browser refuses to frame), or when the frame never loaded
(``timeout``); then it sends one beacon per page view. A report is anyone's word: it is kept as one bounded
row per site and origin (see :mod:`widget.store.embed_health`), shown to the host as what visitors'
browsers said, and the mail about it names no origin (nothing a stranger wrote goes into a mail).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask_babel import gettext as _

from .appstate import state
from .mail import compose
from .notifications import host_language, unsubscribe_url
from .origins import normalise_origin
from .store import Site
from .store.embed_health import KEEP_SECONDS
from .urls import public_url

log = logging.getLogger("widget.embed_health")

#: Why the loader gave the link back, as it says it.
REASONS = ("csp", "refused", "timeout")
#: The longest origin a report may name (scheme, host and port: far shorter).
MAX_ORIGIN = 300


def reported_origin(value: str | None) -> str | None:
    """The page origin a report names, as browsers write origins; None if it is not one."""
    if not value or len(value) > MAX_ORIGIN:
        return None
    try:
        return normalise_origin(value)
    except ValueError:
        return None


def report(site: Site, origin: str, reason: str, now: float | None = None) -> bool:
    """Keep a report (``origin`` and ``reason`` checked already) and mail the host if it wants to know and
    was not told within the week; True if the report was kept."""
    pledge = state()
    now = time.time() if now is None else now
    if not pledge.store.record_embed_problem(site.key, origin, reason, now):
        return False
    try:
        tell_host(site, now)
    except Exception:  # noqa: BLE001 - the report is kept; the next one tries the mail again
        log.exception("embed health mail of site %s failed", site.key)
    return True


def tell_host(site: Site, now: float) -> bool:
    """Queue the mail about the site's widget if its host wants it and none went within the week."""
    pledge = state()
    host = pledge.store.get_host(site.owner_email)
    if host is None or host.disabled_at is not None or not host.notify_health:
        return False
    if not pledge.store.health_mail_due(site.key, now) or site.campaign not in pledge.campaigns:
        return False
    campaign = pledge.campaign(site.campaign)
    mail = compose.widget_problem(
        host.email, host_language(host, campaign), site.name,
        dashboard_url=public_url("host.site", site_key=site.key, _anchor="widget-problems"),
        unsubscribe_url=unsubscribe_url(host.email, "health"), settings_url=public_url("host.settings"),
    )
    if pledge.store.record_health_mail(site.key, now, mail):
        pledge.mail_queued()
        return True
    return False


@dataclass(frozen=True)
class Problem:
    """What the dashboard says of one origin: ``kind`` is ``csp``, ``unregistered`` (the origin is not one
    of the site's: the fix is to add it), ``refused`` or ``timeout``."""

    origin: str
    kind: str
    reports: int
    last_at: float


def problems(site: Site, now: float | None = None) -> list[Problem]:
    """The site's reported problems of the last 30 days, the latest first, each in the words the host needs."""
    now = time.time() if now is None else now
    found = []
    for row in state().store.embed_problems(site.key, now - KEEP_SECONDS):
        kind = row.reason
        if kind != "csp" and row.origin not in site.origins and "*" not in site.origins:
            kind = "unregistered"
        found.append(Problem(row.origin, kind, row.count, row.last_at))
    return found


def problem_text(kind: str) -> str:
    """What went wrong, in plain words (the current language)."""
    if kind == "csp":
        return _("The page’s Content-Security-Policy does not allow the widget. Add this service to these "
                 "two directives of the page’s policy, keeping what they already list:")
    if kind == "unregistered":
        return _("This address is not one of the site’s addresses, so browsers refuse to show the widget "
                 "there. If the page is yours, add its address to the site’s addresses.")
    if kind == "timeout":
        return _("The widget took too long to load on the page: a firewall or a slow connection may stop "
                 "this service.")
    return _("The widget did not start on the page: the page’s own settings or a browser extension may "
             "block it. Open the page in another browser to check.")
