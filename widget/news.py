"""Campaign news: what the desk writes to the signatories who agreed to hear from the campaign.

An update has a subject and a body per language (the campaign's default language at least: a signatory whose
language has none gets that one, and the mail says so). It is kept as a draft, previewed, tried on the
admin's own address, then sent: :func:`send_news` queues one mail per signatory who gave ``news_consent``
(confirmed, whose mailbox did not bounce for good), in their language, each claimed by a unique row so that
several senders, or one that died half-way and started again, mail everybody exactly once. The senders run
it with the check-ins; the outbox paces the mail. At most one update a week per campaign goes out, unless
the operator overrides it; every step is in the audit log.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l

from . import audit
from .appstate import state
from .campaigns import Campaign
from .mail import compose
from .store import Mail, SignOn
from .store.news import NewsUpdate
from .text import has_link, stacked_marks, unsafe_character
from .urls import public_url

log = logging.getLogger("widget.news")

#: The longest subject and body (characters): the body matches a signatory's progress update.
MAX_SUBJECT = 150
MAX_BODY = 500
#: At most one update per campaign in this many seconds, unless the operator overrides it.
NEWS_INTERVAL = 7 * 24 * 3600
#: Recipients queued per round of :func:`send_news` and per update (the rest in the next round).
BATCH = 500


def text_problem(text: str, limit: int, multiline: bool) -> Any:
    """Why a subject or body cannot be sent as written (a message to show), or None: the rule of the
    signatories' progress updates (a length, no links, no invisible characters)."""
    if len(text) > limit:
        return _l("Please use at most %(max)d characters.", max=limit)
    if has_link(text):
        return _l("Please leave out web and e-mail addresses: updates are shown as plain text.")
    if unsafe_character(text, multiline=multiline) or stacked_marks(text):
        return _l("Please remove the invisible control characters from this answer.")
    return None


def problems(campaign: Campaign, texts: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What is wrong with an update's texts, by form field (``subject-xx``, ``body-xx``); empty when none."""
    found: dict[str, Any] = {}
    for lang, text in texts.items():
        for part, limit in (("subject", MAX_SUBJECT), ("body", MAX_BODY)):
            problem = text_problem(text.get(part, ""), limit, multiline=part == "body")
            if problem is not None:
                found[f"{part}-{lang}"] = problem
        if bool(text.get("subject")) != bool(text.get("body")):
            missing = "body" if text.get("subject") else "subject"
            found[f"{missing}-{lang}"] = _l("Please write both a subject and a text in this language.")
    if not texts.get(campaign.default_lang, {}).get("subject"):
        found[f"subject-{campaign.default_lang}"] = _l("Please write this update in the campaign's main language.")
    return found


def write(campaign: Campaign, texts: dict[str, dict[str, str]], actor: str) -> int:
    """Keep a draft (texts checked by :func:`problems` before); its id."""
    texts = {lang: text for lang, text in texts.items() if text.get("subject")}
    return state().store.add_news(campaign.slug, texts, actor, audit=lambda update_id: audit.note(
        actor, "news.write", f"news:{update_id}", None, {"campaign": campaign.slug, "languages": sorted(texts)}))


def text_for(update: NewsUpdate, lang: str) -> tuple[str, dict[str, str]]:
    """The language and texts a signatory speaking ``lang`` gets: theirs, else the campaign's default."""
    if lang in update.texts:
        return lang, update.texts[lang]
    default = state().campaign(update.campaign).default_lang
    return default, update.texts.get(default) or next(iter(update.texts.values()))


def _stop_url(signon_id: str) -> str:
    # The token of widget.checkins.stop_url (kind news): a sibling workflow, not importable from here.
    return public_url("pledge.stop_mail", token=state().tokens.dumps("stop-mail", {"s": signon_id, "k": "news"}))


def news_mail(update: NewsUpdate, to: str, lang: str, signon: SignOn | None) -> Mail:
    """The update's mail to one recipient, in their language (``signon`` None: the admin's test)."""
    pledge = state()
    text_lang, text = text_for(update, lang)
    if signon is None:
        stop, withdraw = public_url("pledge.stop_mail", token="test"), public_url("pledge.withdraw", token="test")
    else:
        stop = _stop_url(signon.id)
        withdraw = public_url("pledge.withdraw", token=pledge.tokens.dumps("withdraw", signon.id))
    return compose.news(to, lang, pledge.campaign(update.campaign), text["subject"], text["body"], text_lang, stop,
                        withdraw, test=signon is None)


def send_test(update: NewsUpdate, lang: str, actor: str) -> None:
    """Queue the update, in ``lang``, to the signed-in admin's own address."""
    pledge = state()
    pledge.store.queue_mail(news_mail(update, actor, lang, None),
                            audit=audit.note(actor, "news.test", f"news:{update.id}", None, {"lang": lang}))
    pledge.mail_queued()


def recently_sent(campaign: str, now: float | None = None) -> float | None:
    """When the campaign's last update started going out, if within the week; else None."""
    last = state().store.last_news_sent_at(campaign)
    now = time.time() if now is None else now
    return last if last is not None and now - last < NEWS_INTERVAL else None


def start(update: NewsUpdate, actor: str, override: bool) -> bool:
    """Send a draft to the campaign's signatories who agreed to news: False when it is no draft any more,
    or another update of its campaign went out within the week and ``override`` is not given."""
    since = None if override else time.time() - NEWS_INTERVAL
    started = state().store.start_news(update.id, since, audit=lambda: audit.note(
        actor, "news.send", f"news:{update.id}", {"state": "draft"}, {"state": "sending", "override": override}))
    if started:
        send_news()
    return started


def send_news(app: Flask | None = None, batch: int = BATCH) -> int:
    """Queue a batch of mails of every update going out, each recipient once (several senders may run this
    at once); an update whose recipients are all queued is marked sent. Returns how many were queued.
    Outside a request it makes one on PLEDGE_PUBLIC_URL, for the links."""
    if app is not None and not (has_app_context() and current_app._get_current_object() is app):
        with app.app_context():
            return send_news(batch=batch)
    if not has_request_context():
        base = current_app.config["PLEDGE_PUBLIC_URL"] or "http://localhost"
        with current_app.test_request_context(base_url=base):
            return send_news(batch=batch)
    pledge = state()
    queued = 0
    for update in pledge.store.news_sending():
        if update.campaign not in pledge.campaigns:
            continue  # its campaign is gone from the configuration: nothing to say
        recipients = pledge.store.news_recipients(update.id, update.campaign, batch)
        held = 0
        for signon in recipients:
            try:
                # Asked-for mail counts against the mailbox's daily share like any other: a signatory of many
                # campaigns gets the rest on a later run, never a flood.
                claimed = pledge.store.claim_news(update.id, signon.id,
                                                  news_mail(update, signon.email, signon.lang, signon), pledge.limits)
                queued += bool(claimed)
                held += claimed is None
            except Exception:  # noqa: BLE001 - one recipient's failure must not keep the others' news back
                log.exception("news %s to a sign-on of %s failed", update.id, update.campaign)
        if len(recipients) < batch and not held:
            pledge.store.finish_news(update.id)
    if queued:
        pledge.mail_queued()
    return queued
