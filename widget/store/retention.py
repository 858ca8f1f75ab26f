"""Erasing contact details past their retention (a part of :class:`widget.store.sql.SQLStore`).

A campaign's sign-ons lose what identifies a person (the address, the name, the commitment's free text, the
client's hashed address) and keep what is counted or public: the status, the dates, the site, the
organisation, its type and country (the public list shows those), the consents given. Their mailbox becomes
a keyed hash of itself (``hmac-sha256:...``): the rule "one mailbox signs a campaign once" still finds it
(:meth:`RetentionTables.mailbox_forms`), while the address itself is gone. The e-mails and webhook deliveries
about them go too. The counters, the audit log and any count log are left as they are.

The hash key is made on the first erasure and kept in ``store_keys`` (it travels with ``db copy`` and the
back-ups): a key per installation, never the service's secret key, which may be rotated.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any, Callable

from ..addresses import mailbox
from .records import NO_EMAIL_DOMAIN

#: The address an erased sign-on keeps (a stand-in, as a paper sign-on without one has: never mailed).
ERASED_EMAIL = "erased@" + NO_EMAIL_DOMAIN
#: The columns emptied, besides the address and the mailbox.
ERASED = ("name", "goal", "actions", "timetable", "resources", "ip_hash", "checkin_consent", "news_consent")
HASH_PREFIX = "hmac-sha256:"
#: Seconds a process takes "no erasure yet" for granted before asking again (a campaign must be closed, erased
#: and opened again by then for it to matter).
KEY_RECHECK = 60.0
#: Sign-ons erased per transaction (writers wait a moment, not for the whole campaign).
BATCH = 1000


class RetentionTables:
    """Erasure of contact details. Mixed into the store, whose ``query()`` and ``write()`` these use."""

    query: Callable[..., list[tuple]]
    write: Callable[..., Any]

    def _hash_key(self, db: Any = None) -> bytes | None:
        """The key of the mailbox hashes, or None until the first erasure made one. Once read it is kept (it
        never changes); its absence is asked again after :data:`KEY_RECHECK` seconds, not at every sign-on."""
        cached = self.__dict__.get("_mailbox_hash_key")
        if isinstance(cached, bytes):
            return cached
        if cached is not None and cached > time.monotonic():
            return None
        if db is None:
            with self.read() as db:
                return self._hash_key(db)
        row = db.execute("SELECT value FROM store_keys WHERE name = 'mailbox-hash'").fetchone()
        if row is None:
            self.__dict__["_mailbox_hash_key"] = time.monotonic() + KEY_RECHECK
            return None
        self.__dict__["_mailbox_hash_key"] = key = bytes.fromhex(row[0])
        return key

    def _make_hash_key(self) -> bytes:
        self.__dict__.pop("_mailbox_hash_key", None)
        with self.write() as db:  # committed before any hash is made with it
            db.execute("INSERT INTO store_keys (name, value, created_at) VALUES ('mailbox-hash', ?, ?) "
                       "ON CONFLICT (name) DO NOTHING", [secrets.token_hex(32), time.time()])
        with self.read() as db:
            key = self._hash_key(db)
        assert key is not None
        return key

    @staticmethod
    def _hashed(key: bytes, box: str) -> str:
        return HASH_PREFIX + hmac.new(key, box.encode(), hashlib.sha256).hexdigest()

    def mailbox_forms(self, db: Any, email: str) -> list[str]:
        """The values the ``mailbox`` column holds for ``email``'s sign-ons: its mailbox, and its keyed hash
        once sign-ons were erased (``db``: the transaction in progress, or None)."""
        box = mailbox(email)
        key = self._hash_key(db)
        return [box] if key is None else [box, self._hashed(key, box)]

    def erasable(self, campaign: str) -> int:
        """Sign-ons of ``campaign`` whose contact details are still there."""
        return self.query("SELECT COUNT(*) FROM signons WHERE campaign = ? AND erased_at IS NULL", [campaign])[0][0]

    def erase_contacts(self, campaign: str, now: float | None = None, batch: int = BATCH) -> int:
        """Erase the contact details of every sign-on of ``campaign`` (see the module's docstring), in
        transactions of ``batch`` sign-ons; return how many were erased."""
        now = time.time() if now is None else now
        erased, key = 0, self._make_hash_key()
        while True:
            with self.write() as db:
                rows = db.execute("SELECT id, mailbox, email FROM signons WHERE campaign = ? AND erased_at IS NULL "
                                  "ORDER BY id LIMIT ?", [campaign, batch]).fetchall()
                for signon_id, box, email in rows:
                    hashed = box if (box or "").startswith(HASH_PREFIX) else self._hashed(key, box or mailbox(email))
                    db.execute(f"UPDATE signons SET email = ?, mailbox = ?, erased_at = ?, "
                               f"{', '.join(f'{column} = NULL' for column in ERASED)} WHERE id = ?",
                               [ERASED_EMAIL, hashed, now, signon_id])
                    for table in ("outbox", "webhook_deliveries", "signon_host_starts", "progress_links"):
                        db.execute(f"DELETE FROM {table} WHERE signon_id = ?", [signon_id])
                    # Their progress stays counted; the words they wrote go, as their commitment texts do.
                    db.execute("UPDATE progress_reports SET update_text = NULL, moderation = NULL WHERE signon_id = ?",
                               [signon_id])
            erased += len(rows)
            if len(rows) < batch:
                return erased
