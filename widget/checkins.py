"""Commitments followed through: the optional consents to be written to again, the check-ins, progress reports.

- Consents: ``checkin_consent`` and ``news_consent`` are kept with the sign-on as the version of the wording
  agreed to. Every such mail carries a one-click link (RFC 8058) that withdraws its consent; the withdraw
  page offers the same.
- Check-ins: a campaign's ``checkins`` schedule (:func:`widget.durations.checkin_times`) says when a
  signatory who agreed is asked how the commitment goes. :func:`send_checkins` queues the check-ins due,
  each once whatever the number of senders (the store claims it by a unique row); the senders run it
  every ``PLEDGE_CHECKIN_INTERVAL`` seconds, and ``pledge-widget checkins send`` from cron.
- Progress: the check-in's link (single use, ``PROGRESS_LINK_MAX_AGE``) records a status and an optional
  short update, shown in public once the operator approved it.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l

from .appstate import state
from .durations import checkin_times, parse_duration
from .mail import compose
from .store import Mail, SignOn, new_id
from .store.progress import CONSENT_COLUMNS, PROGRESS_STATUSES
from .text import has_link, stacked_marks, unsafe_character
from .tokens import TokenInvalid
from .urls import public_url

log = logging.getLogger("widget.checkins")

#: How long a progress link works (seconds): long enough for a busy organisation to answer.
PROGRESS_LINK_MAX_AGE = 60 * 24 * 3600
#: At most one fresh progress link by mail per sign-on in this many seconds.
NEW_LINK_COOLDOWN = 10 * 60
#: The longest update a signatory may write (characters).
MAX_UPDATE = 500
#: The kinds of mail a signatory may stop, and the consent each needs.
STOP_KINDS = tuple(CONSENT_COLUMNS)
STATUS_LABELS = {
    "not_started": _l("Not started yet"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
}


# -- consents -------------------------------------------------------------------------------------------


def stop_url(signon_id: str, kind: str) -> str:
    """The one-click link that withdraws a sign-on's consent to check-ins or to news: GET shows a button,
    POST acts (the List-Unsubscribe-Post of RFC 8058)."""
    return public_url("pledge.stop_mail", token=state().tokens.dumps("stop-mail", {"s": signon_id, "k": kind}))


def read_stop_token(token: str) -> tuple[SignOn | None, str]:
    """``(sign-on, kind)`` of a stop link (sign-on None when it is gone), or :class:`TokenInvalid`. A genuine
    link older than its maximum age still works: stopping mail harms nobody."""
    pledge = state()
    payload = pledge.tokens.payload_even_expired("stop-mail", token)
    if not isinstance(payload, dict) or payload.get("k") not in STOP_KINDS or not isinstance(payload.get("s"), str):
        raise TokenInvalid()
    return pledge.store.get_signon(payload["s"]), payload["k"]


def stop(signon: SignOn, kind: str) -> bool:
    """Withdraw one consent of a sign-on (idempotent); True if it was given until now."""
    return state().store.drop_consent(signon.id, kind)


# -- check-ins ------------------------------------------------------------------------------------------


def schedule(signon: SignOn) -> list[float]:
    """When this sign-on is asked about its commitment (none without consent or a campaign schedule)."""
    campaign = state().campaigns.get(signon.campaign)
    if campaign is None or not campaign.has_checkins or not signon.checkin_consent or signon.confirmed_at is None:
        return []
    return checkin_times(signon.confirmed_at, campaign.checkins, campaign.checkins_repeat, campaign.checkins_until,
                         campaign.checkins_max, signon.answers.get("timetable", ""))


def due_checkin(signon: SignOn, claimed: int, now: float) -> int | None:
    """The number of the check-in to mail now, or None: the latest one due, if none after it was mailed
    (a sender that was down for a year asks once, not once per missed date)."""
    due = [number for number, moment in enumerate(schedule(signon)) if moment <= now]
    return due[-1] if due and due[-1] >= claimed else None


def send_checkins(now: float | None = None, app: Flask | None = None) -> int:
    """Queue every check-in due at ``now``, each once (several senders may run this at once); return how
    many were queued. Outside a request it makes one on PLEDGE_PUBLIC_URL, for the links."""
    if app is not None and not (has_app_context() and current_app._get_current_object() is app):
        with app.app_context():
            return send_checkins(now)
    if not has_request_context():
        base = current_app.config["PLEDGE_PUBLIC_URL"] or "http://localhost"
        with current_app.test_request_context(base_url=base):
            return send_checkins(now)
    now = time.time() if now is None else now
    pledge = state()
    # Nobody confirmed since (now - the shortest first check-in) can be due: those are not even read.
    cutoffs = {slug: now - min(parse_duration(offset).shortest for offset in campaign.checkins)
               for slug, campaign in pledge.campaigns.items() if campaign.has_checkins}
    queued = 0
    for signon, claimed in pledge.store.checkin_candidates(cutoffs):
        number = due_checkin(signon, claimed, now)
        if number is None:
            continue
        try:
            link_id = new_id(18)
            # Counted against the mailbox's daily share like any other mail: over it, the check-in stays due
            # and goes on a later run (a signatory of many campaigns is never flooded).
            if pledge.store.claim_checkin(signon.id, number, link_id, checkin_mail(signon, link_id), pledge.limits):
                queued += 1
        except Exception:  # noqa: BLE001 - one sign-on's failure must not keep the others' check-ins back
            log.exception("check-in %s of a sign-on of %s failed", number, signon.campaign)
    if queued:
        pledge.mail_queued()
    return queued


def progress_url(link_id: str) -> str:
    return public_url("pledge.progress", token=state().tokens.dumps("progress", link_id))


def checkin_mail(signon: SignOn, link_id: str, fresh_link: bool = False) -> Mail:
    """The check-in mail in the signatory's language: their goal and actions, the progress link, and the
    one-click link that stops check-ins (``fresh_link``: the mail of a link asked for on the page)."""
    pledge = state()
    return compose.checkin(
        signon.email, signon.lang, pledge.campaign(signon.campaign), signon.answers, progress_url(link_id),
        stop_url(signon.id, "checkins"), public_url("pledge.withdraw", token=pledge.tokens.dumps("withdraw", signon.id)),
        fresh_link=fresh_link,
    )


def send_new_link(signon: SignOn) -> bool:
    """Mail a confirmed sign-on a fresh progress link unless one was made within the cool-down; True if queued."""
    pledge = state()
    last = pledge.store.last_progress_link_at(signon.id)
    if last is not None and time.time() - last < NEW_LINK_COOLDOWN:
        return False
    link_id = new_id(18)
    if not pledge.store.add_progress_link(signon.id, link_id, checkin_mail(signon, link_id, fresh_link=True),
                                          pledge.limits):
        return False
    pledge.mail_queued()
    return True


# -- progress -------------------------------------------------------------------------------------------


def update_problem(text: str) -> Any:
    """Why an update cannot be taken as written (a message to show), or None."""
    if len(text) > MAX_UPDATE:
        return _l("Please use at most %(max)d characters.", max=MAX_UPDATE)
    if has_link(text):
        return _l("Please leave out web and e-mail addresses: updates are shown as plain text.")
    if unsafe_character(text, multiline=True) or stacked_marks(text):
        return _l("Please remove the invisible control characters from this answer.")
    return None


def report(link_id: str, status: str, update: str) -> str:
    """Record a report through a progress link: ``recorded``, ``used`` or ``gone`` (see
    :meth:`widget.store.progress.ProgressTables.record_progress`); hosts' CRMs get ``progress.reported``."""
    if status not in PROGRESS_STATUSES:
        raise ValueError(status)
    pledge = state()

    def event(signon: SignOn) -> dict[str, Any]:
        # The update is the signatory's own words: only those who may contact them see it before moderation.
        progress = {"status": status}
        if signon.contact_consent and update:
            progress["update"] = update
        return {"progress": progress}

    result = pledge.store.record_progress(link_id, status, update.strip() or None, event=event)
    if result == "recorded":
        pledge.mail_queued()  # its webhooks go out with the sender's next round
    return result


# -- progress in public ----------------------------------------------------------------------------------

#: The public chart and table of reports over time cover this many days.
PROGRESS_DAYS = 90


def summary(slug: str, now: float | None = None) -> dict[str, Any]:
    """What the public may know of a campaign's progress: how many organisations reported, by status (their
    latest report), by country and type, per day (their first report), and the approved updates
    (organisation, country, text). No name, no address."""
    pledge = state()
    rows = pledge.store.progress_rows(slug)
    by_status = {status: 0 for status in PROGRESS_STATUSES}
    by_country: dict[str, int] = {}
    by_type: dict[str, int] = {}
    per_day: dict[str, int] = {}
    for status, country, org_type, _public_id, first_at, _last_at in rows:
        by_status[status] = by_status.get(status, 0) + 1
        if country:
            by_country[country] = by_country.get(country, 0) + 1
        if org_type:
            by_type[org_type] = by_type.get(org_type, 0) + 1
        day = time.strftime("%Y-%m-%d", time.gmtime(first_at))
        per_day[day] = per_day.get(day, 0) + 1
    updates = [{"organization": u.organization, "country": u.country, "text": u.text,
                "reported_on": time.strftime("%Y-%m-%d", time.gmtime(u.reported_at))}
               for u in pledge.store.updates(slug, "approved", limit=100)]
    return {
        "campaign": slug,
        "reported": len(rows),
        "by_status": by_status,
        "by_country": dict(sorted(by_country.items(), key=lambda item: (-item[1], item[0]))),
        "by_type": dict(sorted(by_type.items(), key=lambda item: (-item[1], item[0]))),
        "over_time": [{"day": day, "reported": n} for day, n in sorted(per_day.items())],
        "updates": updates,
    }
