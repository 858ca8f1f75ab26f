"""Paper sign-ons (a part of :class:`widget.store.sql.SQLStore`).

A host enters the signed paper declarations it collected; they wait as sign-ons of status ``paper``
(``source = 'paper'``), counted in nothing, until the operator approves them. Approving one makes it
``confirmed`` and counts it in ``counts.confirmed`` and ``counts.paper``, of its site and of its
campaign's total, in the same transaction.
"""
from __future__ import annotations

import time
from typing import Any

from ..addresses import mailbox
from .records import Counts, SignOn
from .admin import Audit
from .listing import listing_columns, public_id
from .schema import ANSWER_FIELDS

#: The status of a paper sign-on waiting for the operator.
WAITING = "paper"
#: What :meth:`PaperTables.recount` appends to the site key of a paper counter that drifted.
PAPER_DRIFT_SUFFIX = " (paper)"


class PaperTables:
    """Paper sign-ons. Mixed into the store, whose ``write()``, ``_insert()``, ``_signons()``, ``_count()``,
    ``_counters()`` and ``_drift()`` it uses."""

    write: Any  # provided by the store: a write transaction
    _append_audit: Any  # (db, note) -> None
    _insert: Any  # (db, table, row) -> None
    _signons: Any  # (where, params) -> list of SignOn
    _signed_in: Any  # (db, campaign, email) -> bool
    _signer_lock: Any  # (signon) -> the name of the lock on its mailbox's signature
    _count: Any  # (db, campaign, site_key, confirmed, paper) -> None
    append_count_log: Any  # (db, campaign, event, public_id, at) -> seq
    _enqueue_webhooks: Any  # (db, event_type, signon, signed_at) -> int
    _counters: Any  # (column, campaign, site_key) -> Counts
    _drift: Any  # (column, where, db) -> list of differences

    def add_paper_signons(self, signons: list[SignOn]) -> None:
        """Store paper sign-ons waiting for the operator, all in one transaction."""
        rows = []
        for signon in signons:
            row = {
                "id": signon.id, "campaign": signon.campaign, "site_key": signon.site_key, "email": signon.email,
                "mailbox": mailbox(signon.email),
                "lang": signon.lang, "status": WAITING, "created_at": signon.created_at, "confirmed_at": None,
                "consent_at": signon.consent_at, "consent_version": signon.consent_version,
                "contact_consent": None, "source": "paper",
            }
            row.update({name: signon.answers.get(name) for name in ANSWER_FIELDS})
            row.update(listing_columns(signon.id, row["organization"]))
            rows.append(row)
        if rows:
            with self.write() as db:
                for row in rows:
                    self._insert(db, "signons", row)

    def paper_signons(self, site_key: str | None = None) -> list[SignOn]:
        """Paper sign-ons waiting for the operator, oldest first, of one site or of all."""
        where, params = "WHERE status = ?", [WAITING]
        if site_key is not None:
            where += " AND site_key = ?"
            params.append(site_key)
        return self._signons(where + " ORDER BY created_at, id", params)

    def approve_paper(self, signon_ids: list[str], audit: Audit | None = None) -> dict[str, str]:
        """Approve waiting paper sign-ons, in one transaction: ``{id: "approved"}`` for each one now
        confirmed and counted (site and total, confirmed and paper), ``"already"`` for one whose address
        signed the campaign meanwhile (it stays waiting: reject it), ``"unknown"`` for an id that is no
        waiting paper sign-on (approved before, rejected, or never entered): approving twice counts once.
        The entry ``audit`` makes of each approved id is appended in the same transaction."""
        results: dict[str, str] = {}
        waiting = {s.id: s for s in self._signons(f"WHERE status = ? AND id IN ({', '.join('?' * len(signon_ids))})",
                                                   [WAITING, *signon_ids])} if signon_ids else {}
        now = time.time()
        # Every signer's lock first, in one order: a confirmation of one of these addresses waits for us
        # (or we for it), and never half-way through, holding a counter the other needs.
        with self.write(*sorted({self._signer_lock(s) for s in waiting.values()})) as db:
            for signon_id in dict.fromkeys(signon_ids):
                signon = waiting.get(signon_id)
                if signon is None:
                    results[signon_id] = "unknown"
                    continue
                if self._signed_in(db, signon.campaign, signon.email):
                    results[signon_id] = "already"
                    continue
                changed = db.execute("UPDATE signons SET status = 'confirmed', confirmed_at = ? WHERE id = ? "
                                     "AND status = ? RETURNING site_key", [now, signon_id, WAITING]).fetchone()
                if changed is None:  # approved or rejected by someone else meanwhile
                    results[signon_id] = "unknown"
                    continue
                self._count(db, signon.campaign, changed[0], confirmed=1, paper=1)
                self.append_count_log(db, signon.campaign, "confirmed", public_id(signon_id), now)
                self._enqueue_webhooks(db, "signon.confirmed", signon, now)
                if audit is not None:
                    self._append_audit(db, audit(signon_id))
                results[signon_id] = "approved"
        return results

    def reject_paper(self, signon_id: str, audit: Audit | None = None) -> bool:
        """Delete a waiting paper sign-on (it was never counted), appending the entry ``audit`` makes of its
        id; False if there is none of this id."""
        with self.write() as db:
            changed = db.execute("DELETE FROM signons WHERE id = ? AND status = ?", [signon_id, WAITING]).rowcount
            if changed and audit is not None:
                self._append_audit(db, audit(signon_id))
            return bool(changed)

    def paper_counts(self, campaign: str, site_key: str) -> Counts:
        """Approved paper sign-ons of a site and of its campaign (part of :meth:`counts`), read from the
        counters (O(1))."""
        return self._counters("paper", campaign, site_key)

    def paper_drift(self, db: Any = None) -> list[tuple[str, str, int, int]]:
        """The paper counters against the rows (confirmed sign-ons of source ``paper``):
        ``(campaign, site_key + " (paper)", counter, rows)`` where they differ."""
        return [(c, (s + PAPER_DRIFT_SUFFIX).lstrip(), counter, rows)
                for c, s, counter, rows in self._drift("paper", "AND source = 'paper'", db)]
