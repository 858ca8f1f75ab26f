"""The count log: per campaign, an append-only, hash-chained record of every change of its count (a part of
:class:`widget.store.sql.SQLStore`).

Table ``count_log``: ``(campaign, seq)`` is the key; ``public_id`` is the sign-on's public id (a digest of its
secret id, see :func:`widget.store.listing.public_id`: never a name nor an address), ``event`` one of
``confirmed``, ``withdrawn``, ``invalidated``, ``restored``, ``at`` whole seconds since the epoch, ``hash`` the
entry's hash chained to the one before (the format: :mod:`widget.ledger`). Table ``count_log_checkpoints``: the
signed checkpoints, newest last. The code inserts and selects these rows, never updates nor deletes them.

Appending an entry: :meth:`CountLogTables.append_count_log` (the public name for other workflows), inside the
write transaction that moves the counter, AFTER :meth:`SQLStore._count` for that campaign. ``_count`` ends by
moving the campaign's total row: on PostgreSQL that row's lock keeps the campaign's appenders one at a time
until each commits, so each reads the entry before it; SQLite's write lock does the same for every writer. The
primary key refuses a second entry of one number, should a caller forget the order: the transaction fails, the
chain never forks. It costs one read of the last entry (by its key) and one insert.

Invalidation and restoration (``signons invalidate`` / ``signons restore --batch``) append their entries the
same way, one per sign-on taken out of (or put back into) the counts, in the transaction that moves them::

    from widget.store.listing import public_id

    with store.write(...) as db:
        ...  # the sign-on's status changed
        store._count(db, signon.campaign, signon.site_key, confirmed=-1, paper=-int(signon.source == "paper"))
        store.append_count_log(db, signon.campaign, "invalidated", public_id(signon.id))

and ``"restored"`` after ``confirmed=+1`` on restore. ``recount`` then finds the log's total equal to the
counter, and ``pledge-widget log verify`` the published total equal to the log's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from ..ledger import EFFECT, EVENTS, ZERO, Checkpoint, entry_hash, moment

#: Entries per page of ``/api/v1/campaigns/<campaign>/log``.
LOG_PAGE = 1000


@dataclass(frozen=True)
class LogEntry:
    """One entry of a campaign's count log, as it is published."""

    seq: int
    public_id: str
    event: str
    at: str  # as widget.ledger.moment writes it
    hash: str

    def as_json(self) -> dict:
        return {"seq": self.seq, "public_id": self.public_id, "event": self.event, "at": self.at, "hash": self.hash}


class CountLogTables:
    """The count log and its checkpoints. Mixed into the store, whose ``query()`` and ``write()`` these use."""

    query: Callable[..., list[tuple]]
    write: Callable[..., Any]
    snapshot: Callable[..., Any]

    def append_count_log(self, db: Any, campaign: str, event: str, public_id: str, at: float | None = None) -> int:
        """Append one entry to ``campaign``'s log in the caller's write transaction ``db``, after the counter
        move it records (see the module's docstring for the order); return its number."""
        if event not in EVENTS:
            raise ValueError(f"unknown count log event {event!r}")
        last = db.execute("SELECT seq, hash FROM count_log WHERE campaign = ? ORDER BY seq DESC LIMIT 1",
                          [campaign]).fetchone()
        seq, previous = (last[0] + 1, last[1]) if last else (1, ZERO)
        when = int(time.time() if at is None else at)
        digest = entry_hash(campaign, seq, public_id, event, moment(when), previous)
        db.execute("INSERT INTO count_log (campaign, seq, public_id, event, at, hash) VALUES (?, ?, ?, ?, ?, ?)",
                   [campaign, seq, public_id, event, when, digest])
        return seq

    def count_log_page(self, campaign: str, after: int = 0, limit: int = LOG_PAGE) -> list[LogEntry]:
        """The entries of ``campaign``'s log numbered after ``after``, at most ``limit``, oldest first."""
        rows = self.query("SELECT seq, public_id, event, at, hash FROM count_log WHERE campaign = ? AND seq > ? "
                          "ORDER BY seq LIMIT ?", [campaign, after, limit])
        return [LogEntry(seq, public_id, event, moment(at), digest) for seq, public_id, event, at, digest in rows]

    def count_log_head(self, campaign: str) -> tuple[int, str]:
        """``(size, root)``: how many entries ``campaign``'s log has, and the last one's hash."""
        rows = self.query("SELECT seq, hash FROM count_log WHERE campaign = ? ORDER BY seq DESC LIMIT 1", [campaign])
        return (rows[0][0], rows[0][1]) if rows else (0, ZERO)

    def count_log_campaigns(self) -> list[tuple[str, float | None]]:
        """``(campaign, when its last checkpoint was signed or None)`` of every campaign with a log: those
        with a total counter (a count never moved without its entry), read from that small table rather than
        from the whole log."""
        return self.query("SELECT t.campaign, (SELECT MAX(c.signed_at) FROM count_log_checkpoints c "
                          "WHERE c.campaign = t.campaign) FROM counts t WHERE t.site_key = '' ORDER BY t.campaign")

    def add_checkpoint(self, checkpoint: Checkpoint, signed_at: float) -> None:
        """Keep a signed checkpoint (``signed_at``: the moment it names, in seconds)."""
        with self.write() as db:
            db.execute("INSERT INTO count_log_checkpoints (campaign, size, root, signed_at, signature, public_key) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [checkpoint.campaign, checkpoint.size, checkpoint.root,
                                                     int(signed_at), checkpoint.signature, checkpoint.public_key])

    def latest_checkpoint(self, campaign: str) -> Checkpoint | None:
        """The last checkpoint signed of ``campaign``'s log, or None."""
        rows = self.query("SELECT size, root, signed_at, signature, public_key FROM count_log_checkpoints "
                          "WHERE campaign = ? ORDER BY id DESC LIMIT 1", [campaign])
        if not rows:
            return None
        size, root, signed_at, signature, public_key = rows[0]
        return Checkpoint(campaign, size, root, moment(signed_at), signature, public_key)

    def count_log_drift(self, db: Any = None) -> list[tuple[str, int, int]]:
        """``(campaign, counter, log)`` where a campaign's total counter differs from its log's total
        (confirmed - withdrawn - invalidated + restored); ``db``: read in that transaction."""
        rows = self.query if db is None else (lambda sql: db.execute(sql).fetchall())
        cases = " ".join(f"WHEN '{event}' THEN {effect}" for event, effect in EFFECT.items())
        logged = dict(rows(f"SELECT campaign, SUM(CASE event {cases} ELSE 0 END) FROM count_log GROUP BY campaign"))
        counters = dict(rows("SELECT campaign, confirmed FROM counts WHERE site_key = ''"))
        return [(campaign, counters.get(campaign) or 0, logged.get(campaign) or 0)
                for campaign in sorted(set(logged) | set(counters))
                if (counters.get(campaign) or 0) != (logged.get(campaign) or 0)]
