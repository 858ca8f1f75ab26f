"""Campaign news (a part of :class:`widget.store.sql.SQLStore`): the updates the desk writes, and who was sent
each.

An update is written (``draft``), then sent: ``sending`` until every signatory who agreed to news was queued
its mail, then ``sent``. Each recipient is claimed by its row in ``news_sent`` (update, sign-on), written in
the transaction that queues the mail: a sender that dies half-way loses nobody and mails nobody twice; the
next round takes up the rest.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable

from .records import Limits, Mail, SignOn

#: The states of an update.
NEWS_STATES = ("draft", "sending", "sent")


@dataclass(frozen=True)
class NewsUpdate:
    """One update of a campaign: its subject and body per language (``{lang: {"subject", "body"}}``)."""

    id: int
    campaign: str
    texts: dict[str, dict[str, str]]
    state: str
    created_by: str
    created_at: float
    sent_at: float | None
    finished_at: float | None
    recipients: int


_COLUMNS = ("n.id, n.campaign, n.texts, n.state, n.created_by, n.created_at, n.sent_at, n.finished_at, "
            "(SELECT COUNT(*) FROM news_sent x WHERE x.update_id = n.id)")


class NewsTables:
    """Updates and their recipients. Mixed into the store, whose ``query()``, ``write()``, ``_insert``,
    ``_enqueue``, ``_append_audit`` and ``_signons`` it uses."""

    query: Any
    write: Any
    _insert: Any
    _enqueue: Any
    _append_audit: Any
    _mail_allowed: Any
    _signons: Any

    def add_news(self, campaign: str, texts: dict[str, dict[str, str]], created_by: str,
                 audit: Callable[[int], Any] | None = None) -> int:
        """Keep a draft update; its id (and the audit entry ``audit(id)`` makes, in the same transaction)."""
        with self.write() as db:
            update_id = db.execute(
                "INSERT INTO news_updates (campaign, texts, state, created_by, created_at) VALUES (?, ?, 'draft', ?, ?) "
                "RETURNING id", [campaign, json.dumps(texts, ensure_ascii=False), created_by, time.time()]).fetchone()[0]
            if audit is not None:
                self._append_audit(db, audit(update_id))
        return update_id

    def get_news(self, update_id: int) -> NewsUpdate | None:
        rows = self.query(f"SELECT {_COLUMNS} FROM news_updates n WHERE n.id = ?", [update_id])
        return self._news(rows[0]) if rows else None

    def list_news(self, limit: int = 100) -> list[NewsUpdate]:
        """The updates, newest first."""
        return [self._news(row) for row in
                self.query(f"SELECT {_COLUMNS} FROM news_updates n ORDER BY n.created_at DESC, n.id DESC LIMIT ?",
                           [limit])]

    @staticmethod
    def _news(row: tuple) -> NewsUpdate:
        return NewsUpdate(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6], row[7], row[8])

    def last_news_sent_at(self, campaign: str) -> float | None:
        """When the latest update of a campaign started going out."""
        return self.query("SELECT MAX(sent_at) FROM news_updates WHERE campaign = ? AND sent_at IS NOT NULL",
                          [campaign])[0][0]

    def start_news(self, update_id: int, since: float | None, audit: Callable[[], Any] | None = None) -> bool:
        """Turn a draft into an update being sent, unless another of its campaign started going out after
        ``since`` (None: whenever); False if it is no draft or was refused so."""
        now = time.time()
        found = self.query("SELECT campaign FROM news_updates WHERE id = ?", [update_id])
        if not found:
            return False
        # One campaign's sends one at a time: two drafts sent at once cannot both pass the week's check.
        with self.write(f"news:{found[0][0]}") as db:
            row = db.execute("SELECT campaign FROM news_updates WHERE id = ? AND state = 'draft'", [update_id]).fetchone()
            if row is None:
                return False
            if since is not None and db.execute(
                    "SELECT 1 FROM news_updates WHERE campaign = ? AND sent_at > ?", [row[0], since]).fetchone():
                return False
            # The conditional update decides: of two clicks, one starts it.
            if not db.execute("UPDATE news_updates SET state = 'sending', sent_at = ? WHERE id = ? AND state = 'draft'",
                              [now, update_id]).rowcount:
                return False
            if audit is not None:
                self._append_audit(db, audit())
        return True

    def news_sending(self) -> list[NewsUpdate]:
        """The updates going out, oldest first."""
        return [self._news(row) for row in self.query(
            f"SELECT {_COLUMNS} FROM news_updates n WHERE n.state = 'sending' ORDER BY n.sent_at, n.id")]

    def news_recipients(self, update_id: int, campaign: str, batch: int = 500) -> list[SignOn]:
        """Up to ``batch`` confirmed sign-ons of ``campaign`` that agreed to news, whose mailbox did not
        bounce for good and who were not sent this update yet."""
        return self._signons(
            "WHERE campaign = ? AND status = 'confirmed' AND news_consent IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM news_sent x WHERE x.update_id = ? AND x.signon_id = signons.id) AND NOT EXISTS "
            "(SELECT 1 FROM mailbox_bounces b WHERE b.mailbox = signons.mailbox AND b.hard_at IS NOT NULL) "
            "ORDER BY id LIMIT ?", [campaign, update_id, batch])

    def claim_news(self, update_id: int, signon_id: str, mail: Mail, limits: Limits | None = None) -> bool | None:
        """Claim one recipient of an update and queue its mail, in one transaction; False when it was
        claimed before, or the sign-on no longer agrees; None when its mailbox had its share of mail today
        (``limits``): nothing is claimed, it gets the update on a later run."""
        with self.write() as db:
            if db.execute("SELECT 1 FROM signons WHERE id = ? AND status = 'confirmed' AND news_consent IS NOT NULL",
                          [signon_id]).fetchone() is None:
                return False
            if limits is not None and not self._mail_allowed(db, mail.to, limits):
                return None
            # The unique row decides, not a read before it: of two senders, one inserts it.
            if not db.execute("INSERT INTO news_sent (update_id, signon_id, sent_at) VALUES (?, ?, ?) "
                              "ON CONFLICT DO NOTHING", [update_id, signon_id, time.time()]).rowcount:
                return False
            self._enqueue(db, mail, signon_id)
        return True

    def finish_news(self, update_id: int) -> None:
        """Every recipient of an update was queued."""
        with self.write() as db:
            db.execute("UPDATE news_updates SET state = 'sent', finished_at = ? WHERE id = ? AND state = 'sending'",
                       [time.time(), update_id])

    def queue_mail(self, mail: Mail, audit: Any = None) -> None:
        """Queue one mail for no sign-on (the update's test to the admin), with its audit entry."""
        with self.write() as db:
            self._enqueue(db, mail, None)
            if audit is not None:
                self._append_audit(db, audit)

    def count_news_recipients(self, campaign: str) -> int:
        """How many confirmed sign-ons of a campaign agreed to news (those whose mailbox bounced for good
        left out)."""
        return self.query(
            "SELECT COUNT(*) FROM signons WHERE campaign = ? AND status = 'confirmed' AND news_consent IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM mailbox_bounces b WHERE b.mailbox = signons.mailbox AND b.hard_at IS NOT NULL)",
            [campaign])[0][0]
