"""E-mail addresses: one spelling per mailbox everywhere (storage, look-ups, limits), old rows included."""
from __future__ import annotations

import pytest

from conftest import deliver, links, path_of, post_sign_on
from test_host import sign_in

from widget import state
from widget.addresses import InvalidAddress, normalise_email
from widget.store import sqlite as sqlite_store
from widget.store.schema import MIGRATIONS


@pytest.mark.parametrize("typed, stored", [
    ("Élise.Maire@Mairie.example", "élise.maire@mairie.example"),
    ("  info@ÉCOLE.fr ", "info@école.fr"),
    ("info@xn--cole-9oa.fr", "info@école.fr"),  # the ASCII form of the same domain
    ("ÖMER@Köy.example", "ömer@köy.example"),
])
def test_one_spelling_per_mailbox(typed, stored):
    assert normalise_email(typed) == stored


def test_what_is_no_address_is_refused():
    with pytest.raises(InvalidAddress):
        normalise_email("a@school.test")


def test_an_owner_registered_with_capitals_and_accents_signs_in(app, runner, inbox):
    result = runner.invoke(args=["pledge", "site", "add", "--name", "Mairie", "--origin", "https://mairie.example",
                                 "--email", "Élise.Maire@Mairie.example"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    sign_in(app, client, inbox, "élise.maire@mairie.example")
    assert "Mairie" in client.get("/host/").get_data(as_text=True)


def test_signing_twice_with_another_spelling_is_one_signature(app, client, site, inbox):
    post_sign_on(client, site.key, "Élise@Example.org")
    deliver(app)
    client.post(path_of(links(inbox.wait_for("élise@example.org")[-1])[0]))
    post_sign_on(client, site.key, "ÉLISE@example.ORG")
    assert state(app).store.counts("4p1000", site.key).site == 1
    rows = state(app).store.query("SELECT email, status FROM signons")
    assert rows == [("élise@example.org", "confirmed")]  # the second: "already signed" mail, no new row


def test_migration_rewrites_stored_addresses_and_loses_nothing(tmp_path):
    """Rows stored by the old code (A-Z lower-cased only) get the one spelling; two confirmed sign-ons
    that turn out to be one mailbox both stay (the second keeps its old spelling)."""
    store = sqlite_store.SQLiteStore(str(tmp_path / "old.db"))
    store.migrate(upto=4)
    with store.write() as db:
        db.execute("DROP TABLE schema_migrations")  # the old code counted migrations in user_version
        db.execute("PRAGMA user_version=4")
        db.execute("INSERT INTO sites VALUES ('k', 'Mairie', 'Élise.maire@mairie.example', '4p1000', '[]', 0)")
        for signon_id, email, status in [("a", "Émile@x.example", "confirmed"), ("b", "émile@x.example", "confirmed"),
                                         ("c", "Zoé@x.example", "pending")]:
            db.execute("INSERT INTO signons (id, campaign, site_key, email, status, created_at) "
                       "VALUES (?, '4p1000', 'k', ?, ?, 0)", [signon_id, email, status])
    assert store.migrate() == len(MIGRATIONS)
    assert [s.key for s in store.sites_of("ÉLISE.MAIRE@mairie.example")] == ["k"]
    emails = dict(store.db.execute("SELECT id, email FROM signons").fetchall())
    assert emails["c"] == "zoé@x.example"
    assert sorted(emails[i] for i in "ab") == ["Émile@x.example", "émile@x.example"]  # both kept
