"""A database made before the public list (at migration 9, with sign-ons) upgrades on both engines:
nothing is lost, the old confirmed sign-ons that consented appear on the list under their public id, the
open data counts them, and ``db copy`` knows every table the new migrations made."""
from __future__ import annotations

import time

from conftest import run_sql

from widget.store import open_store
from widget.store.listing import Filters, public_id
from widget.store.schema import MIGRATIONS, TABLES

CAMPAIGN = "4p1000"
TABLE_NAMES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
}


def rows_of(store) -> dict[str, int]:
    return {table: store.query(f"SELECT COUNT(*) FROM {table}")[0][0]
            for table in ("sites", "signons", "counts", "outbox")}


def test_a_database_at_migration_9_upgrades_with_its_sign_ons_listed(database_url):
    store = open_store(database_url)
    try:
        assert store.migrate(upto=9) == 9
        day = 20_000 * 86400.0  # 2024-10-04, UTC
        run_sql(store, "INSERT INTO sites (key, name, owner_email, campaign, origins, created_at) "
                       "VALUES ('oldsite', 'Old', 'w@old.example', ?, '[\"https://old.example\"]', ?)", [CAMPAIGN, day])
        signons = [  # id, organisation, status, consent, confirmed
            ("a" * 36, "Coopérative Ancienne", "confirmed", day, day + 60),
            ("b" * 36, None, "confirmed", day, day + 120),  # no organisation: counted, never listed
            ("c" * 36, "Pending Org", "pending", day, None),
        ]
        for signon_id, organization, status, consent, confirmed in signons:
            run_sql(store, "INSERT INTO signons (id, campaign, site_key, email, organization, org_type, country, "
                           "lang, status, created_at, confirmed_at, consent_at, consent_version) "
                           "VALUES (?, ?, 'oldsite', ?, ?, 'company', 'FR', 'fr', ?, ?, ?, ?, '1')",
                    [signon_id, CAMPAIGN, f"{signon_id[0]}@old.example", organization, status, day, confirmed, consent])
        run_sql(store, "INSERT INTO counts (campaign, site_key, confirmed) VALUES (?, 'oldsite', 2), (?, '', 2)",
                [CAMPAIGN, CAMPAIGN])
        before = rows_of(store)

        assert store.migrate() == len(MIGRATIONS) == 21
        assert rows_of(store) == before
        entries, _next = store.list_entries(Filters(campaign=CAMPAIGN), "post")
        assert [(e.id, e.organization) for e in entries] == [(public_id("a" * 36), "Coopérative Ancienne")]
        assert store.count_entries(Filters(campaign=CAMPAIGN, q="ancienne"), "post") == 1
        assert store.counts(CAMPAIGN, "oldsite").site == 2
        assert store.campaign_breakdown(CAMPAIGN) == {"by_country": {"FR": 2}, "by_org_type": {"company": 2}}
        assert store.daily_confirmed(CAMPAIGN, "oldsite") == [(time.strftime("%Y-%m-%d", time.gmtime(day)), 2)]

        # db copy copies TABLES: every table the migrations made must be there.
        made = {row[0] for row in store.query(TABLE_NAMES[store.engine])} - {"schema_migrations"}
        assert made == set(TABLES)
    finally:
        store.close()
