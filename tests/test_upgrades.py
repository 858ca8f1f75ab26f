"""Upgrades keep the data: a database left at each earlier schema level (every migration up to the last
release's, 12) with the rows of that time (a site, confirmed and pending sign-ons, sent and queued mail,
counters) is brought to this version's schema on SQLite and on PostgreSQL, and everything is still there:
the counts, the rows, a pending sign-on that can still be confirmed, queued mail that still goes out."""
from __future__ import annotations

import json
import time

import pytest

from widget.store import open_store
from widget.store.listing import listing_columns
from widget.store.schema import MIGRATIONS

#: The schema of the last release (0.1.0); every level up to it is a version someone may upgrade from.
LAST_RELEASE = 12
NOW = time.time() - 86400

SIGNONS = [  # (id, address, status): two confirmed (one with a +tag), one waiting for its link
    ("s-confirmed-1", "amina@coop.example", "confirmed"),
    ("s-confirmed-2", "Jean.Martin+pledge@Mairie.example", "confirmed"),
    ("s-pending-1", "elise@ferme.example", "pending"),
]


#: The columns of a table (no row: no such table), quicker than the copy's full description.
COLUMNS = {"sqlite": "SELECT name FROM pragma_table_info(?)",
           "postgresql": "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                         "AND table_name = ?"}


def columns(store, table: str) -> list[str]:
    return [row[0] for row in store.query(COLUMNS[store.engine], [table])]


def insert(store, table: str, values: dict) -> None:
    """A row of the time: only the columns the table had at that level."""
    present = set(columns(store, table))
    row = {name: value for name, value in values.items() if name in present}
    with store.write() as db:
        db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def fill(store, level: int) -> None:
    # Addresses as the code of that level stored them: as typed before migration 5, normalised since.
    spelled = (lambda address: address) if level < 5 else str.lower
    insert(store, "sites", {"key": "school", "name": "Lycée Jean Moulin", "owner_email": spelled("Webmaster@Lycee.example"),
                            "campaign": "4p1000", "origins": json.dumps(["https://lycee.example"]),
                            "created_at": NOW, "status": "active", "lang": "fr"})
    for n, (signon_id, address, status) in enumerate(SIGNONS):
        organization = f"Coopérative {n}"
        insert(store, "signons", {
            "id": signon_id, "campaign": "4p1000", "site_key": "school", "email": spelled(address), "name": f"Person {n}",
            "organization": organization, "org_type": "company", "country": "FR", "goal": "Soil carbon",
            "lang": "fr", "status": status, "created_at": NOW + n, "confirmed_at": NOW + n if status == "confirmed"
            else None, "consent_at": NOW + n, "consent_version": "1/fr", "ip_hash": f"ip{n}", "source": "web",
            **listing_columns(signon_id, organization)})
    for site_key in ("school", ""):
        insert(store, "counts", {"campaign": "4p1000", "site_key": site_key, "confirmed": 2, "paper": 0})
    for n, (signon_id, sent_at) in enumerate((("s-confirmed-1", NOW), ("s-pending-1", None))):
        insert(store, "outbox", {"id": n + 1, "signon_id": signon_id, "to_addr": spelled(SIGNONS[n * 2][1]),
                                 "subject": "Please confirm", "text_body": "t", "html_body": "h", "created_at": NOW,
                                 "attempts": 0, "next_attempt_at": NOW, "sent_at": sent_at})
    if columns(store, "audit_log"):
        insert(store, "audit_log", {"at": NOW, "actor": "cli:root", "action": "site.approve", "target": "school",
                                    "before_json": None, "after_json": "{}"})


def rows(store, table: str) -> int:
    return store.query(f"SELECT COUNT(*) FROM {table}")[0][0]


@pytest.mark.parametrize("level", range(1, LAST_RELEASE + 1))
def test_a_database_of_each_earlier_version_upgrades_with_its_data(database_url, level):
    store = open_store(database_url)
    try:
        assert store.migrate(upto=level) == level
        fill(store, level)
        before = {table: rows(store, table) for table in ("sites", "signons", "outbox", "counts")}

        assert store.migrate() == len(MIGRATIONS)  # what the service does when it starts
        assert {table: rows(store, table) for table in before} == before
        assert store.recount() == []
        assert tuple(store.counts("4p1000", "school")) == (2, 2)
        assert store.is_signed("4p1000", "jean.martin@mairie.example")  # the +tag's mailbox is the address's
        assert store.get_site("school").owner_email == "webmaster@lycee.example"
        assert [s.key for s in store.list_sites()] == ["school"]
        assert store.confirm_signon("s-pending-1").status == "confirmed"  # a link mailed before the upgrade
        assert tuple(store.counts("4p1000", "school")) == (3, 3) and store.recount() == []
        [queued] = store.claim_mail(10, 60, "upgrade-test")  # the mail queued before the upgrade goes out
        assert queued.to == "elise@ferme.example"
        if level >= 12:
            assert rows(store, "audit_log") == 1
    finally:
        store.close()
