"""What hosts are told by e-mail, if they choose (``/host/settings``): milestones and a daily digest.

- A milestone: a site's confirmed count has reached one of its host's thresholds. Checked right after
  each confirmation; each (site, threshold) is mailed once, whatever the number of processes (the store
  records it and queues the mail in one transaction). Several thresholds passed at once are all
  recorded, and only the highest is mailed.
- The daily digest: the sign-ons confirmed through the host's sites the UTC day before, per site,
  without the signatories' contact details unless they agreed to be contacted. Queued by the senders'
  daily housekeeping, or by the ``digest`` command from cron; once per host and day.

Every notification carries a one-click unsubscribe link (RFC 8058). Its token is readable, so it holds
no address: only the kind of notification and an HMAC of the host's address, which the service finds
again by computing the HMAC of each host's address.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context

from . import i18n
from .addresses import normalise_stored
from .campaigns import Campaign
from .appstate import state
from .mail import compose
from .store import Host, Mail, SignOn, Site
from .tokens import TokenInvalid
from .urls import public_url

log = logging.getLogger("widget.notifications")

#: The kinds of notification a host can switch off, and the host setting of each.
KINDS = {"milestones": "notify_milestones", "digest": "notify_digest", "health": "notify_health"}
#: At most this many sign-ons are listed per site in a digest; the rest are counted (the dashboard has them all).
DIGEST_LIST_LIMIT = 100
DAY = timedelta(days=1)


# -- milestones ---------------------------------------------------------------------------------


def after_confirmation(signon: SignOn) -> int | None:
    """Call right after a sign-on was confirmed: mail its site's host if the site has passed a milestone.

    Returns the threshold mailed, or None. Never raises: the signature is counted already, and a
    milestone not mailed now is mailed after the next confirmation (the rows say which were sent).
    """
    try:
        return check_milestones(signon.site_key)
    except Exception:  # noqa: BLE001 - a notification must not turn a confirmation into an error page
        log.exception("milestone check of site %s failed", signon.site_key)
        return None


def check_milestones(site_key: str) -> int | None:
    """Record the thresholds the site has reached and queue the mail of the highest new one, if its host
    wants milestone mails; return the threshold mailed, or None."""
    pledge = state()
    site = pledge.store.get_site(site_key)
    if site is None or site.campaign not in pledge.campaigns:
        return None
    host = pledge.store.get_host(site.owner_email)
    if host is None or host.disabled_at is not None or not host.notify_milestones or not host.milestones:
        return None
    campaign = pledge.campaign(site.campaign)
    lang = host_language(host, campaign)

    def mail_for(threshold: int, count: int) -> Mail:
        return compose.milestone(
            host.email, lang, site.name, campaign, threshold, count,
            dashboard_url=public_url("host.site", site_key=site.key),
            unsubscribe_url=unsubscribe_url(host.email, "milestones"),
            settings_url=public_url("host.settings"),
        )

    threshold = pledge.store.record_milestones(site.campaign, site.key, host.milestones, mail_for)
    if threshold is not None:
        pledge.mail_queued()
    return threshold


def host_language(host: Host, campaign: Campaign | None = None) -> str:
    """The language of a host's e-mails: its own (chosen on its settings page), else the campaign's."""
    if campaign is None:
        campaign = state().campaign(current_app.config["PLEDGE_DEFAULT_CAMPAIGN"])
    return i18n.pick(host.lang, campaign.default_lang) or i18n.DEFAULT


# -- the daily digest ---------------------------------------------------------------------------


def send_digests(now: float | datetime, app: Flask | None = None) -> int:
    """Queue each host's digest of the UTC day before ``now``, once per host and day (several senders
    may run this at once); hosts with nothing new that day get nothing. Returns how many were queued.

    Runs in a request context, for the links (outside one, in a throwaway one on PLEDGE_PUBLIC_URL);
    ``app`` is for callers without an app context (the sender's thread).
    """
    if app is not None and not (has_app_context() and current_app._get_current_object() is app):
        with app.app_context():
            return send_digests(now)
    if not has_request_context():
        base = current_app.config["PLEDGE_PUBLIC_URL"] or "http://localhost"
        with current_app.test_request_context(base_url=base):
            return send_digests(now)
    moment = now if isinstance(now, datetime) else datetime.fromtimestamp(now, tz=timezone.utc)
    day = moment.astimezone(timezone.utc).date() - DAY
    queued = 0
    for host in state().store.digest_hosts():
        try:
            queued += send_digest(host, day)
        except Exception:  # noqa: BLE001 - one host's failure must not keep the others' digests back
            log.exception("digest of %s for %s failed", day, host.email)
    return queued


def send_digest(host: Host, day: date) -> bool:
    """Queue one host's digest of ``day`` (UTC) unless it was queued before or there is nothing to tell."""
    pledge = state()
    if pledge.store.digest_sent(host.email, day.isoformat()):
        return False
    sites = {site.key: site for site in pledge.store.sites_of(host.email) if site.campaign in pledge.campaigns}
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()
    signons = pledge.store.confirmed_between(list(sites), start, start + DAY.total_seconds())
    if not signons:
        return False
    by_site: dict[str, list[SignOn]] = defaultdict(list)
    for signon in signons:
        by_site[signon.site_key].append(signon)
    entries = [digest_entry(sites[key], by_site[key]) for key in sites if by_site.get(key)]
    mail = compose.digest(
        host.email, host_language(host), day, entries,
        unsubscribe_url=unsubscribe_url(host.email, "digest"), settings_url=public_url("host.settings"),
    )
    return pledge.store.record_digest(host.email, day.isoformat(), mail)


def digest_entry(site: Site, signons: list[SignOn]) -> dict[str, Any]:
    """One site's part of a digest."""
    return {
        "site": site,
        "campaign": state().campaign(site.campaign),
        "count": len(signons),
        "rows": [digest_row(signon) for signon in signons[:DIGEST_LIST_LIMIT]],
        "more": max(0, len(signons) - DIGEST_LIST_LIMIT),
        "dashboard_url": public_url("host.site", site_key=site.key),
    }


def digest_row(signon: SignOn) -> dict[str, str]:
    """What a digest tells about one sign-on: the organisation, its type and country; the signatory's
    name and address only if they agreed that the host may contact them."""
    row = {key: signon.answers.get(key, "") for key in ("organization", "org_type", "country")}
    if signon.contact_consent:
        row["name"] = signon.answers.get("name", "")
        row["email"] = signon.email if signon.has_email else ""
    return row


# -- one-click unsubscribe ----------------------------------------------------------------------


def host_reference(email: str, key: str) -> str:
    """An opaque reference to a host for its unsubscribe links: an HMAC of its address (not reversible)."""
    message = b"pledge-widget/unsubscribe\0" + normalise_stored(email).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(email: str, kind: str) -> str:
    """The link that switches one kind of notification off for this host: GET shows a button, POST acts."""
    tokens = state().tokens
    token = tokens.dumps("unsubscribe", {"k": kind, "h": host_reference(email, tokens.keys[0])})
    return public_url("host.unsubscribe", token=token)


def read_unsubscribe_token(token: str) -> tuple[Host | None, str]:
    """``(host, kind)`` of an unsubscribe link (host None if it is gone), or :class:`TokenInvalid`.

    A genuine link older than its maximum age still works: switching mail off harms nobody, and people
    click "unsubscribe" on old mails.
    """
    pledge = state()
    payload = pledge.tokens.payload_even_expired("unsubscribe", token)
    if not isinstance(payload, dict) or payload.get("k") not in KINDS or not isinstance(payload.get("h"), str):
        raise TokenInvalid()
    reference = payload["h"]
    for email in pledge.store.host_emails():
        # Any of the keys may have signed it (key rotation): compare with each key's reference.
        if any(hmac.compare_digest(host_reference(email, key), reference) for key in pledge.tokens.keys):
            return pledge.store.get_host(email), payload["k"]
    return None, payload["k"]


def unsubscribe(host: Host, kind: str) -> None:
    """Switch one kind of notification off for a host (idempotent)."""
    state().store.update_host(host.email, **{KINDS[kind]: 0})
