"""The storage contract: the only code that speaks SQL lives below this package.

``open_store(url)`` picks the engine from ``PLEDGE_DATABASE``: SQLite (``sqlite.py``) or PostgreSQL
(``postgres.py``), both running the one set of queries in ``sql.py`` on the one schema of ``schema.py``.
Records are plain dataclasses so the views and the CLI never see a row or a cursor.
"""
from __future__ import annotations

import sqlite3

from .records import (DEMO_SITE_KEY, DUPLICATE, NO_EMAIL_DOMAIN, ConfirmResult, Counts, Host, Limits, Mail, SignOn,
                      Site, new_id, redact)
from .sqlite import SQLiteStore

__all__ = ["DEMO_SITE_KEY", "DUPLICATE", "NO_EMAIL_DOMAIN", "ConfirmResult", "Counts", "Host", "Limits", "Mail",
           "SignOn", "Site", "new_id", "open_store", "redact"]


def open_store(url: str, *, busy_timeout: float = 10.0, synchronous: str = "FULL", pool_size: int = 4):
    """Return the store for a ``PLEDGE_DATABASE`` URL: ``sqlite:///PATH`` (one machine; the SQLite
    settings apply) or ``postgresql://...`` (several nodes; ``pool_size`` connections per process)."""
    if url.startswith("sqlite:///"):
        if sqlite3.sqlite_version_info < (3, 35):  # UPDATE/DELETE ... RETURNING
            raise ValueError(f"SQLite {sqlite3.sqlite_version} is too old: pledge-widget needs 3.35 or later "
                             "(Debian 12, Ubuntu 22.04, or the python.org builds)")
        return SQLiteStore(url[len("sqlite:///") :], busy_timeout=busy_timeout, synchronous=synchronous)
    if url.startswith(("postgresql://", "postgres://")):
        try:  # psycopg is an optional extra: only a PostgreSQL URL needs it
            from .postgres import PostgresStore
        except ImportError as exc:  # the extra was not installed
            raise ValueError(
                f"PLEDGE_DATABASE is a PostgreSQL URL but psycopg is missing ({exc}): "
                "pip install 'flask-pledge-widget[postgresql]'"
            ) from None
        return PostgresStore(url, pool_size=pool_size)
    raise ValueError(f"PLEDGE_DATABASE must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB, got {url!r}")
