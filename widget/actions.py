"""What the operator does, one function per action, for the desk (/admin/) and the command line alike.

Each function changes what it must through the workflow modules and the store, and records what it did
in the audit log: who (``actor``: an admin's address, or ``cli:<OS user>``), what, on which record, before
and after. The entry is written in the transaction of the change it records, never after it (a crash in
between would leave a change nobody can account for): each action hands the store method a function that
makes the :func:`widget.audit.note` of a record it changed, and the store appends it there, for the records
it did change only. The desk's views and the CLI commands call these and nothing else, so an action leaves
the same trace whichever way it was taken.

The audit entries name records by their ids and say what changed (a status, a reason): never a
signatory's name or address, because the audit log is append-only and an erasure must leave nothing behind.

Nothing here wakes the in-process mail sender: the CLI's process ends at once. The desk's views wake it
after an action that queued mail; the service's senders poll anyway.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import audit, listing, paper, signons
from .appstate import state
from .store import SignOn, Site
from .store.admin import Audit, AuditNote
from .store.listing import Entry

#: What each limit's name means (see widget.store.sql.SQLStore._over_limits), for whoever reviews held
#: sign-ons: the CLI prints these; the desk shows its own localised wording.
HELD_REASONS = {
    "email_per_day": "address over PLEDGE_LIMIT_EMAIL_PER_DAY",
    "site_per_hour": "site over PLEDGE_LIMIT_SITE_PER_HOUR",
    "ip_per_day": "client over PLEDGE_LIMIT_IP_PER_DAY",
    "blocked": "on a block list (see `block list`)",
}


@dataclass
class Outcome:
    """What a batch action did: the ids it changed, and those it left alone with why (``not_held``,
    ``unknown``, ``already``, ``not_failed``: see each action), so that a caller can say which and why."""

    done: list[Any] = field(default_factory=list)
    skipped: dict[Any, str] = field(default_factory=dict)


def _signon_notes(actor: str, action: str, read: dict[str, SignOn], before: Callable[[SignOn], dict],
                  after: dict | None) -> Audit:
    """The audit function of an action on sign-ons: ``before`` says what each was, as ``read`` before the action."""
    return lambda signon_id: audit.note(actor, action, f"signon:{signon_id}", before(read[signon_id]), after)


# -- sites ----------------------------------------------------------------------------------------------


def _set_site_status(key: str, status: str, actor: str, action: str) -> Site | None:
    store = state().store
    site = store.get_site(key)
    if site is None:
        return None
    if site.status == status:
        return site  # nothing changed: nothing to record
    changed = store.update_site(key, status=status, audit=lambda key: audit.note(
        actor, action, f"site:{key}", {"status": site.status}, {"status": status}))
    # Its widget pages were kept rendered by this process: they must follow the change at once.
    state().pages.clear()
    return changed


def approve_site(key: str, actor: str) -> Site | None:
    """Let a site that waits for approval (``PLEDGE_HOST_APPROVAL=manual``), or that was disabled, show
    its widget. Returns the site, or None if there is no such site."""
    return _set_site_status(key, "active", actor, "site.approve")


def disable_site(key: str, actor: str) -> Site | None:
    """Stop a site's widget (404) without deleting anything; :func:`approve_site` undoes it. Returns the
    site, or None if there is no such site."""
    return _set_site_status(key, "disabled", actor, "site.disable")


# -- held sign-ons --------------------------------------------------------------------------------------


def held_signons(reason: str | None = None, site_key: str | None = None) -> list[SignOn]:
    """Sign-ons kept aside by the limits, oldest first, of one limit and of one site if given."""
    return [s for s in state().store.held_signons()
            if (reason is None or s.held_reason == reason) and (site_key is None or s.site_key == site_key)]


def _held_before(signon: SignOn) -> dict[str, Any]:
    return {"status": "held", "reason": signon.held_reason, "site": signon.site_key, "campaign": signon.campaign}


def release_held(signon_ids: list[str], actor: str) -> Outcome:
    """Send held sign-ons their confirmation e-mail, as if never held (it goes through the outbox).

    Links in the mail are absolute: the caller runs inside a request (the desk's, or the CLI's
    throwaway one on ``PLEDGE_PUBLIC_URL``)."""
    held = {s.id: s for s in state().store.held_signons()}
    notes = _signon_notes(actor, "held.release", held, _held_before, {"status": "pending"})
    released, unknown = signons.release_held(list(dict.fromkeys(signon_ids)), audit=notes)
    return Outcome(done=released, skipped={signon_id: "not_held" for signon_id in unknown})


def discard_held(signon_ids: list[str], actor: str) -> Outcome:
    """Delete held sign-ons without ever mailing them."""
    store = state().store
    held = {s.id: s for s in store.held_signons()}
    notes = _signon_notes(actor, "held.discard", held, _held_before, None)
    outcome = Outcome()
    for signon_id in dict.fromkeys(signon_ids):
        if signon_id in held and store.discard_held(signon_id, audit=notes):
            outcome.done.append(signon_id)
        else:
            outcome.skipped[signon_id] = "not_held"
    return outcome


# -- paper sign-ons -------------------------------------------------------------------------------------


def _paper_before(signon: SignOn) -> dict[str, Any]:
    return {"status": "paper", "site": signon.site_key, "campaign": signon.campaign}


def approve_paper(signon_ids: list[str] | None, actor: str) -> Outcome:
    """Approve paper sign-ons waiting (all of them when ``signon_ids`` is None): they are confirmed and
    counted once. Skipped ids say ``unknown`` (not waiting) or ``already`` (the address signed meanwhile)."""
    waiting = {s.id: s for s in state().store.paper_signons()}
    notes = _signon_notes(actor, "paper.approve", waiting, _paper_before, {"status": "confirmed"})
    # "All" is all of those just read: one a host enters meanwhile would have no "before" for its entry.
    results = paper.approve(list(waiting) if signon_ids is None else list(dict.fromkeys(signon_ids)), audit=notes)
    outcome = Outcome()
    for signon_id, result in results.items():
        if result == "approved":
            outcome.done.append(signon_id)
        else:
            outcome.skipped[signon_id] = result
    return outcome


def reject_paper(signon_ids: list[str], actor: str) -> Outcome:
    """Delete paper sign-ons waiting for approval (they were never counted)."""
    waiting = {s.id: s for s in state().store.paper_signons()}
    notes = _signon_notes(actor, "paper.reject", waiting, _paper_before, None)
    rejected, unknown = paper.reject(list(dict.fromkeys(signon_ids)), audit=notes)
    return Outcome(done=rejected, skipped={signon_id: "unknown" for signon_id in unknown})


# -- the public list ------------------------------------------------------------------------------------


def _list_action(entry_id: str, actor: str, action: str, change: Callable[..., Entry], *args: Any) -> Entry:
    """Run one of widget.listing's moderation functions, recording what it changed (it raises
    :class:`widget.listing.ListingError`, changing nothing, when it cannot be done)."""
    store = state().store
    before = store.get_entry((entry_id or "").strip())

    def note(entry: Entry) -> AuditNote:  # given the entry as it now is
        return audit.note(actor, action, f"entry:{entry.id}",
                          None if before is None else {"state": before.state, "reason": before.reason},
                          {"state": entry.state, "reason": entry.reason})

    entry = change(store, entry_id, *args, actor, audit=note)
    state().pages.clear()  # the list pages this process keeps rendered
    return entry


def hide_entry(entry_id: str, reason: str, actor: str) -> Entry:
    """Take an organisation off the public list, saying why (the reason is required)."""
    return _list_action(entry_id, actor, "list.hide", listing.hide, reason)


def show_entry(entry_id: str, actor: str) -> Entry:
    """Put a hidden (or waiting) organisation back on the public list."""
    return _list_action(entry_id, actor, "list.show", listing.show)


def approve_entry(entry_id: str, actor: str) -> Entry:
    """List an organisation that waits for approval (``PLEDGE_LIST_MODERATION=pre``)."""
    return _list_action(entry_id, actor, "list.approve", listing.approve)


def requeue_entry(entry_id: str, actor: str) -> Entry:
    """Take a listed organisation off the list until someone approves it again (a second look before
    deciding to hide it or not); under ``post`` moderation too."""
    return _list_action(entry_id, actor, "list.requeue", listing.pending)


# -- progress updates -----------------------------------------------------------------------------------


def moderate_update(update_id: int, moderation: str, actor: str) -> bool:
    """Approve (``approved``) or reject (``rejected``) a signatory's progress update: only approved ones are
    shown on the campaign's public progress page. False if there is no such update."""
    done = state().store.moderate_update(update_id, moderation, audit=lambda update, before: audit.note(
        actor, {"approved": "progress.approve", "rejected": "progress.reject"}[moderation], f"update:{update}", {"moderation": before}, {"moderation": moderation}))
    if done:
        state().pages.clear()  # the progress pages this process keeps rendered
    return done


# -- mail -----------------------------------------------------------------------------------------------

#: Something shaped like an e-mail address inside a mail server's answer (which usually names the recipient).
_ADDRESS = re.compile(r"[^\s<>'\"(),;:\[\]{}]+@[^\s<>'\"(),;:\[\]{}]+")


def _without_addresses(error: str | None) -> str | None:
    """A server's answer with the addresses in it blanked out: the audit log can never be erased, and a
    recipient's address in it would outlive the erasure of their sign-on."""
    return None if error is None else _ADDRESS.sub("[address]", error)



def retry_mail(mail_ids: list[int] | None, actor: str) -> Outcome:
    """Queue again e-mails that failed for good (all of them when ``mail_ids`` is None), due now.
    Skipped ids say ``not_failed``."""
    store = state().store
    failed = {row["id"]: row for row in store.failed_mail()}
    chosen = list(failed) if mail_ids is None else list(dict.fromkeys(int(i) for i in mail_ids))
    outcome = Outcome(done=[i for i in chosen if i in failed],
                      skipped={i: "not_failed" for i in chosen if i not in failed})

    def note(mail_id: int) -> AuditNote:
        row = failed[mail_id]
        return audit.note(actor, "mail.retry", f"mail:{mail_id}",
                          {"status": "failed", "attempts": row["attempts"], "last_error": _without_addresses(row["last_error"])},
                          {"status": "queued"})

    if outcome.done:
        store.retry_failed_mail(outcome.done, audit=note)
    return outcome
