"""Moderation of the public list of signatories: plain functions the CLI and the operator's desk both call.

Each takes the store, an entry's id (the public id the list shows; a sign-on's own id works too) and who
acts, and returns the entry as it now is, or raises :class:`ListingError` with a message for the operator.
The operator's ones take an ``audit`` function too: given the entry as it now is, it makes the audit entry
appended in the change's transaction (see :meth:`widget.store.listing.ListingTables.set_list_state`).
None of them changes a count: a hidden, waiting or departed entry stays a confirmed, counted sign-on.
"""
from __future__ import annotations

from typing import Any

from .store.admin import Audit
from .store.listing import Entry

#: Who acts when a signatory leaves the list from their own link.
SIGNATORY = "signatory"


class ListingError(ValueError):
    """A moderation action that cannot be done: an unknown id, a missing reason, an entry that left."""


def _entry(store: Any, entry_id: str) -> Entry:
    entry = store.get_entry((entry_id or "").strip())
    if entry is None:
        raise ListingError(f"no signatory with the id {entry_id!r} on any list")
    return entry


def _set(store: Any, entry_id: str, state: str, reason: str | None, actor: str | None,
         audit: Audit | None = None) -> Entry:
    entry = _entry(store, entry_id)
    if entry.state == "left" and state != "left":
        raise ListingError(f"{entry.id} left the list: only the signatory could decide otherwise")
    changed = store.set_list_state(entry.id, state, reason, actor, audit=audit)
    if changed is None:  # it left between the read and the write
        raise ListingError(f"{entry.id} left the list: only the signatory could decide otherwise")
    return changed


def hide(store: Any, entry_id: str, reason: str, actor: str | None = None, audit: Audit | None = None) -> Entry:
    """Take an entry off the public list, with the reason the operator gives (required)."""
    reason = (reason or "").strip()
    if not reason:
        raise ListingError("a reason is required to hide an entry")
    return _set(store, entry_id, "hidden", reason, actor, audit)


def show(store: Any, entry_id: str, actor: str | None = None, audit: Audit | None = None) -> Entry:
    """Put a hidden (or waiting) entry back on the public list."""
    return _set(store, entry_id, "listed", None, actor, audit)


def approve(store: Any, entry_id: str, actor: str | None = None, audit: Audit | None = None) -> Entry:
    """List an entry that waits for approval (``PLEDGE_LIST_MODERATION=pre``); an entry that is listed
    already stays so, a hidden one needs :func:`show`."""
    entry = _entry(store, entry_id)
    if entry.state == "hidden":
        raise ListingError(f"{entry.id} is hidden ({entry.reason}): use show to list it again")
    return _set(store, entry_id, "listed", None, actor, audit)


def pending(store: Any, entry_id: str, actor: str | None = None, audit: Audit | None = None) -> Entry:
    """Send an entry back to the queue of entries waiting for approval (off the list meanwhile)."""
    return _set(store, entry_id, "pending", None, actor, audit)


def leave(store: Any, entry_id: str, actor: str | None = SIGNATORY) -> Entry:
    """The signatory leaves the list for good (their signature still counts); the operator cannot list
    them again. Leaving again (a reload, the mail's link used twice) is no error: they are off the list."""
    entry = _entry(store, entry_id)
    if entry.state == "left":
        return entry
    return _set(store, entry_id, "left", None, actor)
