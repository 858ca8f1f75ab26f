"""Host accounts and their sessions (a part of :class:`widget.store.sql.SQLStore`)."""
from __future__ import annotations

import time
from typing import Any

from ..addresses import mailbox, normalise_stored
from .records import Host, new_id

HOST_COLUMNS = "email, created_at, disabled_at, lang, notify_milestones, milestones, notify_digest, notify_health"


class HostTables:
    """Hosts and host sessions. Mixed into the store, whose ``query()`` and ``write()`` it uses."""

    query: Any  # provided by the store: (sql, params) -> list of rows
    write: Any  # provided by the store: a write transaction

    @staticmethod
    def _ensure_host(db: Any, email: str, when: float, lang: str | None = None) -> None:
        """Make ``email`` a host, unless it is one (then it stays as it is)."""
        db.execute("INSERT INTO hosts (email, created_at, lang) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   [email, when, lang])

    @staticmethod
    def _host(row: tuple) -> Host:
        email, created_at, disabled_at, lang, notify_milestones, milestones, notify_digest, notify_health = row
        thresholds = tuple(int(n) for n in milestones.split(",") if n.strip())
        return Host(email, created_at, disabled_at, lang, bool(notify_milestones), thresholds, bool(notify_digest),
                    bool(notify_health))

    def get_host(self, email: str) -> Host | None:
        rows = self.query(f"SELECT {HOST_COLUMNS} FROM hosts WHERE email = ?", [normalise_stored(email)])
        return self._host(rows[0]) if rows else None

    def list_hosts(self) -> list[tuple[Host, int]]:
        """Every host with the number of its sites (removed ones not counted), oldest first."""
        rows = self.query(
            f"SELECT {', '.join('h.' + c.strip() for c in HOST_COLUMNS.split(','))}, "
            "(SELECT COUNT(*) FROM sites s WHERE s.owner_email = h.email AND s.status != 'deleted') "
            "FROM hosts h ORDER BY h.created_at, h.email"
        )
        return [(self._host(row[:-1]), row[-1]) for row in rows]

    def create_host(self, email: str, lang: str | None = None) -> Host:
        """The host of this address, created now if it signs up (an existing one is left as it is)."""
        with self.write() as db:
            self._ensure_host(db, normalise_stored(email), time.time(), lang)
        return self.get_host(email)

    def update_host(self, email: str, **changes: Any) -> None:
        """Change a host's language or notification choices (``milestones`` as a tuple of numbers)."""
        allowed = {"lang", "notify_milestones", "milestones", "notify_digest", "notify_health"}
        values = {k: (",".join(map(str, v)) if k == "milestones" else v) for k, v in changes.items() if k in allowed}
        if not values:
            return
        with self.write() as db:
            assignments = ", ".join(f"{column} = ?" for column in values)
            db.execute(f"UPDATE hosts SET {assignments} WHERE email = ?", [*values.values(), normalise_stored(email)])

    def disable_host(self, email: str) -> bool:
        """Stop a host: its sessions end and its sites' widgets stop. False if there is no such host."""
        email = normalise_stored(email)
        now = time.time()
        with self.write() as db:
            found = db.execute("UPDATE hosts SET disabled_at = ? WHERE email = ? AND disabled_at IS NULL",
                               [now, email]).rowcount
            db.execute("UPDATE host_sessions SET ended_at = ? WHERE email = ? AND ended_at IS NULL", [now, email])
            db.execute("UPDATE sites SET status = 'disabled' WHERE owner_email = ? AND status IN ('active', 'pending')",
                       [email])
        return bool(found)

    def recent_host_logins(self, email: str, seconds: float) -> int:
        """How many sign-in links an address's mailbox (any spelling of it) was sent in the last ``seconds``."""
        return self.query("SELECT COUNT(*) FROM host_logins WHERE mailbox = ? AND created_at > ?",
                          [mailbox(email), time.time() - seconds])[0][0]

    def start_host_session(self, email: str) -> str:
        """A new session of a host; return its opaque id (kept in the host's cookie)."""
        session_id = new_id(24)
        with self.write() as db:
            db.execute("INSERT INTO host_sessions (id, email, created_at) VALUES (?, ?, ?)",
                       [session_id, normalise_stored(email), time.time()])
        return session_id

    def host_of_session(self, session_id: str, max_age: float) -> str | None:
        """The address of a live session's host: not ended, younger than ``max_age``, host not disabled."""
        rows = self.query(
            "SELECT s.email FROM host_sessions s JOIN hosts h ON h.email = s.email WHERE s.id = ? "
            "AND s.ended_at IS NULL AND s.created_at > ? AND h.disabled_at IS NULL",
            [session_id, time.time() - max_age],
        )
        return rows[0][0] if rows else None

    def end_host_session(self, session_id: str) -> None:
        with self.write() as db:
            db.execute("UPDATE host_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [time.time(), session_id])

    def end_host_sessions(self, email: str) -> int:
        """End every session of a host ("sign out everywhere"); return how many."""
        with self.write() as db:
            return db.execute("UPDATE host_sessions SET ended_at = ? WHERE email = ? AND ended_at IS NULL",
                              [time.time(), normalise_stored(email)]).rowcount
