"""Commitments followed through (a part of :class:`widget.store.sql.SQLStore`): the optional consents to be
written to again, the check-ins mailed, the single-use progress links and what signatories reported.

A check-in is claimed by its row in ``checkins_sent`` (sign-on, number in its schedule), written in the
transaction that queues its mail: however many senders look at once, one of them mails it. A progress
link's row makes it single use. Reports go with their sign-on: a withdrawal or an erasure deletes them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .records import Limits, Mail, SignOn

#: The statuses a signatory may report, in the order they are shown.
PROGRESS_STATUSES = ("not_started", "in_progress", "done")
#: The consents a mail can withdraw, and their columns.
CONSENT_COLUMNS = {"checkins": "checkin_consent", "news": "news_consent"}
#: What an update is until the operator looked at it, and after.
MODERATION = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class ProgressLink:
    """One progress link of a sign-on (its id is what the signed token carries)."""

    id: str
    signon_id: str
    created_at: float
    used_at: float | None


@dataclass(frozen=True)
class Update:
    """A report's update text, with what the public may know beside it."""

    id: int
    campaign: str
    organization: str
    country: str
    text: str
    moderation: str
    reported_at: float


class ProgressTables:
    """Consents, check-ins, progress links and reports. Mixed into the store, whose ``query()``, ``write()``,
    ``_insert``, ``_enqueue``, ``_enqueue_webhooks``, ``_append_audit`` and ``get_signon`` it uses."""

    query: Any
    write: Any
    _insert: Any
    _enqueue: Any
    _enqueue_webhooks: Any
    _append_audit: Any
    _mail_allowed: Any
    _signons: Any
    get_signon: Any

    # -- consents -----------------------------------------------------------------------------------

    def drop_consent(self, signon_id: str, kind: str) -> bool:
        """Withdraw the consent to check-ins (``checkins``) or to news (``news``) of one sign-on (idempotent);
        True if it was given until now."""
        column = CONSENT_COLUMNS[kind]
        with self.write() as db:
            return bool(db.execute(f"UPDATE signons SET {column} = NULL WHERE id = ? AND {column} IS NOT NULL",
                                   [signon_id]).rowcount)

    # -- check-ins ------------------------------------------------------------------------------------

    def checkin_candidates(self, cutoffs: dict[str, float], batch: int = 1000) -> Iterator[tuple[SignOn, int]]:
        """Per campaign of ``cutoffs``, its confirmed sign-ons that agreed to check-ins and were confirmed
        before its cutoff (none later can be due yet), each with the number of check-ins claimed for it so
        far (its highest + 1). Read in batches: two queries per ``batch`` sign-ons."""
        for campaign, confirmed_before in cutoffs.items():
            after = ""
            while True:
                signons = self._signons(
                    "WHERE campaign = ? AND status = 'confirmed' AND checkin_consent IS NOT NULL AND confirmed_at <= ? "
                    "AND id > ? ORDER BY id LIMIT ?", [campaign, confirmed_before, after, batch])
                if not signons:
                    break
                ids = [signon.id for signon in signons]
                highest = dict(self.query(f"SELECT signon_id, MAX(seq) FROM checkins_sent WHERE signon_id IN "
                                          f"({', '.join('?' * len(ids))}) GROUP BY signon_id", ids))
                for signon in signons:
                    yield signon, highest[signon.id] + 1 if signon.id in highest else 0
                if len(signons) < batch:
                    break
                after = ids[-1]

    def claim_checkin(self, signon_id: str, seq: int, link_id: str, mail: Mail,
                      limits: Limits | None = None) -> bool | None:
        """Claim check-in number ``seq`` of a sign-on and queue its mail with its progress link, in one
        transaction; False when it was claimed before, or the sign-on is gone or no longer agrees; None when
        its mailbox had its share of mail today (``limits``): nothing is claimed, it goes on a later run."""
        now = time.time()
        with self.write() as db:
            if db.execute("SELECT 1 FROM signons WHERE id = ? AND status = 'confirmed' AND checkin_consent IS NOT NULL",
                          [signon_id]).fetchone() is None:
                return False
            if limits is not None and not self._mail_allowed(db, mail.to, limits):
                return None
            # The unique row decides, not a read before it: of two senders, one inserts it.
            if not db.execute("INSERT INTO checkins_sent (signon_id, seq, sent_at) VALUES (?, ?, ?) "
                              "ON CONFLICT DO NOTHING", [signon_id, seq, now]).rowcount:
                return False
            self._insert(db, "progress_links", {"id": link_id, "signon_id": signon_id, "created_at": now})
            self._enqueue(db, mail, signon_id)
        return True

    def checkins_claimed(self, signon_id: str) -> list[int]:
        """The numbers of a sign-on's check-ins mailed so far."""
        return [row[0] for row in self.query("SELECT seq FROM checkins_sent WHERE signon_id = ? ORDER BY seq",
                                             [signon_id])]

    # -- progress links -------------------------------------------------------------------------------

    def add_progress_link(self, signon_id: str, link_id: str, mail: Mail, limits: Limits | None = None) -> bool:
        """A fresh progress link for a confirmed sign-on, and its mail, together; False if it is gone, or its
        mailbox had its share of mail today (``limits``)."""
        with self.write() as db:
            if db.execute("SELECT 1 FROM signons WHERE id = ? AND status = 'confirmed'", [signon_id]).fetchone() is None:
                return False
            if limits is not None and not self._mail_allowed(db, mail.to, limits):
                return False
            self._insert(db, "progress_links", {"id": link_id, "signon_id": signon_id, "created_at": time.time()})
            self._enqueue(db, mail, signon_id)
        return True

    def get_progress_link(self, link_id: str) -> ProgressLink | None:
        rows = self.query("SELECT id, signon_id, created_at, used_at FROM progress_links WHERE id = ?", [link_id])
        return ProgressLink(*rows[0]) if rows else None

    def last_progress_link_at(self, signon_id: str) -> float | None:
        """When the newest progress link of a sign-on was made."""
        return self.query("SELECT MAX(created_at) FROM progress_links WHERE signon_id = ?", [signon_id])[0][0]

    # -- reports --------------------------------------------------------------------------------------

    def record_progress(self, link_id: str, status: str, update: str | None,
                        event: Callable[[SignOn], dict[str, Any]] | None = None) -> str:
        """Use a progress link once to record a report: ``recorded``, ``used`` (the link was used before) or
        ``gone`` (no such link, or its sign-on was withdrawn: nothing changes). ``event(signon)``: the
        ``progress`` part of the ``progress.reported`` webhook, queued in the same transaction."""
        if status not in PROGRESS_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        link = self.get_progress_link(link_id)
        signon = self.get_signon(link.signon_id) if link is not None else None
        if signon is None or signon.status != "confirmed":
            return "gone"
        now = time.time()
        with self.write() as db:
            # Read again under the write lock: withdrawn meanwhile, it changes nothing.
            if db.execute("SELECT 1 FROM signons WHERE id = ? AND status = 'confirmed'", [signon.id]).fetchone() is None:
                return "gone"
            # The conditional update decides: of two posts of one link, one records.
            if not db.execute("UPDATE progress_links SET used_at = ? WHERE id = ? AND used_at IS NULL",
                              [now, link_id]).rowcount:
                return "used"
            self._insert(db, "progress_reports", {
                "signon_id": signon.id, "campaign": signon.campaign, "site_key": signon.site_key, "status": status,
                "update_text": update or None, "moderation": "pending" if update else None, "reported_at": now,
            })
            if event is not None:
                self._enqueue_webhooks(db, "progress.reported", signon, signon.confirmed_at, extra=event(signon))
        return "recorded"

    def latest_progress(self, signon_ids: list[str]) -> dict[str, str]:
        """The status each of these sign-ons reported last (those that never reported are left out)."""
        found: dict[str, str] = {}
        for start in range(0, len(signon_ids), 500):
            part = signon_ids[start:start + 500]
            rows = self.query(
                f"SELECT signon_id, status FROM progress_reports WHERE signon_id IN ({', '.join('?' * len(part))}) "
                "ORDER BY reported_at, id", part)
            found.update(dict(rows))  # the newest last: it wins
        return found

    def progress_rows(self, campaign: str) -> list[tuple[str, str, str, str, float, float]]:
        """Per confirmed sign-on of a campaign that reported: ``(status of its latest report, country,
        org_type, public_id, first reported at, last reported at)``; the public list's id, never an address."""
        return self.query(
            "SELECT r.status, COALESCE(s.country, ''), COALESCE(s.org_type, ''), COALESCE(s.public_id, ''), "
            "f.first_at, f.last_at FROM (SELECT signon_id, MIN(reported_at) AS first_at, MAX(reported_at) AS last_at "
            "FROM progress_reports WHERE campaign = ? GROUP BY signon_id) f "
            "JOIN progress_reports r ON r.signon_id = f.signon_id AND r.reported_at = f.last_at "
            "JOIN signons s ON s.id = f.signon_id AND s.status = 'confirmed' ORDER BY f.first_at, s.id", [campaign])

    def site_progress(self, site_key: str, limit: int = 100) -> list[tuple[str, str, float]]:
        """The latest report of each confirmed sign-on of a site that reported, newest first:
        ``(organisation, status, reported at)``, what a host may see of them."""
        return self.query(
            "SELECT COALESCE(s.organization, ''), r.status, r.reported_at FROM progress_reports r "
            "JOIN signons s ON s.id = r.signon_id AND s.status = 'confirmed' WHERE r.site_key = ? "
            "AND r.reported_at = (SELECT MAX(reported_at) FROM progress_reports WHERE signon_id = r.signon_id) "
            "ORDER BY r.reported_at DESC, r.id DESC LIMIT ?", [site_key, limit])

    def count_reporters(self, campaign: str) -> int:
        """How many confirmed sign-ons of a campaign reported progress (the widget's line)."""
        return self.query("SELECT COUNT(DISTINCT r.signon_id) FROM progress_reports r JOIN signons s "
                          "ON s.id = r.signon_id AND s.status = 'confirmed' WHERE r.campaign = ?", [campaign])[0][0]

    def reported_public_ids(self, campaign: str) -> set[str]:
        """The public ids of the confirmed sign-ons of a campaign that reported progress."""
        return {row[3] for row in self.progress_rows(campaign) if row[3]}

    def reports_of(self, signon_ids: list[str]) -> dict[str, list[tuple[str, str | None, str | None, float]]]:
        """Every progress report of these sign-ons, oldest first (for access requests): ``(status, update
        text or None, its moderation or None, reported at)`` by sign-on id (those without one left out)."""
        found: dict[str, list[tuple[str, str | None, str | None, float]]] = {}
        for start in range(0, len(signon_ids), 500):
            part = signon_ids[start:start + 500]
            for signon_id, *report in self.query(
                    "SELECT signon_id, status, update_text, moderation, reported_at FROM progress_reports "
                    f"WHERE signon_id IN ({', '.join('?' * len(part))}) ORDER BY reported_at, id", part):
                found.setdefault(signon_id, []).append(tuple(report))  # type: ignore[arg-type]
        return found

    def updates(self, campaign: str | None = None, moderation: str = "approved", limit: int = 100) -> list[Update]:
        """Updates in one state of moderation, newest first (``campaign`` None: of every campaign)."""
        where, params = "r.moderation = ?", [moderation]
        if campaign is not None:
            where, params = where + " AND r.campaign = ?", params + [campaign]
        rows = self.query(
            "SELECT r.id, r.campaign, COALESCE(s.organization, ''), COALESCE(s.country, ''), r.update_text, "
            "r.moderation, r.reported_at FROM progress_reports r JOIN signons s ON s.id = r.signon_id "
            f"WHERE {where} AND s.status = 'confirmed' ORDER BY r.reported_at DESC, r.id DESC LIMIT ?",
            params + [limit])
        return [Update(*row) for row in rows]

    def moderate_update(self, update_id: int, moderation: str,
                        audit: Callable[[int, str], Any] | None = None) -> bool:
        """Approve or reject an update (and append the entry ``audit(id, moderation before)`` makes, in the
        same transaction); False if there is no such update."""
        if moderation not in MODERATION[1:]:
            raise ValueError(f"unknown moderation {moderation!r}")
        with self.write() as db:
            before = db.execute("SELECT moderation FROM progress_reports WHERE id = ? AND update_text IS NOT NULL",
                                [update_id]).fetchone()
            if before is None:
                return False
            db.execute("UPDATE progress_reports SET moderation = ? WHERE id = ?", [moderation, update_id])
            if audit is not None:
                self._append_audit(db, audit(update_id, before[0]))
        return True

    @staticmethod
    def _delete_progress(db: Any, signon_id: str) -> None:
        """What a sign-on's withdrawal or erasure takes along: its reports, links, check-ins and news sent."""
        for table in ("progress_reports", "progress_links", "checkins_sent", "news_sent"):
            db.execute(f"DELETE FROM {table} WHERE signon_id = ?", [signon_id])
