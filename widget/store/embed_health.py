"""Where a site's widget could not show (a part of :class:`widget.store.sql.SQLStore`): the loaders' reports,
one row per site and page origin, and the weekly mail to the host about them.

Anyone may send a report (a loader on any page, or anyone at all): a report only ever adds to one bounded
row (its reason, a count, two dates), a site keeps at most :data:`MAX_ORIGINS` origins, and the host hears of
it at most once every :data:`MAIL_EVERY` seconds per site.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .records import Mail

#: Origins reported per site at most: reports from further origins are dropped (the oldest rows age out).
MAX_ORIGINS = 20
#: A row not reported again for this long is dropped (and stops showing on the dashboard).
KEEP_SECONDS = 30 * 86400
#: One mail per site at most this often (seconds): a week.
MAIL_EVERY = 7 * 86400


@dataclass(frozen=True)
class EmbedProblem:
    """The widget of a site could not show on pages of ``origin``: the latest ``reason`` (``csp``,
    ``refused`` or ``timeout``), how many reports, the first and the latest."""

    origin: str
    reason: str
    count: int
    first_at: float
    last_at: float


class EmbedHealthTables:
    """The loaders' reports. Mixed into the store, whose ``query()``, ``write()`` and ``_enqueue()`` it uses."""

    query: Any  # provided by the store: (sql, params) -> list of rows
    write: Any  # provided by the store: a write transaction
    _enqueue: Any  # provided by the store: (db, mail, signon_id) -> None

    def record_embed_problem(self, site_key: str, origin: str, reason: str, now: float) -> bool:
        """Count a report; False when dropped (the site has :data:`MAX_ORIGINS` other origins reported)."""
        with self.write(f"health:{site_key}") as db:
            db.execute("DELETE FROM embed_problems WHERE site_key = ? AND last_at < ?", [site_key, now - KEEP_SECONDS])
            known = db.execute("SELECT 1 FROM embed_problems WHERE site_key = ? AND origin = ?",
                               [site_key, origin]).fetchone()
            if known is None:
                (count,) = db.execute("SELECT COUNT(*) FROM embed_problems WHERE site_key = ?", [site_key]).fetchone()
                if count >= MAX_ORIGINS:
                    return False
            db.execute(
                "INSERT INTO embed_problems (site_key, origin, reason, reports, first_at, last_at) "
                "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (site_key, origin) DO UPDATE SET reason = excluded.reason, "
                "reports = embed_problems.reports + 1, last_at = excluded.last_at",
                [site_key, origin, reason, now, now],
            )
        return True

    def embed_problems(self, site_key: str, since: float) -> list[EmbedProblem]:
        """A site's reported origins seen since ``since``, the latest first."""
        rows = self.query("SELECT origin, reason, reports, first_at, last_at FROM embed_problems "
                          "WHERE site_key = ? AND last_at >= ? ORDER BY last_at DESC, origin", [site_key, since])
        return [EmbedProblem(*row) for row in rows]

    def health_mail_due(self, site_key: str, now: float) -> bool:
        """Whether the site's host may be mailed about its widget now (none within :data:`MAIL_EVERY`)."""
        rows = self.query("SELECT mailed_at FROM embed_health_mails WHERE site_key = ?", [site_key])
        return not rows or rows[0][0] <= now - MAIL_EVERY

    def record_health_mail(self, site_key: str, now: float, mail: Mail) -> bool:
        """Queue the mail about a site's widget unless one went within :data:`MAIL_EVERY`; True if queued.
        The row and the outbox's go in one transaction: however many reports arrive at once, one mail."""
        with self.write(f"health:{site_key}") as db:
            claimed = db.execute(
                "INSERT INTO embed_health_mails (site_key, mailed_at) VALUES (?, ?) ON CONFLICT (site_key) "
                "DO UPDATE SET mailed_at = excluded.mailed_at WHERE embed_health_mails.mailed_at <= ?",
                [site_key, now, now - MAIL_EVERY],
            ).rowcount
            if claimed:
                self._enqueue(db, mail, None)
            return bool(claimed)
