"""Retention: ``PLEDGE_RETAIN_CONTACT_DAYS`` days after a campaign's close, its sign-ons' contact details are
erased (names, addresses, the commitment's free text), and what is counted and public stays (see
:mod:`widget.store.retention`). ``never`` (the default) keeps them.

A campaign's close is its life's (:meth:`widget.campaigns.Campaign.ended_at`): closed by the operator, or its
``closes`` passed. A campaign opened again by an extension is no longer closed, and nothing more is erased
until it closes again. ``pledge-widget retention apply`` and the senders' daily housekeeping both run
:func:`apply`; each erasure appends an entry to the audit log (``retention.erase``), which it never changes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from . import audit

DAY = 86400.0
NEVER = "never"


def retain_days(value: Any) -> int | None:
    """``PLEDGE_RETAIN_CONTACT_DAYS`` as days (None: never), or a ValueError saying what it may be."""
    if value is None or str(value).strip().lower() == NEVER:
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"PLEDGE_RETAIN_CONTACT_DAYS must be a number of days (0 or more) or never, not {value!r}")
    return days


@dataclass(frozen=True)
class Due:
    """A closed campaign: when it closed, when its contact details are (or were) erased, and how many sign-ons
    still hold them (erased now, unless this was a dry run)."""

    campaign: str
    closed_at: float
    erase_at: float
    signons: int
    erased: bool


def apply(store: Any, registry: Any, days: int | None, actor: str, dry_run: bool = False,
          now: float | None = None) -> list[Due]:
    """Erase the contact details of every campaign closed more than ``days`` ago (none when ``days`` is None);
    return every closed campaign with what was (or, with ``dry_run``, would be) done."""
    now = time.time() if now is None else now
    if days is None:
        return []
    registry.refresh(force=True)
    found = []
    for slug in sorted(registry):
        closed_at = registry.now(slug).ended_at(now)
        if closed_at is None:
            continue
        erase_at = closed_at + days * DAY
        waiting = store.erasable(slug)
        due = erase_at <= now and waiting > 0
        if due and not dry_run:
            erased = store.erase_contacts(slug, now)
            audit.record(store, actor, "retention.erase", f"campaign:{slug}", None,
                         {"signons": erased, "closed_at": closed_at, "retain_days": days})
            waiting = erased
        found.append(Due(slug, closed_at, erase_at, waiting, due and not dry_run))
    return found
