"""A host's list of the organisations it asked to sign through one of its sites, and which came through.

An organisation came through when a sign-on of that name (the public list's own folded spelling) was
confirmed through the site and shows on the public list: the host learns nothing the list does not
already publish, and no address is ever looked up. The host pages call these functions; the list is the
host's alone (see :class:`widget.store.asks.AskTables`).
"""
from __future__ import annotations

from flask import current_app

from .appstate import state
from .store import Site
from .store.asks import Ask

#: The most entries one host's list for one site may hold (a person asks dozens, not thousands).
MAX_ASKS = 2000


def record(site: Site, host: str, organization: str, org_type: str | None, note: str | None) -> bool:
    """Add an organisation the host asked; False (nothing added) when the list is full."""
    return state().store.add_ask(site.key, host, organization, org_type or None, note or None, MAX_ASKS) is not None


def remove(site: Site, host: str, ask_id: int) -> bool:
    """Delete an entry of the host's list; False if the list has no such entry."""
    return state().store.remove_ask(site.key, host, ask_id)


def asked(site: Site, host: str) -> list[Ask]:
    """The host's list for a site, latest first, each entry with when its organisation came through."""
    return state().store.asks(site.key, host, current_app.config["PLEDGE_LIST_MODERATION"])


def tally(site: Site, host: str) -> tuple[int, int]:
    """``(asked, signed)``: the organisations on the host's list for a site, and those that came through."""
    return state().store.ask_counts(site.key, host, current_app.config["PLEDGE_LIST_MODERATION"])
