"""The operator's desk: admins' sign-in links, TOTP secrets, recovery codes, sessions, failed codes, and
the audit log (a part of :class:`widget.store.sql.SQLStore`).

The audit log is append-only: this module only INSERTs into it and SELECTs from it, and nothing else in
the code writes to it (tests/test_admin_auth.py greps for an UPDATE or DELETE of it). An operator's action
(:mod:`widget.actions`) hands the store method that makes its change an :data:`Audit` function, whose
entries :meth:`AdminTables._append_audit` inserts in the transaction of the change: the change and its
entry are committed together, or neither is. Session ids and recovery codes are stored hashed by the
caller (:mod:`widget.admin.access`, :mod:`widget.admin.totp`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from ..addresses import normalise_stored
from .records import new_id


@dataclass(frozen=True)
class AdminSession:
    """One admin session: ``verified_at`` is when its link and TOTP code were both done (None: not yet)."""

    id_hash: str
    email: str
    created_at: float
    seen_at: float
    verified_at: float | None
    ended_at: float | None
    agent: str


@dataclass(frozen=True)
class AdminTotp:
    """An admin's authenticator secret; ``confirmed_at`` None while it is being enrolled."""

    email: str
    secret: str
    confirmed_at: float | None
    last_step: int


@dataclass(frozen=True)
class AuditNote:
    """One audit entry to append (``before`` and ``after`` as JSON text: see :func:`widget.audit.note`)."""

    actor: str
    action: str
    target: str
    before: str | None
    after: str | None


#: What a store method that changes records for an operator's action takes to audit them: called inside
#: its write transaction, once per record it did change (with that record's id, or what the method's
#: docstring says), it returns the entry to append there.
Audit = Callable[[Any], AuditNote]

SESSION_COLUMNS = "id_hash, email, created_at, seen_at, verified_at, ended_at, agent"


class AdminTables:
    """Mixed into the store, whose ``query()`` and ``write()`` it uses."""

    query: Any
    write: Any

    # -- sign-in links ---------------------------------------------------------------------------

    def create_admin_login(self, email: str, now: float) -> str:
        """A new single-use sign-in link's opaque id for ``email``."""
        login_id = new_id(24)
        with self.write() as db:
            # Links older than a day count for nothing any more (neither the hourly limit nor a sign-in).
            db.execute("DELETE FROM admin_logins WHERE email = ? AND created_at < ?",
                       [normalise_stored(email), now - 86400])
            db.execute("INSERT INTO admin_logins (id, email, created_at) VALUES (?, ?, ?)",
                       [login_id, normalise_stored(email), now])
        return login_id

    def recent_admin_logins(self, email: str, since: float) -> int:
        return self.query("SELECT COUNT(*) FROM admin_logins WHERE email = ? AND created_at > ?",
                          [normalise_stored(email), since])[0][0]

    def use_admin_login(self, login_id: str, now: float, max_age: float) -> str | None:
        """Use a link once: its address, or None if it was used, is unknown or older than ``max_age``."""
        with self.write() as db:
            row = db.execute("UPDATE admin_logins SET used_at = ? WHERE id = ? AND used_at IS NULL "
                             "AND created_at > ? RETURNING email", [now, login_id, now - max_age]).fetchone()
        return row[0] if row else None

    # -- TOTP --------------------------------------------------------------------------------------

    def get_admin_totp(self, email: str) -> AdminTotp | None:
        rows = self.query("SELECT email, secret, confirmed_at, last_step FROM admin_totp WHERE email = ?",
                          [normalise_stored(email)])
        return AdminTotp(*rows[0]) if rows else None

    def start_admin_totp(self, email: str, secret: str, now: float) -> AdminTotp:
        """The secret being enrolled: a new one unless an unconfirmed one is waiting (a reload of the
        enrolment page keeps the secret the app may have scanned already). A confirmed one stays."""
        with self.write() as db:
            db.execute("INSERT INTO admin_totp (email, secret, created_at, last_step) VALUES (?, ?, ?, 0) "
                       "ON CONFLICT DO NOTHING", [normalise_stored(email), secret, now])
        return self.get_admin_totp(email)

    def confirm_admin_totp(self, email: str, step: int, code_hashes: list[str], now: float) -> bool:
        """The first code was right: the secret counts from now on, with these recovery codes (hashed);
        False if it was confirmed meanwhile (a second tab)."""
        email = normalise_stored(email)
        with self.write() as db:
            done = db.execute("UPDATE admin_totp SET confirmed_at = ?, last_step = ? WHERE email = ? "
                              "AND confirmed_at IS NULL", [now, step, email]).rowcount
            if not done:
                return False
            self._replace_recovery_codes(db, email, code_hashes, now)
        return True

    def use_admin_totp_step(self, email: str, step: int) -> bool:
        """Spend a code's time step: False if that step (or a later one) was used already."""
        with self.write() as db:
            return bool(db.execute("UPDATE admin_totp SET last_step = ? WHERE email = ? AND last_step < ? "
                                   "AND confirmed_at IS NOT NULL", [step, normalise_stored(email), step]).rowcount)

    def reset_admin_totp(self, email: str, now: float) -> bool:
        """Forget an admin's authenticator and recovery codes, and end the admin's sessions (lost phone):
        the next sign-in enrols again. False if there was nothing to forget."""
        email = normalise_stored(email)
        with self.write() as db:
            found = db.execute("DELETE FROM admin_totp WHERE email = ?", [email]).rowcount
            db.execute("DELETE FROM admin_recovery_codes WHERE email = ?", [email])
            db.execute("UPDATE admin_sessions SET ended_at = ? WHERE email = ? AND ended_at IS NULL", [now, email])
        return bool(found)

    # -- recovery codes ------------------------------------------------------------------------------

    @staticmethod
    def _replace_recovery_codes(db: Any, email: str, code_hashes: list[str], now: float) -> None:
        db.execute("DELETE FROM admin_recovery_codes WHERE email = ?", [email])
        for code_hash in code_hashes:
            db.execute("INSERT INTO admin_recovery_codes (email, code_hash, created_at) VALUES (?, ?, ?)",
                       [email, code_hash, now])

    def admin_recovery_codes(self, email: str) -> list[tuple[int, str]]:
        """``(id, hash)`` of an admin's unused recovery codes."""
        return [tuple(row) for row in self.query(
            "SELECT id, code_hash FROM admin_recovery_codes WHERE email = ? AND used_at IS NULL ORDER BY id",
            [normalise_stored(email)])]

    def use_admin_recovery_code(self, code_id: int, now: float) -> bool:
        """Spend a recovery code: False if it was used already (two tabs at once: one wins)."""
        with self.write() as db:
            return bool(db.execute("UPDATE admin_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
                                   [now, code_id]).rowcount)

    # -- failed codes (rate limit that holds across processes) ---------------------------------------

    def start_admin_attempt(self, email: str, now: float, since: float, limit: int) -> int | None:
        """Count a code about to be checked as a failure until it proves right: its row's id, or None when
        ``limit`` failures (attempts still being checked included) came after ``since``. Counting and adding
        are one step under the address's lock: requests sent at once, to any process, cannot all slip
        under the limit before the first of them is counted."""
        email = normalise_stored(email)
        with self.write(f"admin-code:{email}") as db:
            # Only the last minutes count (see widget.admin.signin): older rows are dropped as new ones come.
            count = db.execute("SELECT COUNT(*) FROM admin_failures WHERE email = ? AND at > ?",
                               [email, since]).fetchone()[0]
            if count >= limit:
                return None
            db.execute("DELETE FROM admin_failures WHERE email = ? AND at < ?", [email, now - 86400])
            return db.execute("INSERT INTO admin_failures (email, at) VALUES (?, ?) RETURNING id",
                              [email, now]).fetchone()[0]

    def end_admin_attempt(self, attempt_id: int) -> None:
        """The code was right (or never checked): it is no failure."""
        with self.write() as db:
            db.execute("DELETE FROM admin_failures WHERE id = ?", [attempt_id])

    def admin_failures(self, email: str, since: float) -> int:
        return self.query("SELECT COUNT(*) FROM admin_failures WHERE email = ? AND at > ?",
                          [normalise_stored(email), since])[0][0]

    # -- sessions --------------------------------------------------------------------------------------

    def start_admin_session(self, id_hash: str, email: str, agent: str, now: float) -> None:
        with self.write() as db:
            db.execute(f"INSERT INTO admin_sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, NULL, NULL, ?)",
                       [id_hash, normalise_stored(email), now, now, agent[:200]])

    def get_admin_session(self, id_hash: str) -> AdminSession | None:
        rows = self.query(f"SELECT {SESSION_COLUMNS} FROM admin_sessions WHERE id_hash = ?", [id_hash])
        return AdminSession(*rows[0]) if rows else None

    def admin_sessions(self, email: str, since: float) -> list[AdminSession]:
        """An admin's live sessions used after ``since``, the latest used first."""
        rows = self.query(f"SELECT {SESSION_COLUMNS} FROM admin_sessions WHERE email = ? AND ended_at IS NULL "
                          "AND seen_at > ? ORDER BY seen_at DESC", [normalise_stored(email), since])
        return [AdminSession(*row) for row in rows]

    def touch_admin_session(self, id_hash: str, now: float) -> None:
        with self.write() as db:
            db.execute("UPDATE admin_sessions SET seen_at = ? WHERE id_hash = ? AND ended_at IS NULL", [now, id_hash])

    def verify_admin_session(self, id_hash: str, now: float) -> None:
        """The session's TOTP step is done (now: a fresh sign-in)."""
        with self.write() as db:
            db.execute("UPDATE admin_sessions SET verified_at = ?, seen_at = ? WHERE id_hash = ? AND ended_at IS NULL",
                       [now, now, id_hash])

    def end_admin_session(self, id_hash: str, now: float, email: str | None = None) -> bool:
        """End one session (of ``email`` only, when given); False if there was no such live session."""
        sql = "UPDATE admin_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL"
        params: list[Any] = [now, id_hash]
        if email is not None:
            sql += " AND email = ?"
            params.append(normalise_stored(email))
        with self.write() as db:
            return bool(db.execute(sql, params).rowcount)

    def end_other_admin_sessions(self, email: str, keep_hash: str, now: float) -> int:
        """End every session of an admin but ``keep_hash`` (this browser's); return how many."""
        with self.write() as db:
            return db.execute("UPDATE admin_sessions SET ended_at = ? WHERE email = ? AND id_hash != ? "
                              "AND ended_at IS NULL", [now, normalise_stored(email), keep_hash]).rowcount

    # -- the audit log: INSERT and SELECT only -------------------------------------------------------

    def append_audit(self, actor: str, action: str, target: str, before: str | None, after: str | None,
                     now: float | None = None) -> None:
        """Append one entry in a transaction of its own (what it records changed nothing in the store, or
        was committed before: a sign-in, a failed code)."""
        with self.write() as db:
            self._append_audit(db, AuditNote(actor, action, target, before, after), now)

    @staticmethod
    def _append_audit(db: Any, note: AuditNote, now: float | None = None) -> None:
        """Append one entry in the write transaction ``db`` (that of the change it records, if any)."""
        db.execute("INSERT INTO audit_log (at, actor, action, target, before_json, after_json) "
                   "VALUES (?, ?, ?, ?, ?, ?)", [time.time() if now is None else now, note.actor, note.action,
                                                 note.target, note.before, note.after])

    def audit_entries(self, actor: str | None = None, action: str | None = None, since: float | None = None,
                      until: float | None = None, limit: int | None = 100, before_id: int | None = None) -> list[tuple]:
        """``(id, at, actor, action, target, before_json, after_json)`` rows, newest first."""
        where, params = [], []
        for clause, value in (("actor = ?", actor), ("action = ?", action), ("at >= ?", since), ("at < ?", until),
                              ("id < ?", before_id)):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = "SELECT id, at, actor, action, target, before_json, after_json FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [tuple(row) for row in self.query(sql, params)]

    def audit_actions(self) -> list[str]:
        return [row[0] for row in self.query("SELECT DISTINCT action FROM audit_log ORDER BY action")]
