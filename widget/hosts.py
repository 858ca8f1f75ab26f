"""Hosts serve themselves: sign-up and sign-in by e-mailed link, revocable sessions, a site's life cycle.

The host views and the command line both call these functions.
"""
from __future__ import annotations

import time

from flask import current_app

from .addresses import normalise_email
from .appstate import state
from .origins import ANY_ORIGIN
from .mail import compose
from .store import Site
from .urls import public_url

#: How long a sign-in link works (seconds): long enough to switch to the mailbox, short enough to be safe.
LOGIN_MAX_AGE = 15 * 60


def may_sign_in(email: str) -> bool:
    """Whether this address gets a sign-in link: any address while sign-up is open, else only the owners
    the operator registered. A disabled host gets none."""
    store = state().store
    host = store.get_host(email)
    if host is not None:
        return host.disabled_at is None
    return current_app.config["PLEDGE_HOST_SIGNUP"] == "open"


def send_sign_in_link(email: str, lang: str) -> None:
    """Mail a single-use sign-in link, if the address may sign in and had its share of mail today.

    The page says the same whatever happens here: nobody learns which addresses are hosts.
    """
    pledge = state()
    email = normalise_email(email)
    if not may_sign_in(email):
        return
    # A limit of their own: counted with the signatories' mails, a host who signed in a few times and got
    # a milestone mail would be locked out for the day.
    if pledge.store.recent_host_logins(email, 3600) >= current_app.config["PLEDGE_HOST_LINKS_PER_HOUR"]:
        return
    login_id = pledge.store.create_host_login(email)
    token = pledge.tokens.dumps("host-login", login_id)
    slugs = dict.fromkeys(s.campaign for s in pledge.store.sites_of(email))
    campaigns = [pledge.campaigns[slug] for slug in slugs if slug in pledge.campaigns]
    mail = compose.host_login(email, lang, public_url("host.login", token=token), campaigns)
    pledge.store.enqueue_mail(mail)
    pledge.mail_queued()


def sign_in(login_id: str, lang: str) -> str | None:
    """Use a sign-in link: the new session's id (a new host is created on its first sign-in), or None
    when the link was used before, or its address may no longer sign in."""
    store = state().store
    email = store.use_host_login(login_id)
    if email is None or not may_sign_in(email):
        return None
    store.create_host(email, lang)
    return store.start_host_session(email)


def session_host(session_id: str | None) -> str | None:
    """The address of the host whose session this is, if it is still live."""
    if not session_id:
        return None
    max_age = current_app.config["PLEDGE_HOST_SESSION_DAYS"] * 86400
    return state().store.host_of_session(session_id, max_age)


def add_site(email: str, name: str, origins: list[str], campaign: str, lang: str | None) -> Site:
    """A host's new site: it works at once, or waits for the operator (``PLEDGE_HOST_APPROVAL=manual``)."""
    status = "pending" if current_app.config["PLEDGE_HOST_APPROVAL"] == "manual" else "active"
    return state().store.add_site(name, origins, email, campaign, status=status, lang=lang)


def rotate_key(site: Site) -> Site:
    """A new key for a site; the old one keeps working for PLEDGE_KEY_GRACE_DAYS."""
    grace = current_app.config["PLEDGE_KEY_GRACE_DAYS"] * 86400
    return state().store.rotate_key(site.key, grace)


def seen_is_due(seen: dict[tuple[str, str], float], site: Site, origin: str | None, interval: float,
                now: float) -> bool:
    """Whether this view of ``site``'s widget on ``origin`` is one to record (``seen``: when this process
    last recorded each site and origin): an origin of the site's, not recorded for ``interval`` seconds."""
    return bool(origin) and origin != ANY_ORIGIN and origin in site.origins and now - seen.get((site.key, origin), 0.0) >= interval


def widget_seen(site: Site, origin: str | None) -> None:
    """Remember that the widget was loaded on a page of ``origin`` (one of the site's), at most once per
    PLEDGE_SEEN_INTERVAL per site and origin and process: a widget view costs no database write."""
    pledge = state()
    now = time.time()
    if not seen_is_due(pledge.seen, site, origin, current_app.config["PLEDGE_SEEN_INTERVAL"], now):
        return
    pledge.seen[(site.key, origin)] = now
    if len(pledge.seen) > 100_000:  # thousands of sites: forget the oldest half rather than grow for ever
        for stale in sorted(pledge.seen, key=pledge.seen.get)[: len(pledge.seen) // 2]:
            del pledge.seen[stale]
    # Over thousands of sites, a process's first view of each would be a write of its own (with SQLite, one
    # at a time, each waiting for the disk): the views of the last second are written together instead.
    pledge.seen_unwritten.append((site.key, origin, now))
    if now - pledge.seen_written_at >= SEEN_BATCH_SECONDS:
        pledge.seen_written_at = now
        views, pledge.seen_unwritten[:] = list(pledge.seen_unwritten), []
        pledge.store.widgets_seen(views)


#: At most one write of "last seen" views per process this often: the first view to record after a quiet second
#: at once, the others with the next view to record after the second (so a view may wait, at worst, as long as
#: PLEDGE_SEEN_INTERVAL, the precision "last seen" has anyway).
SEEN_BATCH_SECONDS = 1.0
