"""A host's private list of the organisations it asked to sign (a part of :class:`widget.store.sql.SQLStore`).

Each entry belongs to one site and to the host that owns it: every read and write names both, so no other
host reaches an entry, whatever id it sends. Beside each entry the list tells whether an organisation of
that name signed through the site and is on the public list: the public list's own folded name
(``org_folded``) among the site's listed sign-ons, and nothing the public list does not already show.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..addresses import normalise_stored
from .listing import LISTABLE, SHOWN, fold


@dataclass(frozen=True)
class Ask:
    """One organisation a host asked, and whether it came through."""

    id: int
    organization: str
    org_type: str | None
    note: str | None
    created_at: float
    #: When the first listed sign-on of that name through the site was confirmed; None while there is none.
    signed_at: float | None = None


def _came_through(moderation: str, engine: str) -> str:
    # LISTABLE and SHOWN name the sign-on's columns without a table: inside this subquery they are the
    # sign-on's (the innermost table comes first), and they match the partial index word for word.
    # SQLite's planner, without statistics, would walk every confirmed sign-on of the site for each ask.
    signons = "signons s INDEXED BY signons_list_site_org" if engine == "sqlite" else "signons s"
    return (f"(SELECT MIN(s.confirmed_at) FROM {signons} WHERE s.site_key = a.site_key "
            f"AND s.org_folded = a.org_folded AND {LISTABLE} AND {SHOWN[moderation]})")


class AskTables:
    """The hosts' asks. Mixed into the store, whose ``query()`` and ``write()`` it uses."""

    query: Any  # provided by the store: (sql, params) -> list of rows
    write: Any  # provided by the store: a write transaction
    engine: str  # provided by the store: "sqlite" or "postgresql"

    def add_ask(self, site_key: str, owner_email: str, organization: str, org_type: str | None, note: str | None,
                limit: int) -> int | None:
        """Add an organisation to the host's list for a site; its id, or None when the list holds ``limit``
        entries already (counted under the site's lock, so two tabs cannot pass the limit together)."""
        owner = normalise_stored(owner_email)
        with self.write(f"asks:{site_key}") as db:
            held = db.execute("SELECT COUNT(*) FROM host_asks WHERE site_key = ? AND owner_email = ?",
                              [site_key, owner]).fetchone()[0]
            if held >= limit:
                return None
            return db.execute(
                "INSERT INTO host_asks (site_key, owner_email, organization, org_folded, org_type, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [site_key, owner, organization, fold(organization), org_type, note, time.time()],
            ).fetchone()[0]

    def remove_ask(self, site_key: str, owner_email: str, ask_id: int) -> bool:
        """Delete one entry of the host's list for a site; False if it has no such entry."""
        with self.write() as db:
            return bool(db.execute("DELETE FROM host_asks WHERE id = ? AND site_key = ? AND owner_email = ?",
                                   [ask_id, site_key, normalise_stored(owner_email)]).rowcount)

    def asks(self, site_key: str, owner_email: str, moderation: str = "post") -> list[Ask]:
        """The host's list for a site, latest first, each entry with whether it came through."""
        rows = self.query(
            f"SELECT a.id, a.organization, a.org_type, a.note, a.created_at, {_came_through(moderation, self.engine)} "
            "FROM host_asks a WHERE a.site_key = ? AND a.owner_email = ? ORDER BY a.created_at DESC, a.id DESC",
            [site_key, normalise_stored(owner_email)],
        )
        return [Ask(*row) for row in rows]

    def ask_counts(self, site_key: str, owner_email: str, moderation: str = "post") -> tuple[int, int]:
        """``(asked, signed)``: the organisations on the host's list for a site (a name asked twice is one),
        and how many of them came through."""
        [(asked, signed)] = self.query(
            "SELECT COUNT(DISTINCT a.org_folded), "
            f"COUNT(DISTINCT CASE WHEN {_came_through(moderation, self.engine)} IS NOT NULL THEN a.org_folded END) "
            "FROM host_asks a WHERE a.site_key = ? AND a.owner_email = ?",
            [site_key, normalise_stored(owner_email)],
        )
        return asked, signed
