"""Hosts' notifications (a part of :class:`widget.store.sql.SQLStore`).

Each milestone of a site and each day's digest of a host is mailed once, however many processes try:
the row of ``milestones_sent`` or ``digests_sent`` and the outbox row of its e-mail are written in one
write transaction, and the e-mail only when that transaction inserted the row (on PostgreSQL a second
insert of the same key waits for the first transaction, then inserts nothing).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from ..addresses import normalise_stored
from .records import Host, Mail, SignOn
from .hosts import HOST_COLUMNS


class NotifyTables:
    """Milestones and digests sent. Mixed into the store, whose ``query()``, ``write()``, ``_enqueue()``
    and ``_signons()`` it uses."""

    query: Any  # provided by the store: (sql, params) -> list of rows
    read: Any  # provided by the store: a connection for reads
    write: Any  # provided by the store: a write transaction
    _enqueue: Any  # provided by the store: (db, mail, signon_id) -> None
    _signons: Any  # provided by the store: (where, params) -> list of SignOn
    _host: Any  # provided by the store (HostTables): a row of HOST_COLUMNS -> Host

    def host_emails(self) -> list[str]:
        """Every host's address (to find the host of an unsubscribe link's reference)."""
        return [row[0] for row in self.query("SELECT email FROM hosts ORDER BY email")]

    def digest_hosts(self) -> list[Host]:
        """The hosts that want the daily digest (disabled ones left out)."""
        query = f"SELECT {HOST_COLUMNS} FROM hosts WHERE notify_digest = 1 AND disabled_at IS NULL ORDER BY email"
        return [self._host(row) for row in self.query(query)]

    def milestones_sent(self, site_key: str) -> set[int]:
        """The thresholds of a site whose milestone is recorded (mailed, or passed along with a higher one)."""
        return {row[0] for row in self.query("SELECT threshold FROM milestones_sent WHERE site_key = ?", [site_key])}

    def record_milestones(self, campaign: str, site_key: str, thresholds: Iterable[int],
                          mail_for: Callable[[int, int], Mail]) -> int | None:
        """Record every threshold the site's confirmed count has reached, and mail the highest of those
        recorded now (``mail_for(threshold, count)`` composes it), in one write transaction.

        Return the threshold mailed, or None. Whatever the number of processes calling this at once,
        a threshold is mailed at most once: only the transaction that inserted its row queues the mail.
        A count that went down and up again mails nothing (the rows stay).
        """
        thresholds = sorted({int(t) for t in thresholds if int(t) > 0})
        if not self._new_milestones(campaign, site_key, thresholds):
            return None  # the common case, decided without taking the write lock
        with self.write() as db:
            count = self._site_count(db, campaign, site_key)
            inserted = [
                threshold for threshold in thresholds
                if threshold <= count and db.execute(
                    "INSERT INTO milestones_sent (site_key, threshold, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [site_key, threshold, time.time()],
                ).rowcount
            ]
            if not inserted:
                return None
            highest = max(inserted)
            self._enqueue(db, mail_for(highest, count), None)
            return highest

    def _new_milestones(self, campaign: str, site_key: str, thresholds: list[int]) -> list[int]:
        with self.read() as db:
            count = self._site_count(db, campaign, site_key)
        sent = self.milestones_sent(site_key)
        return [t for t in thresholds if t <= count and t not in sent]

    @staticmethod
    def _site_count(db: Any, campaign: str, site_key: str) -> int:
        row = db.execute("SELECT confirmed FROM counts WHERE campaign = ? AND site_key = ?", [campaign, site_key]).fetchone()
        return row[0] if row else 0

    def confirmed_between(self, site_keys: list[str], start: float, end: float) -> list[SignOn]:
        """The sign-ons of these sites confirmed from ``start`` (included) to ``end`` (excluded), oldest first."""
        if not site_keys:
            return []
        return self._signons(
            f"WHERE site_key IN ({', '.join('?' * len(site_keys))}) AND status = 'confirmed' "
            "AND confirmed_at >= ? AND confirmed_at < ? ORDER BY confirmed_at, id",
            [*site_keys, start, end],
        )

    def digest_sent(self, email: str, day: str) -> bool:
        """Whether the digest of ``day`` ("YYYY-MM-DD", UTC) went to this host already."""
        return bool(self.query("SELECT 1 FROM digests_sent WHERE email = ? AND day = ?", [normalise_stored(email), day]))

    def record_digest(self, email: str, day: str, mail: Mail) -> bool:
        """Queue a host's digest of ``day`` unless it was queued before; True if queued now.

        The row of ``digests_sent`` and the outbox row go together in one write transaction, so two
        senders running the day's digests at once mail each host once.
        """
        with self.write() as db:
            inserted = db.execute("INSERT INTO digests_sent (email, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                  [normalise_stored(email), day]).rowcount
            if inserted:
                self._enqueue(db, mail, None)
            return bool(inserted)
