"""The SQLite store on a real file: schema, sign-ons, counters and the outbox."""
from __future__ import annotations

import sqlite3
import time

import pytest

from widget.store import Mail, SignOn, open_store
from widget.store.sqlite import MIGRATIONS


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'pledge.db'}")
    store.migrate()
    return store


def signon(id: str, email: str = "a@example.org", site_key: str = "s1", campaign: str = "4p1000") -> SignOn:
    now = time.time()
    return SignOn(id=id, campaign=campaign, site_key=site_key, email=email, lang="fr", status="pending",
                  created_at=now, confirmed_at=None, consent_at=now, consent_version="v1/fr",
                  answers={"name": "Ana", "organization": "Org"})


MAIL = Mail(to="a@example.org", subject="Confirm", text="text", html="<p>html</p>")


def test_schema_version_and_settings(store, tmp_path):
    assert store.schema_version() == len(MIGRATIONS)
    assert store.migrate() == len(MIGRATIONS)  # running again changes nothing
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_sign_on_and_its_mail_are_stored_together(store):
    store.create_signon(signon("x1"), MAIL)
    assert store.get_signon("x1").answers == {"name": "Ana", "organization": "Org"}
    assert store.outbox_stats()["queued"] == 1
    with pytest.raises(sqlite3.IntegrityError):
        store.create_signon(signon("x1"), MAIL)  # the sign-on fails...
    assert store.outbox_stats()["queued"] == 1  # ...and takes its mail with it


def test_confirm_counts_once(store):
    store.create_signon(signon("x1"), MAIL)
    assert store.confirm_signon("x1").status == "confirmed"
    assert store.confirm_signon("x1").status == "already"
    assert store.confirm_signon("nope").status == "unknown"
    assert (store.counts("4p1000", "s1").site, store.counts("4p1000", "s1").total) == (1, 1)
    assert store.recount() == []


def test_an_address_is_counted_once_per_campaign_and_keeps_its_first_site(store):
    store.create_signon(signon("a", site_key="s1"), MAIL)
    store.create_signon(signon("b", site_key="s2"), MAIL)
    store.create_signon(signon("c", site_key="s2", campaign="other"), MAIL)
    assert store.confirm_signon("b").status == "confirmed"
    assert store.confirm_signon("a").status == "already"
    assert store.confirm_signon("c").status == "confirmed"  # another campaign is another pledge
    assert store.counts("4p1000", "s1").site == 0 and store.counts("4p1000", "s2") == (1, 1)
    # Even a writer that bypasses the store cannot confirm the address twice.
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("UPDATE signons SET status = 'confirmed' WHERE id = 'a'")


def test_withdraw_uncounts_and_deletes(store):
    store.create_signon(signon("x1"), MAIL)
    store.confirm_signon("x1")
    assert store.withdraw_signon("x1").id == "x1"
    assert store.get_signon("x1") is None
    assert store.counts("4p1000", "s1") == (0, 0)
    assert store.outbox_stats() == {"queued": 0, "sent": 0, "failed": 0}
    assert store.withdraw_signon("x1") is None


def test_claimed_mail_is_not_handed_out_twice_until_its_lease_ends(store):
    store.enqueue_mail(MAIL)
    [mail] = store.claim_mail(10, lease=60, claimer="a")
    assert store.claim_mail(10, lease=60, claimer="a") == []
    store.db.execute("UPDATE outbox SET claimed_until = 0")  # the sender died; its lease ran out
    [again] = store.claim_mail(10, lease=60, claimer="a")
    assert again.id == mail.id
    store.mark_sent(mail.id)
    assert store.claim_mail(10, lease=60, claimer="a") == []


def test_failed_mail_waits_for_its_retry_time(store):
    store.enqueue_mail(MAIL)
    [mail] = store.claim_mail(10, lease=60, claimer="a")
    store.mark_attempt_failed(mail.id, "connection refused", time.time() + 30)
    assert store.claim_mail(10, lease=60, claimer="a") == []
    store.db.execute("UPDATE outbox SET next_attempt_at = 0")
    [retry] = store.claim_mail(10, lease=60, claimer="a")
    assert retry.attempts == 1
    store.mark_attempt_failed(retry.id, "550 no such user", None)
    store.db.execute("UPDATE outbox SET next_attempt_at = 0")
    assert store.claim_mail(10, lease=60, claimer="a") == []
    assert store.outbox_stats() == {"queued": 0, "sent": 0, "failed": 1}


def test_sites_keep_their_origins(store):
    site = store.add_site("École", ["https://a.example", "https://b.example"], "w@a.example", "4p1000")
    assert store.get_site(site.key).origins == ("https://a.example", "https://b.example")
    assert store.get_site("nope") is None
    assert [s.key for s in store.list_sites()] == [site.key]


def test_unknown_database_url_is_refused():
    with pytest.raises(ValueError, match="PLEDGE_DATABASE"):
        open_store("mysql://x")
