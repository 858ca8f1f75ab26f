"""Invalidation: taking the sign-ons of a fraudulent surge out of every count, in batches that can be restored
(a part of :class:`widget.store.sql.SQLStore`).

An invalidated sign-on keeps its row, with status ``invalidated``, the id of its batch and its status before
(``invalidated_from``): every count, the public list, the exports and the open data read ``confirmed`` rows only,
so it leaves them all at once, and its counters move in the same transaction (site first, then the campaign's
total, as everywhere). Its unsent e-mails are deleted: it is never mailed. A restore puts each one back as it
was, and counts it again, unless its mailbox has signed the campaign meanwhile (then it stays invalidated).
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from .listing import public_id
from .records import TOTAL, SignOn, new_id

#: The status of a sign-on taken out of every count by an invalidation batch.
INVALIDATED = "invalidated"
#: What an invalidation takes: sign-ons counted, and those that would be once confirmed or released.
INVALIDATES = ("confirmed", "pending", "held")
INVALIDATION_COLUMNS = "id, filter, reason, size, created_at, created_by, restored_at, restored_by"


def _like(text: str) -> str:
    """``text`` for a LIKE pattern, its wildcards escaped with ``!``."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


@dataclass(frozen=True)
class SignOnFilter:
    """Which sign-ons an invalidation takes: those of a domain (its subdomains too), a site or a client (keyed
    hash), created in ``[since, until)``. At least one of the first three: an empty filter is never "all"."""

    domain: str | None = None
    site_key: str | None = None
    ip_hash: str | None = None
    since: float | None = None
    until: float | None = None

    def __post_init__(self) -> None:
        if not (self.domain or self.site_key or self.ip_hash):
            raise ValueError("an invalidation needs a domain, a site or a client: never all sign-ons")

    def as_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "site": self.site_key, "ip_hash": self.ip_hash, "since": self.since,
                "until": self.until}

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (on ``signons``) and its parameters."""
        conditions, params = [f"status IN ({', '.join('?' * len(INVALIDATES))})"], list(INVALIDATES)
        if self.domain:
            # The address as typed and its mailbox (googlemail.com is gmail.com there), at the domain or below it.
            patterns = [f"%@{_like(self.domain)}", f"%.{_like(self.domain)}"]
            conditions.append("(" + " OR ".join(f"{column} LIKE ? ESCAPE '!'" for column in ("email", "mailbox")
                                                 for _pattern in patterns) + ")")
            params += patterns * 2
        if self.site_key:
            conditions.append("site_key = ?")
            params.append(self.site_key)
        if self.ip_hash:
            conditions.append("ip_hash = ?")
            params.append(self.ip_hash)
        if self.since is not None:
            conditions.append("created_at >= ?")
            params.append(self.since)
        if self.until is not None:
            conditions.append("created_at < ?")
            params.append(self.until)
        return " AND ".join(conditions), params


@dataclass(frozen=True)
class Invalidation:
    """One batch: what it asked for, why, who, how many sign-ons it took out, and whether it was restored."""

    id: str
    filter: dict[str, Any]
    reason: str
    size: int
    created_at: float
    created_by: str
    restored_at: float | None = None
    restored_by: str | None = None


@dataclass
class BatchResult:
    """What an invalidation (or its dry run) or a restore did: the batch id (None for a dry run), the sign-ons
    by status before, by campaign, and those a restore left out (their mailbox signed meanwhile)."""

    batch: str | None
    by_status: Counter = field(default_factory=Counter)
    by_campaign: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(self.by_status.values())


class InvalidationTables:
    """Invalidation batches. Mixed into the store, whose ``write()``, ``query()``, ``_signon()``, ``_count_key()``,
    ``_enqueue_webhooks()``, ``_signed_in()`` and ``_append_audit()`` it uses."""

    query: Any
    read: Any
    write: Any
    #: The columns ``_signon()`` reads (widget.store.sql.SIGNON_COLUMNS).
    _signon_columns: str
    _signon: Callable[..., SignOn]
    _count_key: Any
    _enqueue_webhooks: Any
    _signed_in: Any
    append_count_log: Any  # (db, campaign, event, public_id) -> seq: widget.store.countlog
    _append_audit: Any

    def invalidate_signons(self, where: SignOnFilter, reason: str, actor: str, dry_run: bool = False,
                           audit: Callable[[Invalidation], Any] | None = None) -> BatchResult:
        """Take every sign-on ``where`` selects out of every count, as one batch; with ``dry_run``, only say
        which. ``audit`` (given the batch) makes the audit entry appended in the same transaction. When nothing
        matches, no batch is kept (``batch`` None)."""
        condition, params = where.where()
        select = f"SELECT {self._signon_columns} FROM signons WHERE {condition} ORDER BY created_at, id"
        if dry_run:
            result = BatchResult(None)
            for row in self.query(select, params):
                signon = self._signon(row)
                result.by_status[signon.status] += 1
                result.by_campaign[signon.campaign] += 1
            return result
        batch, now = new_id(9), time.time()
        result = BatchResult(batch)
        with self.write() as db:
            counters: Counter = Counter()
            counted: list[SignOn] = []
            for row in db.execute(select, params).fetchall():
                signon = self._signon(row)
                changed = db.execute(
                    f"UPDATE signons SET status = '{INVALIDATED}', invalidation = ?, invalidated_from = status "
                    "WHERE id = ? AND status = ?", [batch, signon.id, signon.status]).rowcount
                if not changed:
                    continue  # confirmed, withdrawn or invalidated a moment before: left as it now is
                # Never mailed: what waits in the outbox for it goes.
                db.execute("DELETE FROM outbox WHERE signon_id = ? AND sent_at IS NULL", [signon.id])
                if signon.status == "confirmed":
                    counters[(signon.campaign, signon.site_key, signon.source == "paper")] += 1
                    counted.append(signon)
                    self._enqueue_webhooks(db, "signon.invalidated", signon, signon.confirmed_at)
                result.by_status[signon.status] += 1
                result.by_campaign[signon.campaign] += 1
            self._move_counts(db, counters, -1)
            self._log_count_events(db, "invalidated", counted)
            if not result.size:  # nothing matched: no batch to keep nor to restore
                result.batch = None
                return result
            invalidation = Invalidation(batch, where.as_dict(), reason, result.size, now, actor)
            db.execute(f"INSERT INTO invalidations ({INVALIDATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                       [batch, json.dumps(invalidation.filter, sort_keys=True), reason, result.size, now, actor])
            if audit is not None:
                self._append_audit(db, audit(invalidation))
        return result

    def restore_signons(self, batch: str, actor: str,
                        audit: Callable[[Invalidation, BatchResult], Any] | None = None) -> BatchResult | None:
        """Put back every sign-on of an invalidation batch as it was, and count it again; one whose mailbox has
        signed the campaign meanwhile stays invalidated (``skipped``). None for no such batch, or one restored
        already."""
        with self.write() as db:
            found = db.execute(f"SELECT {INVALIDATION_COLUMNS} FROM invalidations WHERE id = ? AND restored_at IS NULL",
                               [batch]).fetchone()
            if found is None:
                return None
            now = time.time()
            result = BatchResult(batch)
            counters: Counter = Counter()
            counted: list[SignOn] = []
            rows = db.execute(f"SELECT {self._signon_columns}, invalidated_from FROM signons WHERE invalidation = ? "
                              f"AND status = '{INVALIDATED}' ORDER BY created_at, id", [batch]).fetchall()
            for row in rows:
                signon, before = self._signon(row[:-1]), row[-1] or "held"
                if before == "confirmed" and self._signed_in(db, signon.campaign, signon.email):
                    result.skipped.append(signon.id)
                    continue
                db.execute("UPDATE signons SET status = ?, invalidation = NULL, invalidated_from = NULL WHERE id = ? "
                           f"AND status = '{INVALIDATED}'", [before, signon.id])
                if before == "confirmed":
                    counters[(signon.campaign, signon.site_key, signon.source == "paper")] += 1
                    counted.append(signon)
                    self._enqueue_webhooks(db, "signon.restored", signon, signon.confirmed_at)
                result.by_status[before] += 1
                result.by_campaign[signon.campaign] += 1
            self._move_counts(db, counters, 1)
            self._log_count_events(db, "restored", counted)
            db.execute("UPDATE invalidations SET restored_at = ?, restored_by = ? WHERE id = ?", [now, actor, batch])
            if audit is not None:
                invalidation = _invalidation(found)
                self._append_audit(db, audit(invalidation, result))
        return result

    def _move_counts(self, db: Any, counters: Counter, sign: int) -> None:
        """Move the counters of ``{(campaign, site, paper): n}`` by ``sign`` x n: every site first, then each
        campaign's total once. Confirmations move a site and then its total: a batch that held a total while
        waiting for a site's counter could wait on one of them in a circle (PostgreSQL's row locks)."""
        totals: Counter = Counter()
        for (campaign, site_key, paper), n in sorted(counters.items()):
            self._count_key(db, campaign, site_key, sign * n, sign * n if paper else 0)
            totals[(campaign, paper)] += n
        for (campaign, paper), n in sorted(totals.items()):
            self._count_key(db, campaign, TOTAL, sign * n, sign * n if paper else 0)

    def _log_count_events(self, db: Any, event: str, signons: list[SignOn]) -> None:
        """Record, after the counters moved and in their transaction, each counted sign-on that left the counts
        (``invalidated``) or came back (``restored``) in its campaign's count log (widget.store.countlog)."""
        for signon in signons:
            self.append_count_log(db, signon.campaign, event, public_id(signon.id))

    def invalidations(self, limit: int = 200) -> list[Invalidation]:
        """The latest invalidation batches, the newest first."""
        return [_invalidation(row) for row in self.query(
            f"SELECT {INVALIDATION_COLUMNS} FROM invalidations ORDER BY created_at DESC, id LIMIT ?", [limit])]

    def get_invalidation(self, batch: str) -> Invalidation | None:
        rows = self.query(f"SELECT {INVALIDATION_COLUMNS} FROM invalidations WHERE id = ?", [batch])
        return _invalidation(rows[0]) if rows else None


def _invalidation(row: Any) -> Invalidation:
    id, filter, reason, size, created_at, created_by, restored_at, restored_by = row
    return Invalidation(id, json.loads(filter), reason, size, created_at, created_by, restored_at, restored_by)
