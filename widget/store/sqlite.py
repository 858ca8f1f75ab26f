"""The SQLite store, on sqlite-utils.

Habits that keep it correct under many writers:
- WAL mode, an explicit ``synchronous`` and a busy timeout on every connection;
- every write takes the lock up front with ``BEGIN IMMEDIATE``: a deferred transaction that
  reads and then writes fails at once with "database is locked", whatever the busy timeout;
- one connection per thread, opened lazily and never shared across a fork (gunicorn);
- counters kept in their own table, moved in the same transaction as the row they count.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from ..addresses import normalise_stored
from . import ConfirmResult, Counts, Limits, Mail, SignOn, Site, new_id
from .sqlite_hosts import HostTables
from .sqlite_notify import NotifyTables
from .sqlite_paper import PaperTables

ANSWER_FIELDS = ("name", "organization", "org_type", "country", "goal", "actions", "timetable", "resources")
TOTAL = ""  # the site_key of a campaign's total in the counts table
SITE_COLUMNS = "key, name, owner_email, campaign, origins, created_at, status, lang"
HOUR = 3600
DAY = 24 * HOUR


def _migration_1(db: sqlite_utils.Database) -> None:
    db["sites"].create(
        {"key": str, "name": str, "owner_email": str, "campaign": str, "origins": str, "created_at": float},
        pk="key",
    )
    columns: dict[str, Any] = {"id": str, "campaign": str, "site_key": str, "email": str}
    columns.update({name: str for name in ANSWER_FIELDS})
    columns.update(
        {
            "lang": str,
            "status": str,
            "created_at": float,
            "confirmed_at": float,
            "consent_at": float,
            "consent_version": str,
        }
    )
    db["signons"].create(columns, pk="id", not_null={"campaign", "site_key", "email", "status", "created_at"})
    db["signons"].create_index(["campaign", "email"])
    db["signons"].create_index(["status", "created_at"])
    # One address signs a campaign once: the database itself refuses a second confirmed sign-on.
    db.execute(
        "CREATE UNIQUE INDEX signons_one_confirmed ON signons(campaign, email) WHERE status = 'confirmed'"
    )
    db["counts"].create({"campaign": str, "site_key": str, "confirmed": int}, pk=("campaign", "site_key"))
    db["outbox"].create(
        {
            "id": int,
            "signon_id": str,
            "to_addr": str,
            "subject": str,
            "text_body": str,
            "html_body": str,
            "created_at": float,
            "attempts": int,
            "next_attempt_at": float,
            "claimed_until": float,
            "sent_at": float,
            "failed_at": float,
            "last_error": str,
        },
        pk="id",
        not_null={"to_addr", "created_at", "attempts", "next_attempt_at"},
    )
    db["outbox"].create_index(["sent_at", "next_attempt_at"])


def _migration_2(db: sqlite_utils.Database) -> None:
    # Sign-on limits per address, site and client are computed from the rows themselves (as
    # e-petitions does): the same answer for every worker, with no counter to drift.
    db["signons"].add_column("ip_hash", str)
    db["signons"].create_index(["email", "created_at"])
    db["signons"].create_index(["site_key", "created_at"])
    db["signons"].create_index(["ip_hash", "created_at"])
    db["outbox"].create_index(["to_addr", "created_at"])
    db["outbox"].create_index(["signon_id"])


def _migration_3(db: sqlite_utils.Database) -> None:
    # Who holds a claim on a mail: a sender renews its claim before each send, and skips a mail that
    # another sender took over when the first one was too slow (no mail sent twice by two live senders).
    db["outbox"].add_column("claimed_by", str)


def _migration_4(db: sqlite_utils.Database) -> None:
    # Host logins by e-mailed link: the link carries this row's opaque id; the row makes it single use.
    db["host_logins"].create({"id": str, "email": str, "created_at": float, "used_at": float}, pk="id")
    db["sites"].create_index(["owner_email"])
    db["signons"].create_index(["site_key", "status", "confirmed_at"])


def _migration_5(db: sqlite_utils.Database) -> None:
    # Addresses were lower-cased A-Z only (SQL's lower()), so "Élise@..." could never sign in: write
    # every stored address in the one normalised spelling. A sign-on whose new spelling would make a
    # second confirmed sign-on of the same address keeps its old spelling: nothing accepted is lost.
    for table, key, column in (("sites", "key", "owner_email"), ("signons", "id", "email"),
                               ("host_logins", "id", "email"), ("outbox", "id", "to_addr")):
        for row_key, address in db.execute(f"SELECT {key}, {column} FROM {table}").fetchall():
            normalised = normalise_stored(address or "")
            if address and normalised != address:
                try:
                    db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", [normalised, row_key])
                except sqlite3.IntegrityError:
                    pass
    # Which limit held a sign-on, for the operator who reviews it.
    db["signons"].add_column("held_reason", str)
    # A site's life cycle: removed sites keep their rows (their confirmed sign-ons stay in the campaign's
    # total, and recount still adds up), but no longer serve a widget.
    db.execute("ALTER TABLE sites ADD COLUMN status TEXT NOT NULL DEFAULT 'active'")


def _migration_6(db: sqlite_utils.Database) -> None:
    # Hosts serve themselves: accounts (and their notification choices), revocable sessions, sites that
    # wait for approval, keys that keep working for a while after a rotation, where each widget was seen.
    db.execute(
        "CREATE TABLE hosts (email TEXT PRIMARY KEY, created_at REAL NOT NULL, disabled_at REAL, lang TEXT, "
        "notify_milestones INTEGER NOT NULL DEFAULT 1, milestones TEXT NOT NULL DEFAULT '10,100,1000', "
        "notify_digest INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("INSERT OR IGNORE INTO hosts (email, created_at) SELECT owner_email, MIN(created_at) FROM sites "
               "WHERE status != 'deleted' GROUP BY owner_email")
    db.execute("CREATE TABLE host_sessions (id TEXT PRIMARY KEY, email TEXT NOT NULL, created_at REAL NOT NULL, "
               "ended_at REAL)")
    db.execute("CREATE INDEX host_sessions_email ON host_sessions(email)")
    db.execute("CREATE TABLE site_aliases (alias TEXT PRIMARY KEY, site_key TEXT NOT NULL, expires_at REAL NOT NULL)")
    db.execute("CREATE TABLE widget_seen (site_key TEXT NOT NULL, origin TEXT NOT NULL, last_seen_at REAL NOT NULL, "
               "PRIMARY KEY (site_key, origin))")
    db.execute("ALTER TABLE sites ADD COLUMN lang TEXT")
    # Paper sign-ons are sign-ons too ("source"), counted apart once the operator approves them.
    db.execute("ALTER TABLE signons ADD COLUMN source TEXT NOT NULL DEFAULT 'web'")
    db.execute("ALTER TABLE counts ADD COLUMN paper INTEGER NOT NULL DEFAULT 0")
    # The separate, optional consent to be contacted by the host: the wording's version, or NULL.
    db.execute("ALTER TABLE signons ADD COLUMN contact_consent TEXT")
    # Each milestone and each day's digest is mailed once, whatever the number of senders: a row each.
    db.execute("CREATE TABLE milestones_sent (site_key TEXT NOT NULL, threshold INTEGER NOT NULL, "
               "sent_at REAL NOT NULL, PRIMARY KEY (site_key, threshold))")
    db.execute("CREATE TABLE digests_sent (email TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (email, day))")
    db.execute("ALTER TABLE outbox ADD COLUMN headers TEXT")  # JSON: List-Unsubscribe and the like


#: Schema migrations, applied in order; ``PRAGMA user_version`` records how many have run.
MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6]


class SQLiteStore(HostTables, PaperTables, NotifyTables):
    """Sites, sign-ons, counters and the outbox in one SQLite file."""

    def __init__(self, path: str, busy_timeout: float = 10.0, synchronous: str = "FULL"):
        self.path = path
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self._local = threading.local()

    # -- connections -------------------------------------------------------------------------

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (a new one after a fork: connections must not cross processes)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.db = self._connect()
            local.pid = os.getpid()
        return local.db

    def _connect(self) -> sqlite_utils.Database:
        if self.path not in ("", ":memory:"):
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: Python opens no implicit (deferred) transactions; we BEGIN ourselves.
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed sign-on survives a power cut, at the price of one fsync per commit.
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        return sqlite_utils.Database(conn, execute_plugins=False)

    def backup(self, path: str | Path) -> int:
        """Copy the live database to ``path`` with SQLite's online backup API: a consistent snapshot,
        taken while other connections go on writing (a plain file copy of a WAL database is not one).
        Returns the number of pages copied."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        destination = sqlite3.connect(partial)
        try:
            source = sqlite3.connect(self.path, timeout=self.busy_timeout)
            try:
                source.backup(destination)
                pages = destination.execute("PRAGMA page_count").fetchone()[0]
            finally:
                source.close()
        finally:
            destination.close()
        partial.replace(target)  # a half-written backup never takes the name of a good one
        return pages

    def close(self) -> None:
        """Close this thread's connection (the next use opens a new one)."""
        db = getattr(self._local, "db", None)
        if db is not None and getattr(self._local, "pid", None) == os.getpid():
            db.close()
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction that holds the write lock from its first statement."""
        db = self.db
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")

    # -- schema --------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema up to date; return its version."""
        with self.write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(db)
                db.execute(f"PRAGMA user_version={number}")
            return len(MIGRATIONS)

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # -- sites ---------------------------------------------------------------------------------

    def add_site(
        self, name: str, origins: list[str], owner_email: str, campaign: str, key: str | None = None,
        status: str = "active", lang: str | None = None,
    ) -> Site:
        """Register a host site (and its owner as a host) and return it, with a new random key unless
        ``key`` is given."""
        site = Site(
            key=key or new_id(12),
            name=name,
            owner_email=normalise_stored(owner_email),
            campaign=campaign,
            origins=tuple(origins),
            created_at=time.time(),
            status=status,
            lang=lang,
        )
        with self.write() as db:
            db.execute("INSERT OR IGNORE INTO hosts (email, created_at) VALUES (?, ?)", [site.owner_email, site.created_at])
            db["sites"].insert(
                {
                    "key": site.key,
                    "name": site.name,
                    "owner_email": site.owner_email,
                    "campaign": site.campaign,
                    "origins": json.dumps(list(site.origins)),
                    "created_at": site.created_at,
                    "status": site.status,
                    "lang": site.lang,
                }
            )
        return site

    def get_site(self, key: str) -> Site | None:
        """The site with this key (or with an old key still in its grace period after a rotation),
        unless there is none or it was removed."""
        row = self.db.execute(
            f"SELECT {SITE_COLUMNS} FROM sites WHERE status != 'deleted' AND key = COALESCE("
            "(SELECT site_key FROM site_aliases WHERE alias = ? AND expires_at > ?), ?)",
            [key, time.time(), key],
        ).fetchone()
        return self._site(row) if row else None

    def list_sites(self) -> list[Site]:
        query = f"SELECT {SITE_COLUMNS} FROM sites WHERE status != 'deleted' ORDER BY created_at"
        return [self._site(row) for row in self.db.execute(query)]

    def sites_outside(self, campaigns: list[str]) -> list[tuple[str, str]]:
        """``(key, campaign)`` of the sites (not removed) whose campaign is none of ``campaigns``."""
        marks = ",".join("?" * len(campaigns))
        query = f"SELECT key, campaign FROM sites WHERE status != 'deleted' AND campaign NOT IN ({marks}) ORDER BY key"
        return [tuple(row) for row in self.db.execute(query, campaigns)]

    def has_sites(self) -> bool:
        return self.db.execute("SELECT 1 FROM sites LIMIT 1").fetchone() is not None

    def update_site(self, key: str, name: str | None = None, origins: list[str] | None = None,
                    owner_email: str | None = None, status: str | None = None, lang: str | None = None) -> Site | None:
        """Change what is given of a site; return it, or None if there is no such site."""
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = status
        if lang is not None:
            changes["lang"] = lang
        if name is not None:
            changes["name"] = name
        if origins is not None:
            changes["origins"] = json.dumps(list(origins))
        if owner_email is not None:
            changes["owner_email"] = normalise_stored(owner_email)
        with self.write() as db:
            if "owner_email" in changes:
                db.execute("INSERT OR IGNORE INTO hosts (email, created_at) VALUES (?, ?)",
                           [changes["owner_email"], time.time()])
            if db.execute("SELECT 1 FROM sites WHERE key = ? AND status != 'deleted'", [key]).fetchone() is None:
                return None
            if changes:
                db["sites"].update(key, changes)
        return self.get_site(key)

    def rotate_key(self, key: str, grace_seconds: float) -> Site | None:
        """Give a site a new key; the old one keeps working for ``grace_seconds`` (pages that still carry
        the old snippet), then answers 404. The site's sign-ons, counts and history move to the new key."""
        new_key = new_id(12)
        with self.write() as db:
            if db.execute("SELECT 1 FROM sites WHERE key = ? AND status != 'deleted'", [key]).fetchone() is None:
                return None
            for table, column in (("sites", "key"), ("signons", "site_key"), ("counts", "site_key"),
                                  ("widget_seen", "site_key"), ("milestones_sent", "site_key"),
                                  ("site_aliases", "site_key")):
                db.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [new_key, key])
            db.execute("INSERT OR REPLACE INTO site_aliases (alias, site_key, expires_at) VALUES (?, ?, ?)",
                       [key, new_key, time.time() + grace_seconds])
        return self.get_site(new_key)

    def old_keys(self, key: str) -> list[tuple[str, float]]:
        """``(old key, until when it works)`` of a site's rotated keys still in their grace period."""
        return [tuple(row) for row in self.db.execute(
            "SELECT alias, expires_at FROM site_aliases WHERE site_key = ? AND expires_at > ? ORDER BY expires_at",
            [key, time.time()])]

    def widget_seen(self, site_key: str, origin: str, when: float) -> None:
        """Record that the widget of ``site_key`` was loaded on a page of ``origin`` (callers throttle)."""
        with self.write() as db:
            db.execute(
                "INSERT INTO widget_seen (site_key, origin, last_seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (site_key, origin) DO UPDATE SET last_seen_at = MAX(last_seen_at, excluded.last_seen_at)",
                [site_key, origin, when],
            )

    def last_seen(self, site_key: str) -> dict[str, float]:
        """``{origin: when the widget was last loaded there}`` for one site."""
        return dict(self.db.execute("SELECT origin, last_seen_at FROM widget_seen WHERE site_key = ?", [site_key]).fetchall())

    def remove_site(self, key: str) -> bool:
        """Stop a site's widget for good; its confirmed sign-ons stay in the campaign's total."""
        with self.write() as db:
            return bool(db.execute(
                "UPDATE sites SET status = 'deleted' WHERE key = ? AND status != 'deleted'", [key]
            ).rowcount)

    @staticmethod
    def _site(row: tuple) -> Site:
        key, name, owner_email, campaign, origins, created_at, status, lang = row
        return Site(key, name, owner_email, campaign, tuple(json.loads(origins)), created_at, status, lang)

    # -- sign-ons --------------------------------------------------------------------------------

    def create_signon(self, signon: SignOn, mail: Mail, limits: Limits | None = None, ip_hash: str | None = None) -> str:
        """Store a sign-on and its confirmation e-mail together, or neither; return its status.

        Over one of ``limits`` the sign-on is kept aside as ``held`` (not counted, no e-mail) for the
        operator to review. The limits are counted inside the write transaction, so they are exact
        however many workers write at once.
        """
        limits = limits or Limits()
        row = {
            "id": signon.id,
            "campaign": signon.campaign,
            "site_key": signon.site_key,
            "email": normalise_stored(signon.email),
            "lang": signon.lang,
            "status": "pending",
            "created_at": signon.created_at,
            "confirmed_at": None,
            "consent_at": signon.consent_at,
            "consent_version": signon.consent_version,
            "ip_hash": ip_hash,
            "contact_consent": signon.contact_consent,
            "source": signon.source,
        }
        row.update({name: signon.answers.get(name) for name in ANSWER_FIELDS})
        with self.write() as db:
            reason = self._over_limits(db, row["email"], signon.site_key, ip_hash, limits)
            if reason:
                row["status"], row["held_reason"] = "held", reason
            db["signons"].insert(row)
            if row["status"] == "pending" and self._mail_allowed(db, mail.to, limits):
                self._enqueue(db, mail, signon.id)
        return row["status"]

    @staticmethod
    def _recent(db: sqlite_utils.Database, column: str, value: Any, seconds: float) -> int:
        # A time-bounded range of an index (column, created_at): cheap, and exact under the write lock.
        query = f"SELECT COUNT(*) FROM signons WHERE {column} = ? AND created_at > ?"
        return db.execute(query, [value, time.time() - seconds]).fetchone()[0]

    def _over_limits(self, db: sqlite_utils.Database, email: str, site_key: str, ip_hash: str | None,
                     limits: Limits) -> str | None:
        """The name of the first limit this sign-on goes over (see :data:`HELD_REASONS`), or None."""
        checks = [("email", email, DAY, limits.per_email_per_day, "email_per_day"),
                  ("site_key", site_key, HOUR, limits.per_site_per_hour, "site_per_hour")]
        if ip_hash:
            checks.append(("ip_hash", ip_hash, DAY, limits.per_ip_per_day, "ip_per_day"))
        for column, value, window, limit, reason in checks:
            if limit is not None and self._recent(db, column, value, window) >= limit:
                return reason
        return None

    @staticmethod
    def _mail_allowed(db: sqlite_utils.Database, address: str, limits: Limits) -> bool:
        if limits.mails_per_address_per_day is None:
            return True
        sent = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE to_addr = ? AND created_at > ?", [normalise_stored(address), time.time() - DAY]
        ).fetchone()[0]
        return sent < limits.mails_per_address_per_day

    def is_signed(self, campaign: str, email: str) -> bool:
        """True when ``email`` has a confirmed sign-on of ``campaign``."""
        return self.find_confirmed(campaign, email) is not None

    def find_confirmed(self, campaign: str, email: str) -> SignOn | None:
        """The confirmed sign-on of ``email`` for ``campaign``, if any."""
        cursor = self.db.execute(
            "SELECT * FROM signons WHERE campaign = ? AND email = ? AND status = 'confirmed'",
            [campaign, normalise_stored(email)],
        )
        row = cursor.fetchone()
        return self._signon(cursor.description, row) if row else None

    def get_signon(self, signon_id: str) -> SignOn | None:
        cursor = self.db.execute("SELECT * FROM signons WHERE id = ?", [signon_id])
        row = cursor.fetchone()
        return self._signon(cursor.description, row) if row else None

    def confirm_signon(self, signon_id: str) -> ConfirmResult:
        """Confirm a pending sign-on and count it, once: a second call changes nothing."""
        with self.write() as db:
            cursor = db.execute("SELECT * FROM signons WHERE id = ?", [signon_id])
            row = cursor.fetchone()
            if row is None:
                return ConfirmResult("unknown")
            signon = self._signon(cursor.description, row)
            if signon.status == "confirmed":
                return ConfirmResult("already", signon)
            if self.is_signed(signon.campaign, signon.email):
                # The address signed through another link first: that one keeps its site.
                return ConfirmResult("already", signon)
            now = time.time()
            db.execute(
                "UPDATE signons SET status = 'confirmed', confirmed_at = ? WHERE id = ?", [now, signon_id]
            )
            for site_key in (signon.site_key, TOTAL):
                db.execute(
                    "INSERT INTO counts (campaign, site_key, confirmed) VALUES (?, ?, 1) "
                    "ON CONFLICT (campaign, site_key) DO UPDATE SET confirmed = confirmed + 1",
                    [signon.campaign, site_key],
                )
        return ConfirmResult("confirmed", self.get_signon(signon_id))

    def withdraw_signon(self, signon_id: str) -> SignOn | None:
        """Delete a sign-on and its unsent mail; a confirmed one leaves the counts. None if unknown."""
        with self.write() as db:
            cursor = db.execute("SELECT * FROM signons WHERE id = ?", [signon_id])
            row = cursor.fetchone()
            if row is None:
                return None
            signon = self._signon(cursor.description, row)
            self._delete_signons(db, [signon])
        return signon

    def held_signons(self) -> list[SignOn]:
        """Sign-ons kept aside by the limits, oldest first."""
        cursor = self.db.execute("SELECT * FROM signons WHERE status = 'held' ORDER BY created_at")
        return [self._signon(cursor.description, row) for row in cursor.fetchall()]

    def release_held(self, signon_id: str, mail: Mail) -> bool:
        """Make a held sign-on pending and queue its confirmation e-mail; False if it is not held."""
        with self.write() as db:
            changed = db.execute(
                "UPDATE signons SET status = 'pending' WHERE id = ? AND status = 'held'", [signon_id]
            ).rowcount
            if changed:
                self._enqueue(db, mail, signon_id)
            return bool(changed)

    def signons_of(self, email: str) -> list[SignOn]:
        """Every sign-on of one address, whatever its status (for access requests)."""
        cursor = self.db.execute("SELECT * FROM signons WHERE email = ? ORDER BY created_at", [normalise_stored(email)])
        return [self._signon(cursor.description, row) for row in cursor.fetchall()]

    def forget(self, email: str) -> int:
        """Erase an address: its sign-ons (out of the counts) and every e-mail to it. Returns sign-ons deleted."""
        email = normalise_stored(email)
        with self.write() as db:
            cursor = db.execute("SELECT * FROM signons WHERE email = ?", [email])
            signons = [self._signon(cursor.description, row) for row in cursor.fetchall()]
            self._delete_signons(db, signons)
            db.execute("DELETE FROM outbox WHERE to_addr = ?", [email])
        return len(signons)

    def discard_held(self, signon_id: str) -> bool:
        """Delete a held sign-on without ever mailing it."""
        with self.write() as db:
            return bool(db.execute("DELETE FROM signons WHERE id = ? AND status = 'held'", [signon_id]).rowcount)

    def _delete_signons(self, db: sqlite_utils.Database, signons: list[SignOn]) -> None:
        for signon in signons:
            if signon.status == "confirmed":
                db.execute(  # an approved paper sign-on leaves the paper count too
                    "UPDATE counts SET confirmed = confirmed - 1, paper = paper - ? WHERE campaign = ? AND site_key IN (?, ?)",
                    [int(signon.source == "paper"), signon.campaign, signon.site_key, TOTAL],
                )
            db.execute("DELETE FROM outbox WHERE signon_id = ?", [signon.id])
            db.execute("DELETE FROM signons WHERE id = ?", [signon.id])

    def counts(self, campaign: str, site_key: str) -> Counts:
        """Confirmed sign-ons of a site and of its campaign, read from the counters (O(1))."""
        rows = dict(
            self.db.execute(
                "SELECT site_key, confirmed FROM counts WHERE campaign = ? AND site_key IN (?, ?)",
                [campaign, site_key, TOTAL],
            ).fetchall()
        )
        return Counts(site=rows.get(site_key, 0), total=rows.get(TOTAL, 0))

    def all_counts(self) -> list[tuple[str, str, int]]:
        """``(campaign, site_key, confirmed)`` for every site with a count; ``site_key`` "" is the total."""
        return [tuple(row) for row in self.db.execute("SELECT campaign, site_key, confirmed FROM counts ORDER BY campaign, site_key")]

    def recount(self) -> list[tuple[str, str, int, int]]:
        """Compare the counters with the rows: ``(campaign, site_key, counter, rows)`` where they differ.

        For audits and tests only: requests read the counters. The paper counters follow (see
        :meth:`paper_drift`), their site key followed by " (paper)".
        """
        actual: dict[tuple[str, str], int] = {}
        query = "SELECT campaign, site_key, COUNT(*) FROM signons WHERE status = 'confirmed' GROUP BY 1, 2"
        for campaign, site_key, n in self.db.execute(query):
            actual[(campaign, site_key)] = n
            actual[(campaign, TOTAL)] = actual.get((campaign, TOTAL), 0) + n
        counters = {(c, s): n for c, s, n in self.all_counts()}
        return [
            (c, s, counters.get((c, s), 0), actual.get((c, s), 0))
            for c, s in sorted(set(actual) | set(counters))
            if counters.get((c, s), 0) != actual.get((c, s), 0)
        ] + self.paper_drift()

    def sites_of(self, owner_email: str) -> list[Site]:
        """The sites an address owns (any spelling of it: addresses are stored normalised)."""
        query = f"SELECT {SITE_COLUMNS} FROM sites WHERE owner_email = ? AND status != 'deleted' ORDER BY created_at"
        return [self._site(row) for row in self.db.execute(query, [normalise_stored(owner_email)])]

    def create_host_login(self, email: str) -> str:
        """Record a login link for a host's address; return its opaque id."""
        login_id = new_id(18)
        with self.write() as db:
            db["host_logins"].insert({"id": login_id, "email": normalise_stored(email), "created_at": time.time()})
        return login_id

    def use_host_login(self, login_id: str) -> str | None:
        """Use a login link once: the address it was made for, or None if unknown or used before."""
        with self.write() as db:
            row = db.execute("SELECT email FROM host_logins WHERE id = ? AND used_at IS NULL", [login_id]).fetchone()
            if row is None:
                return None
            db.execute("UPDATE host_logins SET used_at = ? WHERE id = ?", [time.time(), login_id])
            return row[0]

    def breakdown(self, site_key: str, days: int = 30) -> dict[str, list[tuple[str, int]]]:
        """A site's confirmed sign-ons by day (the last ``days``), by organisation type and by country.

        For the host dashboard, one site at a time, on indexed columns; the public counts never come from here.
        """
        since = time.time() - days * 86400
        by_day = self.db.execute(
            "SELECT date(confirmed_at, 'unixepoch') AS day, COUNT(*) FROM signons "
            "WHERE site_key = ? AND status = 'confirmed' AND confirmed_at >= ? GROUP BY day ORDER BY day",
            [site_key, since],
        ).fetchall()
        result = {"by_day": [tuple(row) for row in by_day]}
        for column in ("org_type", "country"):
            rows = self.db.execute(
                f"SELECT COALESCE({column}, ''), COUNT(*) FROM signons WHERE site_key = ? AND status = 'confirmed' "
                "GROUP BY 1 ORDER BY 2 DESC, 1",
                [site_key],
            ).fetchall()
            result[f"by_{column}"] = [tuple(row) for row in rows]
        return result

    def pending_count(self, site_key: str) -> int:
        """Sign-ons of a site waiting for their confirmation."""
        return self.db.execute(
            "SELECT COUNT(*) FROM signons WHERE site_key = ? AND status = 'pending'", [site_key]
        ).fetchone()[0]

    def latest_signons(self, site_key: str, limit: int = 10) -> list[SignOn]:
        """A site's most recently confirmed sign-ons, newest first."""
        cursor = self.db.execute(
            "SELECT * FROM signons WHERE site_key = ? AND status = 'confirmed' ORDER BY confirmed_at DESC LIMIT ?",
            [site_key, limit],
        )
        return [self._signon(cursor.description, row) for row in cursor.fetchall()]

    def confirmed_signons(self, site_key: str | None = None) -> Iterator[SignOn]:
        """Every confirmed sign-on, oldest first, of one site or of all."""
        query = "SELECT * FROM signons WHERE status = 'confirmed'"
        params: list[Any] = []
        if site_key is not None:
            query += " AND site_key = ?"
            params.append(site_key)
        cursor = self.db.execute(query + " ORDER BY confirmed_at", params)
        for row in cursor:
            yield self._signon(cursor.description, row)

    def purge_pending(self, older_than: float) -> int:
        """Delete sign-ons never confirmed (pending or held) created before ``older_than``, every e-mail
        about them, and sent e-mails older than that (the mail limits look back one day only).
        Returns how many sign-ons were deleted."""
        with self.write() as db:
            stale = "SELECT id FROM signons WHERE status IN ('pending', 'held') AND created_at < ?"
            db.execute(f"DELETE FROM outbox WHERE signon_id IN ({stale})", [older_than])
            db.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL AND created_at < ?", [older_than])
            return db.execute(
                "DELETE FROM signons WHERE status IN ('pending', 'held') AND created_at < ?", [older_than]
            ).rowcount

    @staticmethod
    def _signon(description: Any, row: tuple) -> SignOn:
        data = dict(zip([d[0] for d in description], row))
        return SignOn(
            id=data["id"],
            campaign=data["campaign"],
            site_key=data["site_key"],
            email=data["email"],
            lang=data["lang"],
            status=data["status"],
            created_at=data["created_at"],
            confirmed_at=data["confirmed_at"],
            consent_at=data["consent_at"],
            consent_version=data["consent_version"],
            answers={name: data[name] for name in ANSWER_FIELDS if data[name] is not None},
            held_reason=data.get("held_reason"),
            contact_consent=data.get("contact_consent"),
            source=data.get("source") or "web",
        )

    # -- outbox --------------------------------------------------------------------------------

    def enqueue_mail(self, mail: Mail, signon_id: str | None = None, limits: Limits | None = None) -> bool:
        """Queue an e-mail unless its address had its share of mail today; True if queued."""
        with self.write() as db:
            if not self._mail_allowed(db, mail.to, limits or Limits()):
                return False
            self._enqueue(db, mail, signon_id)
            return True

    def last_mail_at(self, signon_id: str) -> float | None:
        """When the newest e-mail about a sign-on was queued."""
        return self.db.execute("SELECT MAX(created_at) FROM outbox WHERE signon_id = ?", [signon_id]).fetchone()[0]

    @staticmethod
    def _enqueue(db: sqlite_utils.Database, mail: Mail, signon_id: str | None) -> None:
        now = time.time()
        db["outbox"].insert(
            {
                "signon_id": signon_id,
                "to_addr": normalise_stored(mail.to),
                "subject": mail.subject,
                "text_body": mail.text,
                "html_body": mail.html,
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": now,
                "headers": json.dumps(mail.headers) if mail.headers else None,
            }
        )

    def claim_mail(self, limit: int, lease: float, claimer: str) -> list[Mail]:
        """Take up to ``limit`` due e-mails for ``lease`` seconds on behalf of ``claimer``.

        A sender that dies mid-batch loses nothing: once the lease runs out another sender takes the
        mail again (so a mail may go out twice, never zero times). Mail never tried goes first, so a
        new confirmation link does not wait behind mails being retried.
        """
        now = time.time()
        with self.write() as db:
            rows = db.execute(
                "SELECT id, to_addr, subject, text_body, html_body, attempts, headers FROM outbox "
                "WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY attempts, id LIMIT ?",
                [now, now, limit],
            ).fetchall()
            if rows:
                db.execute(
                    f"UPDATE outbox SET claimed_until = ?, claimed_by = ? WHERE id IN ({','.join('?' * len(rows))})",
                    [now + lease, claimer, *[row[0] for row in rows]],
                )
        return [Mail(to=r[1], subject=r[2], text=r[3], html=r[4], id=r[0], attempts=r[5], headers=json.loads(r[6] or "{}"))
                for r in rows]

    def renew_claim(self, mail_id: int, claimer: str, lease: float) -> bool:
        """Extend ``claimer``'s claim on a mail right before sending it; False if another sender took it
        over (the claim ran out) or it went out already."""
        with self.write() as db:
            return bool(
                db.execute(
                    "UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? "
                    "AND sent_at IS NULL AND failed_at IS NULL",
                    [time.time() + lease, mail_id, claimer],
                ).rowcount
            )

    def release_claims(self, mail_ids: list[int], claimer: str) -> None:
        """Give back mails a sender claimed but will not try now, so the next round need not wait for the lease."""
        if not mail_ids:
            return
        with self.write() as db:
            db.execute(
                f"UPDATE outbox SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = ? "
                f"AND id IN ({','.join('?' * len(mail_ids))})",
                [claimer, *mail_ids],
            )

    def mark_sent(self, mail_id: int) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE outbox SET sent_at = ?, claimed_until = NULL, claimed_by = NULL WHERE id = ?", [time.time(), mail_id]
            )

    def mark_attempt_failed(self, mail_id: int, error: str, retry_at: float | None) -> None:
        """Record a failed delivery: try again at ``retry_at``, or never (permanent failure) if None."""
        with self.write() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, claimed_until = NULL, claimed_by = NULL, "
                "next_attempt_at = COALESCE(?, next_attempt_at), failed_at = ? WHERE id = ?",
                [error[:500], retry_at, None if retry_at is not None else time.time(), mail_id],
            )

    def failed_mail(self) -> list[dict[str, Any]]:
        """E-mails that failed for good, latest first: ``id``, ``to``, ``attempts``, ``last_error``, ``failed_at``."""
        rows = self.db.execute(
            "SELECT id, to_addr, attempts, last_error, failed_at FROM outbox "
            "WHERE failed_at IS NOT NULL AND sent_at IS NULL ORDER BY failed_at DESC, id DESC"
        ).fetchall()
        return [dict(zip(("id", "to", "attempts", "last_error", "failed_at"), row)) for row in rows]

    def retry_failed_mail(self, mail_ids: list[int] | None = None) -> int:
        """Queue again the e-mails that failed for good (those of ``mail_ids``, or all of them when None),
        due now; return how many. Their attempts and last error stay, for the record."""
        where = "failed_at IS NOT NULL AND sent_at IS NULL"
        params: list[Any] = [time.time()]
        if mail_ids is not None:
            if not mail_ids:
                return 0
            where += f" AND id IN ({','.join('?' * len(mail_ids))})"
            params += list(mail_ids)
        with self.write() as db:
            return db.execute(
                "UPDATE outbox SET failed_at = NULL, next_attempt_at = ?, claimed_until = NULL, claimed_by = NULL "
                f"WHERE {where}",
                params,
            ).rowcount

    def outbox_stats(self) -> dict[str, int]:
        """How many e-mails are queued, sent and failed for good."""
        row = self.db.execute(
            "SELECT SUM(sent_at IS NULL AND failed_at IS NULL), SUM(sent_at IS NOT NULL), "
            "SUM(failed_at IS NOT NULL) FROM outbox"
        ).fetchone()
        return {"queued": row[0] or 0, "sent": row[1] or 0, "failed": row[2] or 0}
