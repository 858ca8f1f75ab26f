"""The sign-on workflow: sign on, the confirmation e-mail, confirm, withdraw, release what was held.

The views and the command line both call these functions (never each other), so a sign-on released
by the operator gets exactly the mail a visitor's would. Links in mails are absolute: callers run
inside a request (a real one, or the CLI's throwaway one on PLEDGE_PUBLIC_URL).
"""
from __future__ import annotations

import time

from flask import current_app

from . import blocking, metrics, notifications
from .addresses import normalise_email
from .campaign_registry import with_life
from .campaigns import Campaign
from .appstate import state
from .mail import compose
from .store import ConfirmResult, Mail, SignOn, Site, new_id
from .store.admin import Audit
from .urls import public_url


def sign_on(site: Site, campaign: Campaign, lang: str, email: str, answers: dict[str, str],
            ip_hash: str | None, contact_consent: str | None = None, page_url: str | None = None,
            utm: dict[str, str] | None = None, checkin_consent: str | None = None,
            news_consent: str | None = None) -> str:
    """Store a sign-on and its confirmation e-mail in one transaction, then wake the sender.

    Returns what happened (``pending``, ``held`` or ``already``), for logs and tests only: the visitor
    sees the same "check your inbox" answer whatever it is, so nobody learns who signed (nor who is blocked:
    see widget.blocking). ``utm``: the sign-on's source codes, checked already (:func:`widget.utm.utm_values`). ``closed``: the
    campaign was paused or closed meanwhile (read in the sign-on's own transaction): nothing was stored.
    The optional consents (``contact_consent``, ``checkin_consent``, ``news_consent``) are the versions of
    the wordings agreed to, or None.
    """
    pledge = state()
    email = normalise_email(email)
    # A blocked domain, mailbox or client: held quietly, before anything could mail it ("already signed" neither).
    hold = "blocked" if blocking.blocked(email, ip_hash) else None
    earlier = None if hold else pledge.store.find_confirmed(campaign.slug, email)
    if earlier is not None:
        # The mail, not the page, says they have signed already.
        mail = compose.already_signed(email, lang, campaign, withdraw_url(earlier), site_name(earlier.site_key))
        if pledge.store.enqueue_mail(mail, earlier.id, limits=pledge.limits):
            pledge.mail_queued()
        metrics.signon(campaign.slug, "already")
        return "already"
    now = time.time()
    signon = SignOn(
        id=new_id(18),
        campaign=campaign.slug,
        site_key=site.key,
        email=email,
        lang=lang,
        status="pending",
        created_at=now,
        confirmed_at=None,
        consent_at=now,
        consent_version=f"{campaign.consent_version}/{lang}",
        answers=answers,
        contact_consent=contact_consent,
        page_url=page_url,
        utm=dict(utm or {}),
        checkin_consent=checkin_consent,
        news_consent=news_consent,
    )
    written = pledge.campaigns.written(campaign.slug)
    status = pledge.store.create_signon(signon, confirmation_mail(signon), limits=pledge.limits, ip_hash=ip_hash,
                                        is_open=lambda life: with_life(written, life).status() == "open", hold=hold)
    if status == "pending":
        pledge.mail_queued()
    if status == "closed":
        metrics.signon(campaign.slug, "refused", "closed")
    else:
        held = pledge.store.get_signon(signon.id) if status == "held" else None
        metrics.signon(campaign.slug, status, held.held_reason or "" if held else "")
    return status


def confirm(signon_id: str) -> ConfirmResult:
    """Confirm a sign-on (once: a second call changes nothing) and tell its host of a milestone."""
    result = state().store.confirm_signon(signon_id)
    if result.status == "confirmed" and result.signon is not None:
        metrics.CONFIRMATIONS.labels(result.signon.campaign).inc()
        notifications.after_confirmation(result.signon)
        state().mail_queued()  # its webhooks were queued with it: the sender's next round delivers them
    return result


def withdraw(signon_id: str) -> SignOn | None:
    """Delete a sign-on and its unsent mail; a confirmed one leaves the counts. None if unknown."""
    signon = state().store.withdraw_signon(signon_id)
    if signon is not None:
        metrics.WITHDRAWALS.labels(signon.campaign).inc()
    if signon is not None and signon.status == "confirmed":
        state().mail_queued()  # deliver its signon.withdrawn webhooks now
    return signon


def withdraw_url(signon: SignOn) -> str:
    return public_url("pledge.withdraw", token=state().tokens.dumps("withdraw", signon.id))


def leave_url(signon_id: str) -> str:
    """The signed link of a confirmation mail that takes the organisation off the public list."""
    return public_url("pledge.leave_list", token=state().tokens.dumps("leave-list", signon_id))


def confirmation_mail(signon: SignOn) -> Mail:
    """The e-mail with a fresh confirmation link (and a withdraw link) for a pending sign-on."""
    pledge = state()
    return compose.confirmation(
        signon.email,
        signon.lang,
        pledge.campaign(signon.campaign),
        signon.answers.get("organization", ""),
        public_url("pledge.confirm", token=pledge.tokens.dumps("confirm", signon.id)),
        withdraw_url(signon),
        max_age_hours=max(1, round(current_app.config["PLEDGE_CONFIRM_MAX_AGE"] / 3600)),
        site_name=site_name(signon.site_key),
        # Only a sign-on the public list will show (consent given, an organisation named) gets the link.
        leave_url=leave_url(signon.id) if signon.consent_at and signon.answers.get("organization") else "",
    )


def site_name(site_key: str) -> str:
    """The name of the site a sign-on came through ("" once the site is gone)."""
    site = state().store.get_site(site_key)
    return site.name if site else ""


def send_new_link(signon: SignOn) -> bool:
    """Mail a pending sign-on a fresh confirmation link, unless one went out within the cool-down or the
    address had its share of mail today; True if one was queued. Only a pending sign-on gets one: an invalidated
    one is never mailed (see widget.invalidation), a held one waits for the operator."""
    if signon.status != "pending":
        return False
    pledge = state()
    last = pledge.store.last_mail_at(signon.id)
    if last is not None and time.time() - last < current_app.config["PLEDGE_RESEND_COOLDOWN"]:
        return False
    if not pledge.store.enqueue_mail(confirmation_mail(signon), signon.id, limits=pledge.limits):
        return False
    pledge.mail_queued()
    return True


def release_held(signon_ids: list[str], audit: Audit | None = None) -> tuple[list[str], list[str]]:
    """Send held sign-ons their confirmation e-mail, as if never held: ``(released, not held)``. The
    entry ``audit`` makes of each released id is appended in its release's transaction."""
    pledge = state()
    held = {s.id: s for s in pledge.store.held_signons()}
    released, unknown = [], []
    for signon_id in signon_ids:
        signon = held.get(signon_id)
        if signon is not None and pledge.store.release_held(signon.id, confirmation_mail(signon), audit=audit):
            released.append(signon_id)
        else:
            unknown.append(signon_id)
    # No wake-up call: this may run in the CLI, whose process ends now; the service's senders poll.
    return released, unknown
