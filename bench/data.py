"""The benchmark's databases: fresh ones, migrated by the app's own code, filled fast.

Rows are written directly, in batches (SQLite: ``executemany``; PostgreSQL: ``COPY``), not through the
service: a million confirmed sign-ons load in well under a minute. The ``counts`` table is filled to match,
so the service reads the same counters it would have kept itself (``recount()`` finds no drift).
"""
from __future__ import annotations

import contextlib
import itertools
import json
import random
import sqlite3
import time
import uuid
from collections import Counter
from typing import Iterable, Iterator

from widget.store import new_id, open_store
from widget.store.listing import listing_columns
from widget.store.schema import ANSWER_FIELDS

CAMPAIGN = "4p1000"
SITES = 1000
#: Every tenth sign-on goes through the first site: 100,000 of a million, for the host dashboard.
BIG_SITE_SHARE = 10
BATCH = 50_000
DAY = 86400
#: The hosts' default milestones (10, 100 and 1,000 signatures): those a site has passed were mailed already.
MILESTONES = (10, 100, 1000)
ORG_TYPES = ("public_authority", "funding_body", "civil_society", "producers_group", "company", "research")
COUNTRIES = ("FR", "SN", "DE", "BR", "IN", "KE", "US", "JP", "MA", "CA", "ES", "IT")
SIGNON_COLUMNS = ("id", "campaign", "site_key", "email", "mailbox", *ANSWER_FIELDS, "lang", "status", "created_at",
                  "confirmed_at", "consent_at", "consent_version", "ip_hash", "source", "public_id", "org_folded")


def site_index(n: int) -> int:
    """Which of the 1,000 sites the ``n``-th sign-on came through."""
    return 0 if n % BIG_SITE_SHARE == 0 else 1 + n % (SITES - 1)


def signon_rows(start: int, stop: int, keys: list[str], status: str, tally: Counter) -> Iterator[tuple]:
    """Sign-ons number ``start`` to ``stop`` (each with its own address), as rows of SIGNON_COLUMNS;
    ``tally`` counts the confirmed ones per site. Confirmed ones spread over the last 90 days."""
    rng = random.Random(f"{status}{start}")
    now = time.time()
    for n in range(start, stop):
        key = keys[site_index(n)]
        if status == "confirmed":
            confirmed_at = now - rng.random() * 90 * DAY
            created_at = confirmed_at - 600
            tally[key] += 1
        else:
            confirmed_at, created_at = None, now
        answers = (f"Signer {n}", f"Organisation {n % 5000}", ORG_TYPES[n % len(ORG_TYPES)],
                   COUNTRIES[n % len(COUNTRIES)], "Raise soil organic carbon.", "Cover crops.", "2026 to 2030", None)
        signon_id = f"{rng.getrandbits(144):036x}"
        # The public list's columns, as the store's insert writes them.
        listed = listing_columns(signon_id, answers[1])
        address = f"{status}{n}@bench{n % 997}.example"  # its own mailbox too
        yield (signon_id, CAMPAIGN, key, address, address, *answers,
               ("en", "fr", "es")[n % 3], status, created_at, confirmed_at, created_at, "1",
               f"{rng.getrandbits(64):016x}", "web", listed["public_id"], listed["org_folded"])


def batches(rows: Iterable[tuple], size: int = BATCH) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class Database:
    """One engine's fresh database for one run: its URL, its sites, how many confirmed sign-ons it holds."""

    def __init__(self, engine: str, url: str):
        self.engine = engine
        self.url = url
        self.keys: list[str] = []
        self.confirmed = 0
        self.pending = 0
        self.site_counts: Counter = Counter()  # confirmed sign-ons loaded per site key

    # -- writing rows directly -----------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self):
        if self.engine == "sqlite":
            conn = sqlite3.connect(self.url[len("sqlite:///"):], isolation_level=None)
            conn.execute("PRAGMA synchronous=OFF")  # a bulk load: the service's own writes keep FULL
            conn.execute("PRAGMA cache_size=-262144")
        else:
            import psycopg

            conn = psycopg.connect(self.url, autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    def _insert(self, conn, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Insert rows in batches, one transaction each."""
        names = ", ".join(columns)
        if self.engine == "sqlite":
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            for batch in batches(rows):
                conn.execute("BEGIN")
                conn.executemany(sql, batch)
                conn.execute("COMMIT")
            return
        with conn.cursor() as cursor:
            for batch in batches(rows):
                with conn.transaction(), cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)

    @contextlib.contextmanager
    def _indexes_rebuilt(self, conn, table: str):
        """Drop the secondary indexes of ``table`` and build them again at the end, with the very
        definitions the migrations gave them: one bulk build is faster than a million index updates."""
        if self.engine == "sqlite":
            found = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                 "AND sql IS NOT NULL", [table]).fetchall()
        else:
            found = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                                 "AND tablename = %s AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                                 [table]).fetchall()
        for name, _definition in found:
            conn.execute(f"DROP INDEX {name}")
        try:
            yield
        finally:
            for _name, definition in found:
                conn.execute(definition)

    def _add_counts(self, conn, tally: Counter) -> None:
        """Move the counters by ``tally``, and record the milestones the sites have passed, as the
        service would have (else the first confirmation on each site mails its host meanwhile)."""
        self.site_counts.update(tally)
        rows = [(CAMPAIGN, key, n) for key, n in tally.items()] + [(CAMPAIGN, "", sum(tally.values()))]
        milestones = [(key, threshold, time.time()) for key, n in self.site_counts.items()
                      for threshold in MILESTONES if threshold <= n]
        self._upsert(conn, "INSERT INTO counts (campaign, site_key, confirmed, paper) VALUES (?, ?, ?, 0) "
                     "ON CONFLICT (campaign, site_key) DO UPDATE SET confirmed = counts.confirmed + excluded.confirmed",
                     rows)
        self._upsert(conn, "INSERT INTO milestones_sent (site_key, threshold, sent_at) VALUES (?, ?, ?) "
                     "ON CONFLICT DO NOTHING", milestones)

    def _upsert(self, conn, sql: str, rows: list[tuple]) -> None:
        if self.engine == "sqlite":
            conn.execute("BEGIN")
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        else:
            with conn.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)

    def _analyse(self, conn) -> None:
        # PostgreSQL's autovacuum would have analysed a table that grew this much within a minute; SQLite's
        # planner has no statistics unless someone runs ANALYZE, which the service never does: none here either.
        if self.engine == "postgresql":
            conn.execute("VACUUM ANALYZE signons")

    # -- what the benchmark asks for -----------------------------------------------------------

    def create(self, sites: int = SITES) -> None:
        """Migrate (the app's own code) and add the ``sites`` sites (1,000), each with its owner as a host."""
        store = open_store(self.url)
        store.migrate()
        store.close()
        now = time.time()
        self.keys = [new_id(12) for _ in range(sites)]
        sites = [(key, f"Bench site {n}", f"owner{n}@bench.example", CAMPAIGN, json.dumps([f"https://site{n}.example"]),
                  now, "active") for n, key in enumerate(self.keys)]
        with self._connection() as conn:
            self._insert(conn, "sites", ("key", "name", "owner_email", "campaign", "origins", "created_at", "status"),
                         sites)
            self._insert(conn, "hosts", ("email", "created_at"), [(site[2], now) for site in sites])

    def fill_confirmed(self, total: int) -> float:
        """Add confirmed sign-ons (and their counters) up to ``total``; return the seconds it took."""
        started = time.monotonic()
        tally: Counter = Counter()
        with self._connection() as conn:
            with self._indexes_rebuilt(conn, "signons"):
                self._insert(conn, "signons", SIGNON_COLUMNS,
                             signon_rows(self.confirmed, total, self.keys, "confirmed", tally))
            self._add_counts(conn, tally)
            self._analyse(conn)
        self.confirmed = max(total, self.confirmed)
        return time.monotonic() - started

    def add_pending(self, number: int) -> list[str]:
        """``number`` pending sign-ons (waiting for their confirmation); return their ids."""
        rows = list(signon_rows(self.pending, self.pending + number, self.keys, "pending", Counter()))
        with self._connection() as conn:
            self._insert(conn, "signons", SIGNON_COLUMNS, rows)
        self.pending += number
        return [row[0] for row in rows]

    def count(self, sql: str) -> int:
        with self._connection() as conn:
            return conn.execute(sql).fetchone()[0]

    def quiet(self, timeout: float = 30.0) -> None:
        """Wait until the requests still running when wrk stopped have written what they write: no new
        sign-on, confirmation or mail for half a second."""
        sql = ("SELECT (SELECT COUNT(*) FROM signons) + (SELECT COUNT(*) FROM outbox) "
               "+ (SELECT COUNT(*) FROM signons WHERE status = 'confirmed')")
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            now = self.count(sql)
            if now == last:
                return
            last = now
            time.sleep(0.5)

    def start_host_session(self, site: int) -> str:
        """A session of the host that owns site number ``site`` (its id, for the session cookie)."""
        store = open_store(self.url)
        try:
            return store.start_host_session(f"owner{site}@bench.example")
        finally:
            store.close()

    def recount(self) -> list:
        store = open_store(self.url)
        try:
            return store.recount()
        finally:
            store.close()


@contextlib.contextmanager
def fresh_database(engine: str, folder: str, postgres_url: str) -> Iterator[Database]:
    """A new empty database of ``engine``: a file in ``folder``, or a PostgreSQL schema of its own,
    dropped (with everything in it) at the end."""
    if engine == "sqlite":
        yield Database(engine, f"sqlite:///{folder}/bench-{uuid.uuid4().hex[:8]}.db")
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    try:
        yield Database(engine, f"{postgres_url}{separator}options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(postgres_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def postgres_problem(url: str) -> str | None:
    """Why PostgreSQL cannot be used at ``url`` (None: it can)."""
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    except Exception as exc:  # not installed, refused, no such database...
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None
