"""Hosts who came from a sign-on (a part of :class:`widget.store.sql.SQLStore`).

A signatory who has just confirmed may become a host at once ("Put this button on your own website"):
each sign-on does it once, and a host created that way remembers the campaign it came from, so the
operator can count how many hosts the campaign recruited.
"""
from __future__ import annotations

import time
from typing import Any

from ..addresses import normalise_stored


class SharingTables:
    """Host starts from sign-ons. Mixed into the store, whose ``query()`` and ``write()`` it uses."""

    query: Any  # provided by the store: (sql, params) -> list of rows
    write: Any  # provided by the store: a write transaction

    def start_host_from_signon(self, signon_id: str, email: str, campaign: str, lang: str | None) -> bool:
        """Make the sign-on's address a host (a new host records the campaign and sign-on it came from; an
        existing one stays as it is), once per sign-on: False if this sign-on did it before."""
        email = normalise_stored(email)
        now = time.time()
        with self.write(f"email:{email}") as db:
            first = db.execute("INSERT INTO signon_host_starts (signon_id, email, used_at) VALUES (?, ?, ?) "
                               "ON CONFLICT DO NOTHING", [signon_id, email, now]).rowcount
            if not first:
                return False
            db.execute("INSERT INTO hosts (email, created_at, lang, from_campaign, from_signon) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT DO NOTHING", [email, now, lang, campaign, signon_id])
        return True

    def hosts_from_signons(self, campaign: str | None = None) -> int:
        """How many hosts signed up from a sign-on's thank-you page (of one campaign, or of all)."""
        if campaign is None:
            return self.query("SELECT COUNT(*) FROM hosts WHERE from_campaign IS NOT NULL")[0][0]
        return self.query("SELECT COUNT(*) FROM hosts WHERE from_campaign = ?", [campaign])[0][0]

    def recruited_hosts(self) -> dict[str, str]:
        """The campaign each host that came from a sign-on came from, by address."""
        return dict(self.query("SELECT email, from_campaign FROM hosts WHERE from_campaign IS NOT NULL"))
