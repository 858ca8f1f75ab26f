"""The SQLite engine of the store (the embedded default, for one machine), on sqlite-utils.

What only SQLite needs:
- WAL mode, an explicit ``synchronous`` and a busy timeout on every connection;
- every write takes the lock up front with ``BEGIN IMMEDIATE``: a deferred transaction that
  reads and then writes fails at once with "database is locked", whatever the busy timeout. That one
  lock serialises all writers, so the named locks of :meth:`SQLStore.write` are already held;
- one connection per thread, opened lazily and never shared across a fork (gunicorn).
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from .sql import SQLStore


class SQLiteStore(SQLStore):
    """Sites, sign-ons, counters and the outbox in one SQLite file."""

    engine = "sqlite"
    IntegrityError = sqlite3.IntegrityError
    Unavailable = ()  # a local file: "database is locked" past the busy timeout is a bug to fix, not to retry
    SERIAL = "INTEGER PRIMARY KEY"  # the rowid: numbered by SQLite
    CLAIM = ""  # the write lock already keeps other senders out

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
        self._use_wal(conn)
        # FULL: a committed sign-on survives a power cut, at the price of one fsync per commit.
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        return sqlite_utils.Database(conn, execute_plugins=False)

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        # Turning a new file to WAL needs it alone, and SQLite answers "locked" at once, without the busy
        # timeout, to the other connections that try at that moment (nodes or workers starting together).
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def read(self, timeout: float | None = None) -> Iterator[sqlite_utils.Database]:
        yield self.db

    @contextmanager
    def write(self, *locks: str) -> Iterator[sqlite_utils.Database]:
        """One write transaction that holds the database's write lock from its first statement."""
        db = self.db
        with self.committing():
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                raise
            db.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite_utils.Database]:
        # A deferred transaction reads one version of a WAL database, and lets writers go on.
        db = self.db
        db.conn.execute("BEGIN")
        try:
            yield db
        finally:
            db.conn.execute("COMMIT")

    def day_number(self, column: str) -> str:
        return f"CAST({column} / 86400 AS INTEGER)"

    def _legacy_version(self, db: sqlite_utils.Database) -> int:
        # Databases made before schema_migrations counted their migrations in PRAGMA user_version.
        return db.execute("PRAGMA user_version").fetchone()[0]

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
