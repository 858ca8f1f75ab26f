"""Alerts on surges: what the watch reads (sign-ons of the last hour, and the usual rate of one client, domain
or site) and the alerts it raised (a part of :class:`widget.store.sql.SQLStore`).

The watch reads web sign-ons of every status (held, invalidated and the rest: a surge is a surge whatever
became of it) by ranges of the indexes ``(status, created_at)``, ``(ip_hash, created_at)`` and
``(site_key, created_at)``; a sign-on itself reads nothing here. An alert is raised once per client, domain or
site in a quiet period, whatever the number of nodes watching (counted and inserted under one lock), and its
e-mails are queued in its transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .records import Mail

#: The statuses a web sign-on can have (the index (status, created_at) is read one range per status).
SIGNON_STATUSES = ("pending", "held", "confirmed", "bounced", "duplicate", "invalidated")
ALERT_COLUMNS = "id, kind, value, count, usual, since, raised_at"


@dataclass(frozen=True)
class Alert:
    """Sign-ons from one client (``kind`` ``ip``, ``value`` its keyed hash), one domain (``domain``) or through
    one site (``site``, its key): ``count`` of them in the hour from ``since``, where ``usual`` an hour is
    the rate of the week before."""

    id: int
    kind: str
    value: str
    count: int
    usual: float
    since: float
    raised_at: float


class AlertTables:
    """Alerts. Mixed into the store, whose ``query()``, ``write()``, ``_enqueue()`` it uses."""

    query: Any
    write: Any
    _enqueue: Any

    def _web_signons(self) -> tuple[str, list[Any]]:
        return (f"status IN ({', '.join('?' * len(SIGNON_STATUSES))}) AND source = 'web'", list(SIGNON_STATUSES))

    def signon_sources(self, since: float, until: float) -> list[tuple[str | None, str, str]]:
        """``(ip_hash, mailbox, site_key)`` of each web sign-on made in ``[since, until)``."""
        where, params = self._web_signons()
        return self.query(f"SELECT ip_hash, mailbox, site_key FROM signons WHERE {where} AND created_at >= ? "
                          "AND created_at < ?", [*params, since, until])

    def signons_from(self, kind: str, value: str, since: float, until: float) -> int:
        """How many web sign-ons came from client ``value`` (``ip``), a mailbox at domain ``value`` (``domain``)
        or through site ``value`` (``site``) in ``[since, until)``."""
        if kind == "ip":
            return self.query("SELECT COUNT(*) FROM signons WHERE ip_hash = ? AND created_at >= ? AND created_at < ? "
                              "AND source = 'web'", [value, since, until])[0][0]
        if kind == "site":
            return self.query("SELECT COUNT(*) FROM signons WHERE site_key = ? AND created_at >= ? AND created_at < ? "
                              "AND source = 'web'", [value, since, until])[0][0]
        where, params = self._web_signons()
        pattern = "%@" + value.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        return self.query(f"SELECT COUNT(*) FROM signons WHERE {where} AND created_at >= ? AND created_at < ? "
                          "AND mailbox LIKE ? ESCAPE '!'", [*params, since, until, pattern])[0][0]

    def alert_raised(self, kind: str, value: str, since: float) -> bool:
        """Whether an alert on ``value`` of ``kind`` was raised at or after ``since``."""
        return bool(self.query("SELECT 1 FROM alerts WHERE kind = ? AND value = ? AND raised_at >= ? LIMIT 1",
                               [kind, value, since]))

    def raise_alert(self, kind: str, value: str, count: int, usual: float, since: float, now: float,
                    quiet_since: float, mails: list[Mail]) -> Alert | None:
        """Record an alert and queue its ``mails``, together, unless one on the same ``value`` was raised at or
        after ``quiet_since`` (then None: one alert, one mail each, per surge)."""
        with self.write(f"alert:{kind}:{value}") as db:
            if db.execute("SELECT 1 FROM alerts WHERE kind = ? AND value = ? AND raised_at >= ? LIMIT 1",
                          [kind, value, quiet_since]).fetchone():
                return None
            row = db.execute(f"INSERT INTO alerts (kind, value, count, usual, since, raised_at) VALUES (?, ?, ?, ?, ?, ?) "
                             f"RETURNING {ALERT_COLUMNS}", [kind, value, count, usual, since, now]).fetchone()
            for mail in mails:
                self._enqueue(db, mail, None)
        return Alert(*row)

    def recent_alerts(self, since: float) -> list[Alert]:
        """Alerts raised at or after ``since``, the newest first."""
        return [Alert(*row) for row in self.query(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE raised_at >= ? ORDER BY raised_at DESC, id DESC", [since])]
