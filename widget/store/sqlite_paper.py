"""Paper sign-ons in the SQLite store (a part of :class:`widget.store.sqlite.SQLiteStore`).

A host enters the signed paper declarations it collected; they wait as sign-ons of status ``paper``
(``source = 'paper'``), counted in nothing, until the operator approves them. Approving one makes it
``confirmed`` and counts it in ``counts.confirmed`` and ``counts.paper``, of its site and of its
campaign's total, in the same transaction.
"""
from __future__ import annotations

import time
from typing import Any

from . import Counts, SignOn

TOTAL = ""  # the site_key of a campaign's total in the counts table (as in sqlite.py)
#: The status of a paper sign-on waiting for the operator.
WAITING = "paper"
#: What :meth:`PaperTables.recount` appends to the site key of a paper counter that drifted.
PAPER_DRIFT_SUFFIX = " (paper)"


class PaperTables:
    """Paper sign-ons. Mixed into the SQLite store, whose ``db``, ``write()`` and ``_signon()`` it uses."""

    db: Any

    def write(self) -> Any:  # provided by the store
        raise NotImplementedError

    _signon: Any  # provided by the store: a row and its cursor's description -> SignOn

    def add_paper_signons(self, signons: list[SignOn]) -> None:
        """Store paper sign-ons waiting for the operator, all in one transaction."""
        from .sqlite import ANSWER_FIELDS  # (imported here: sqlite.py imports this module)

        rows = []
        for signon in signons:
            row = {
                "id": signon.id, "campaign": signon.campaign, "site_key": signon.site_key, "email": signon.email,
                "lang": signon.lang, "status": WAITING, "created_at": signon.created_at, "confirmed_at": None,
                "consent_at": signon.consent_at, "consent_version": signon.consent_version,
                "contact_consent": None, "source": "paper",
            }
            row.update({name: signon.answers.get(name) for name in ANSWER_FIELDS})
            rows.append(row)
        if rows:
            with self.write() as db:
                db["signons"].insert_all(rows)

    def paper_signons(self, site_key: str | None = None) -> list[SignOn]:
        """Paper sign-ons waiting for the operator, oldest first, of one site or of all."""
        query, params = "SELECT * FROM signons WHERE status = ?", [WAITING]
        if site_key is not None:
            query += " AND site_key = ?"
            params.append(site_key)
        cursor = self.db.execute(query + " ORDER BY created_at, id", params)
        return [self._signon(cursor.description, row) for row in cursor.fetchall()]

    def approve_paper(self, signon_ids: list[str]) -> dict[str, str]:
        """Approve waiting paper sign-ons, in one transaction: ``{id: "approved"}`` for each one now
        confirmed and counted (site and total, confirmed and paper), ``"already"`` for one whose address
        signed the campaign meanwhile (it stays waiting: reject it), ``"unknown"`` for an id that is no
        waiting paper sign-on (approved before, rejected, or never entered): approving twice counts once."""
        results: dict[str, str] = {}
        now = time.time()
        with self.write() as db:
            for signon_id in dict.fromkeys(signon_ids):
                row = db.execute(
                    "SELECT campaign, site_key, email FROM signons WHERE id = ? AND status = ?", [signon_id, WAITING]
                ).fetchone()
                if row is None:
                    results[signon_id] = "unknown"
                    continue
                campaign, site_key, email = row
                if db.execute("SELECT 1 FROM signons WHERE campaign = ? AND email = ? AND status = 'confirmed'",
                              [campaign, email]).fetchone():
                    results[signon_id] = "already"
                    continue
                db.execute("UPDATE signons SET status = 'confirmed', confirmed_at = ? WHERE id = ?", [now, signon_id])
                for key in (site_key, TOTAL):
                    db.execute(
                        "INSERT INTO counts (campaign, site_key, confirmed, paper) VALUES (?, ?, 1, 1) "
                        "ON CONFLICT (campaign, site_key) DO UPDATE SET confirmed = confirmed + 1, paper = paper + 1",
                        [campaign, key],
                    )
                results[signon_id] = "approved"
        return results

    def reject_paper(self, signon_id: str) -> bool:
        """Delete a waiting paper sign-on (it was never counted); False if there is none of this id."""
        with self.write() as db:
            return bool(db.execute("DELETE FROM signons WHERE id = ? AND status = ?", [signon_id, WAITING]).rowcount)

    def paper_counts(self, campaign: str, site_key: str) -> Counts:
        """Approved paper sign-ons of a site and of its campaign (part of :meth:`counts`), read from the
        counters (O(1))."""
        rows = dict(self.db.execute(
            "SELECT site_key, paper FROM counts WHERE campaign = ? AND site_key IN (?, ?)", [campaign, site_key, TOTAL]
        ).fetchall())
        return Counts(site=rows.get(site_key, 0), total=rows.get(TOTAL, 0))

    def paper_drift(self) -> list[tuple[str, str, int, int]]:
        """The paper counters against the rows (confirmed sign-ons of source ``paper``):
        ``(campaign, site_key + " (paper)", counter, rows)`` where they differ."""
        actual: dict[tuple[str, str], int] = {}
        query = ("SELECT campaign, site_key, COUNT(*) FROM signons WHERE status = 'confirmed' AND source = 'paper' "
                 "GROUP BY 1, 2")
        for campaign, site_key, n in self.db.execute(query):
            actual[(campaign, site_key)] = n
            actual[(campaign, TOTAL)] = actual.get((campaign, TOTAL), 0) + n
        counters = {(c, s): n for c, s, n in self.db.execute("SELECT campaign, site_key, paper FROM counts")}
        return [
            (c, (s + PAPER_DRIFT_SUFFIX).lstrip(), counters.get((c, s), 0), actual.get((c, s), 0))
            for c, s in sorted(set(actual) | set(counters))
            if counters.get((c, s), 0) != actual.get((c, s), 0)
        ]
