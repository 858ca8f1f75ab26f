"""Mailboxes that bounced (a part of :class:`widget.store.sql.SQLStore`).

A delivery report names the e-mail it is about (its outbox row, by the signed address it came back to: see
:mod:`widget.mail.bounces`). :meth:`BounceTables.record_bounce` counts it once per e-mail and kind:

- a hard bounce (the mailbox does not exist, the domain has no mail server...) stops mail to that mailbox:
  its pending sign-ons end (``bounced``: never counted, purged as unconfirmed ones are), the e-mails queued for
  it fail at once, and later ones are kept as failed instead of being sent (see :meth:`suppressed`);
- a soft bounce (a full mailbox, a server down for a while) acts only when it repeats: the
  :data:`SOFT_BOUNCES`-th soft bounce of a mailbox within :data:`SOFT_WINDOW` seconds counts as a hard one.

Mail someone asks for by typing the address anew (a new sign-on's confirmation, a sign-in link) goes out
again :data:`RETRY_AFTER` after the hard bounce: the address may have been made since, or typed right this
time. Mail we send on our own (already signed, milestones, digests...) stays stopped until the mailbox shows
it works: a sign-on of it confirmed, or a host's sign-in link used (:meth:`mailbox_works`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from ..addresses import mailbox

DAY = 86400.0
#: Soft bounces of one mailbox, within SOFT_WINDOW, that count as a hard bounce.
SOFT_BOUNCES = 3
SOFT_WINDOW = 30 * DAY
#: After a hard bounce, mail someone asks for (ASKED_FOR) goes to the mailbox again after this long.
RETRY_AFTER = 30 * DAY
ASKED_FOR = ("confirm", "host_login", "admin_login")
HARD, SOFT = "hard", "soft"
#: The status of a pending sign-on whose mailbox bounced for good.
BOUNCED = "bounced"


@dataclass(frozen=True)
class BouncedMailbox:
    """A mailbox that bounced: ``hard_at`` is when mail to it stopped (None: soft bounces only, so far)."""

    address: str
    hard_at: float | None
    soft_count: int
    last_at: float
    last_kind: str
    last_status: str | None


def not_sent(hard_at: float) -> str:
    """The error kept with an e-mail not sent because its mailbox bounced (for the operator, in English)."""
    return "not sent: this mailbox bounced for good on " + time.strftime("%Y-%m-%d", time.gmtime(hard_at))


class BounceTables:
    """Mailbox bounces. Mixed into the store, whose ``query()``, ``write()`` and ``after_commit()`` these use."""

    query: Callable[..., list[tuple]]
    write: Callable[..., Any]

    def record_bounce(self, outbox_id: int, kind: str, status: str | None = None, now: float | None = None) -> str:
        """Count a delivery report of ``kind`` (``hard`` or ``soft``) about the e-mail ``outbox_id``; return
        what it did: ``hard`` (mail to the mailbox stopped now), ``soft`` (counted), ``repeat`` (this report was
        read before) or ``unknown`` (no such e-mail: purged, or never ours)."""
        now = time.time() if now is None else now
        found = self.query("SELECT mailbox, to_addr FROM outbox WHERE id = ?", [outbox_id])
        if not found:
            return "unknown"
        box, address = found[0]
        box = box or mailbox(address)
        with self.write(f"mail:{box}") as db:
            if db.execute("INSERT INTO bounce_reports (outbox_id, kind, mailbox, at) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (outbox_id, kind) DO NOTHING", [outbox_id, kind, box, now]).rowcount == 0:
                return "repeat"
            softs = db.execute("SELECT COUNT(*) FROM bounce_reports WHERE mailbox = ? AND kind = ? AND at > ?",
                               [box, SOFT, now - SOFT_WINDOW]).fetchone()[0]
            stops = kind == HARD or softs >= SOFT_BOUNCES
            db.execute(
                "INSERT INTO mailbox_bounces (mailbox, address, hard_at, soft_count, last_at, last_kind, last_status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET address = excluded.address, "
                "hard_at = COALESCE(excluded.hard_at, mailbox_bounces.hard_at), soft_count = excluded.soft_count, "
                "last_at = excluded.last_at, last_kind = excluded.last_kind, last_status = excluded.last_status",
                [box, address, now if stops else None, softs, now, kind, status])
            if stops:
                db.execute(f"UPDATE signons SET status = '{BOUNCED}' WHERE mailbox = ? AND status = 'pending'", [box])
                db.execute("UPDATE outbox SET failed_at = ?, last_error = ?, claimed_until = NULL, claimed_by = NULL "
                           "WHERE mailbox = ? AND sent_at IS NULL AND failed_at IS NULL", [now, not_sent(now), box])
        return HARD if stops else SOFT

    @staticmethod
    def suppressed(db: Any, box: str, kind: str, now: float) -> float | None:
        """When ``box`` bounced for good, if an e-mail of ``kind`` must not go to it now; else None."""
        row = db.execute("SELECT hard_at FROM mailbox_bounces WHERE mailbox = ? AND hard_at IS NOT NULL",
                         [box]).fetchone()
        if row is None or (kind in ASKED_FOR and now - row[0] > RETRY_AFTER):
            return None
        return row[0]

    @staticmethod
    def mailbox_works(db: Any, box: str) -> None:
        """The mailbox received our mail (a link in it was used): forget its bounces."""
        db.execute("DELETE FROM mailbox_bounces WHERE mailbox = ?", [box])

    def bounced_mailboxes(self) -> list[BouncedMailbox]:
        """Mailboxes that bounced, the latest first."""
        return [BouncedMailbox(*row) for row in self.query(
            "SELECT address, hard_at, soft_count, last_at, last_kind, last_status FROM mailbox_bounces "
            "ORDER BY last_at DESC, mailbox")]

    def purge_bounces(self, now: float | None = None) -> None:
        """Forget soft bounces past their window, and the mailboxes that only had those."""
        since = (time.time() if now is None else now) - SOFT_WINDOW
        with self.write() as db:
            db.execute("DELETE FROM bounce_reports WHERE at < ?", [since])
            db.execute("DELETE FROM mailbox_bounces WHERE hard_at IS NULL AND last_at < ?", [since])
