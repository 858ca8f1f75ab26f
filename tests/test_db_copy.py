"""``pledge-widget db copy``: an installation moves between SQLite and PostgreSQL, whole, in batches,
resumable after a kill, refusing a target that holds rows of its own, and checked at the end."""
from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from widget.cli import pledge
from widget.store import Mail, SignOn, open_store
from widget.store.copy import CopyError, copy_database
from widget.ledger import read_key, sign
from widget.store.schema import ANSWER_FIELDS, TABLES

SIGNONS = 100_000
CAMPAIGNS = ("4p1000", "ocean")
# Keys whose order differs between locales ("a" < "B" in en_US, not in C) and beyond ASCII.
SITE_KEYS = ("alpha", "Beta", "Zulu", "zeta", "_under", "-dash", "École", "éte", "ñandú", "Ωmega")


def fill(path) -> None:
    """An installation with 100,000 sign-ons (and some of every other table), written in one transaction."""
    open_store(f"sqlite:///{path}").migrate()
    rng = random.Random(7)
    now = 1_760_000_000.123456789
    conn = sqlite3.connect(path)
    with conn:
        sites = [(key, f"Site {key}", f"owner{n}@example.org", CAMPAIGNS[n % 2], f'["https://{n}.example"]',
                  now - n * 1000.5, "active", None if n % 3 else "fr") for n, key in enumerate(SITE_KEYS)]
        conn.executemany("INSERT INTO sites (key, name, owner_email, campaign, origins, created_at, status, lang) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", sites)
        conn.executemany("INSERT INTO hosts (email, created_at, lang, notify_digest) VALUES (?, ?, ?, ?)",
                         [(site[2], site[5], site[7], n % 2) for n, site in enumerate(sites)])
        signons, counts = [], {}
        for n in range(SIGNONS):
            site = sites[n % len(sites)]
            status = ("confirmed", "confirmed", "pending", "held", "confirmed")[n % 5]
            created = now - rng.random() * 1e7
            if status == "confirmed":
                for key in (site[0], ""):
                    counts[(site[3], key)] = counts.get((site[3], key), 0) + 1
            answers = [f"Person {n}", f"Organisation «{n % 977}»", "company", "FR", "Goal\nwith two lines",
                       None, "2030", None]
            signons.append((f"{rng.getrandbits(64):016x}{n}-x" if n % 2 else f"{n:08d}Ab_é", site[3], site[0],
                            f"signer{n}@example.org", *answers, ("en", "fr", "ar")[n % 3], status, created,
                            created + 60.25 if status == "confirmed" else None, created, "v1",
                            f"ip{n % 5000}", "email_per_day" if status == "held" else None,
                            "web", "c1" if n % 7 == 0 else None))
        conn.executemany(
            f"INSERT INTO signons (id, campaign, site_key, email, {', '.join(ANSWER_FIELDS)}, lang, status, created_at, "
            "confirmed_at, consent_at, consent_version, ip_hash, held_reason, source, contact_consent) "
            f"VALUES ({', '.join('?' * (len(ANSWER_FIELDS) + 14))})", signons)
        conn.executemany("INSERT INTO counts (campaign, site_key, confirmed) VALUES (?, ?, ?)",
                         [(campaign, key, n) for (campaign, key), n in counts.items()])
        # Outbox ids with gaps (mails deleted): the copy keeps them, and the target numbers after them.
        conn.executemany("INSERT INTO outbox (id, signon_id, to_addr, subject, text_body, html_body, created_at, "
                         "attempts, next_attempt_at, sent_at, headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [(3 * n + 1, signons[n][0], signons[n][3], "Confirm", "text", "<p>html</p>", now + n, n % 3,
                           now + n, now if n % 2 else None, '{"List-Unsubscribe": "<x>"}' if n % 5 == 0 else None)
                          for n in range(300)])
        conn.executemany("INSERT INTO host_logins (id, email, created_at, used_at) VALUES (?, ?, ?, ?)",
                         [(f"login{n}", sites[n][2], now, None if n % 2 else now + 1) for n in range(4)])
        conn.executemany("INSERT INTO host_sessions (id, email, created_at) VALUES (?, ?, ?)",
                         [(f"session{n}", sites[n][2], now) for n in range(3)])
        conn.execute("INSERT INTO site_aliases (alias, site_key, expires_at) VALUES ('old-alpha', 'alpha', ?)", [now])
        conn.executemany("INSERT INTO widget_seen (site_key, origin, last_seen_at) VALUES (?, ?, ?)",
                         [(key, origin, now) for key in SITE_KEYS[:4] for origin in ("https://B.example", "https://a.example")])
        conn.executemany("INSERT INTO milestones_sent (site_key, threshold, sent_at) VALUES (?, ?, ?)",
                         [(key, threshold, now) for key in SITE_KEYS[:3] for threshold in (10, 100, 1000)])
        conn.executemany("INSERT INTO digests_sent (email, day) VALUES (?, ?)",
                         [(sites[n][2], day) for n in range(3) for day in ("2026-01-02", "2026-01-10")])
    conn.close()


@pytest.fixture(scope="module")
def big_source(tmp_path_factory):
    path = tmp_path_factory.mktemp("copy") / "source.db"
    fill(path)
    return f"sqlite:///{path}"


@pytest.fixture
def small_source(tmp_path):
    """A few rows of every table, written through the store as the service writes them."""
    url = f"sqlite:///{tmp_path / 'small.db'}"
    store = open_store(url)
    store.migrate()
    for key in ("alpha", "Beta", "école"):
        store.add_site(f"Site {key}", ["https://school.example"], f"{key}@example.org", "4p1000", key=key)
    for n in range(6):
        signon = SignOn(id=f"s{n}", campaign="4p1000", site_key="alpha", email=f"p{n}@example.org", lang="fr",
                        status="pending", created_at=time.time(), confirmed_at=None, consent_at=time.time(),
                        consent_version="v1", answers={"name": f"Zoë {n}", "organization": "École"})
        store.create_signon(signon, Mail(to=signon.email, subject="Confirm", text="t", html="h"))
        if n % 2:
            store.confirm_signon(signon.id)
    store.widget_seen("alpha", "https://school.example", time.time())
    store.record_digest("alpha@example.org", "2026-01-01", Mail(to="alpha@example.org", subject="D", text="t", html="h"))
    store.use_host_login(store.create_host_login("beta@example.org"))
    store.start_host_session("beta@example.org")
    store.rotate_key("Beta", 3600)
    # The count log got an entry per confirmation above; and one signed checkpoint of it.
    store.add_checkpoint(sign(read_key("A" * 43), "4p1000", *store.count_log_head("4p1000"), time.time()), time.time())
    store.close()
    return url


def copy(source: str, target: str, *options: str):
    return CliRunner().invoke(pledge, ["db", "copy", "--from", source, "--to", target, *options])


def rows(url: str, table: str) -> list[dict]:
    """Every row of a table, as ``{column: value}``, in an order of Python's (the same for both engines)."""
    store = open_store(url)
    try:
        with store.read() as db:
            cursor = db.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            found = cursor.fetchall()
    finally:
        store.close()
    return sorted((dict(zip(names, row)) for row in found), key=repr)


def assert_same(source: str, target: str) -> None:
    for table in TABLES:
        assert rows(source, table) == rows(target, table), table


@pytest.mark.slow
def test_100000_signons_move_from_sqlite_to_postgresql(big_source, postgres_url):
    result = copy(big_source, postgres_url)
    print(result.output)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"signons: {SIGNONS} rows copied" in result.output
    assert any(line.split() == ["signons", str(SIGNONS), str(SIGNONS)] for line in lines)
    assert any(line.split() == ["outbox", "300", "300"] for line in lines)
    sample = next(line for line in lines if line.startswith("sample:"))
    # 100 of each large table, every row of a smaller one.
    assert sample == "sample: 259 rows compared field by field, 0 mismatches"

    # My own comparison, not the command's: a few sign-ons, read field by field from each side.
    source, target = open_store(big_source), open_store(postgres_url)
    ids = [row[0] for row in source.query("SELECT id FROM signons ORDER BY RANDOM() LIMIT 20")]
    for signon_id in ids + ["00000000Ab_é"]:
        assert source.get_signon(signon_id) == target.get_signon(signon_id) is not None
    assert target.query("SELECT COUNT(DISTINCT id) FROM signons") == [(SIGNONS,)]
    # The service works on the copy: counters match the rows, and new mail is numbered after the copied ids.
    assert target.recount() == [] and target.all_counts() == source.all_counts()
    assert target.counts("4p1000", "alpha") == source.counts("4p1000", "alpha") != (0, 0)
    target.enqueue_mail(Mail(to="new@example.org", subject="s", text="t", html="h"))
    assert target.query("SELECT MAX(id) FROM outbox") == [(3 * 299 + 2,)]
    assert target.query("SELECT to_regclass('copy_progress')") == [(None,)]  # gone once verified
    source.close()
    target.close()


@pytest.mark.slow
def test_a_copy_killed_half_way_resumes_where_it_stopped(big_source, postgres_url, tmp_path):
    import psycopg

    command = [sys.executable, "-c", "from widget.console import main; main()", "db", "copy",
               "--from", big_source, "--to", postgres_url, "--batch", "2000"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    copied = 0
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        deadline = time.monotonic() + 60
        while copied < SIGNONS // 2:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the copy did not get half-way"
            if conn.execute("SELECT to_regclass('signons')").fetchone()[0]:
                copied = conn.execute("SELECT COUNT(*) FROM signons").fetchone()[0]
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        copied = conn.execute("SELECT COUNT(*) FROM signons").fetchone()[0]
    assert SIGNONS // 2 <= copied < SIGNONS

    again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    print(again.stdout)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.startswith("resuming the interrupted copy")
    assert "sites: 10 rows, copied before the interruption" in again.stdout
    assert f"signons: {SIGNONS - copied} rows copied (and {copied} before the interruption)" in again.stdout
    assert " 0 mismatches" in again.stdout
    # The same as an uninterrupted copy: every row once, every field equal.
    target = open_store(postgres_url)
    assert target.query("SELECT COUNT(*), COUNT(DISTINCT id) FROM signons") == [(SIGNONS, SIGNONS)]
    target.close()
    assert_same(big_source, postgres_url)


def test_a_target_with_rows_is_refused_unless_forced(small_source, database_url):
    target = open_store(database_url)
    target.migrate()
    target.add_site("Mine", ["https://mine.example"], "me@example.org", "4p1000", key="mine")
    before = {table: rows(database_url, table) for table in TABLES}

    refused = copy(small_source, database_url)
    assert refused.exit_code == 1
    assert "is not empty (1 sites, 1 hosts)" in refused.output and "--force" in refused.output
    assert {table: rows(database_url, table) for table in TABLES} == before
    assert target.query("SELECT COUNT(*) FROM sites") == [(1,)]

    forced = copy(small_source, database_url, "--force")
    assert forced.exit_code == 0, forced.output
    assert target.get_site("mine") is None
    assert_same(small_source, database_url)
    assert target.recount() == []
    target.close()


@pytest.fixture
def other_postgres_url(postgres_url):
    """A second empty PostgreSQL database: a schema beside the first one's, dropped after the test."""
    import psycopg

    first = re.search(r"search_path%3D(\w+)", postgres_url).group(1)
    schema = first + "_other"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield postgres_url.replace(f"search_path%3D{first}", f"search_path%3D{schema}")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_sqlite_to_postgresql_to_postgresql_to_sqlite(small_source, postgres_url, other_postgres_url, tmp_path):
    back = f"sqlite:///{tmp_path / 'back.db'}"
    # Two rows a batch: every key (text, composite) is paged through on each engine.
    for source, target in ((small_source, postgres_url), (postgres_url, other_postgres_url), (other_postgres_url, back)):
        result = copy(source, target, "--batch", "2")
        assert result.exit_code == 0, result.output
        assert "signons: 6 rows copied" in result.output and " 0 mismatches" in result.output
    assert_same(small_source, back)
    store = open_store(back)
    assert store.counts("4p1000", "alpha") == (3, 3) and store.recount() == []
    assert store.get_site("Beta") is not None  # through the rotated key's alias
    store.close()


def test_what_cannot_be_copied_is_refused(small_source, tmp_path):
    with pytest.raises(CopyError, match="same database"):
        copy_database(small_source, small_source.replace("small.db", "./small.db"), echo=lambda line: None)
    with pytest.raises(CopyError, match="no SQLite database"):
        copy_database(f"sqlite:///{tmp_path / 'none.db'}", f"sqlite:///{tmp_path / 'b.db'}")
    store = open_store(small_source)
    with store.write() as db:
        db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)")
    store.close()
    with pytest.raises(CopyError, match="version 99, newer than"):
        copy_database(small_source, f"sqlite:///{tmp_path / 'b.db'}")
