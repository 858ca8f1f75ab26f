"""The store contract, on both engines: a real SQLite file and the real PostgreSQL server.

Every test here runs twice (``database_url`` is SQLite, then PostgreSQL in a schema of its own). The
concurrent ones use threads with their own connections, so on PostgreSQL they really race: the limits,
the single confirmation, the mail claims and the migrations must hold there without SQLite's single lock.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import run_sql

from widget.store import Limits, Mail, SignOn, open_store
from widget.store.schema import MIGRATIONS


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    store.migrate()
    yield store
    store.close()


def signon(id: str, email: str = "a@example.org", site_key: str = "s1", campaign: str = "4p1000") -> SignOn:
    now = time.time()
    return SignOn(id=id, campaign=campaign, site_key=site_key, email=email, lang="fr", status="pending",
                  created_at=now, confirmed_at=None, consent_at=now, consent_version="v1/fr",
                  answers={"name": "Ana", "organization": "Org"})


MAIL = Mail(to="a@example.org", subject="Confirm", text="text", html="<p>html</p>")


def together(count: int, work) -> list:
    """Run ``work(n)`` for n in range(count) on as many threads, released at the same moment."""
    start = threading.Barrier(count)

    def run(n):
        start.wait()
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_schema_version_and_its_record(store):
    assert store.schema_version() == len(MIGRATIONS)
    assert store.migrate() == len(MIGRATIONS)  # running again changes nothing
    recorded = [row[0] for row in store.query("SELECT version FROM schema_migrations ORDER BY version")]
    assert recorded == list(range(1, len(MIGRATIONS) + 1))


def test_nodes_starting_at_once_migrate_one_after_the_other(database_url):
    """Eight stores (eight nodes' connections) migrate one empty database at the same moment."""
    stores = [open_store(database_url) for _ in range(8)]
    try:
        versions = together(8, lambda n: stores[n].migrate())
        assert versions == [len(MIGRATIONS)] * 8
        assert stores[0].query("SELECT COUNT(*) FROM schema_migrations") == [(len(MIGRATIONS),)]
    finally:
        for s in stores:
            s.close()


def test_sign_on_and_its_mail_are_stored_together(store):
    store.create_signon(signon("x1"), MAIL)
    assert store.get_signon("x1").answers == {"name": "Ana", "organization": "Org"}
    assert store.outbox_stats()["queued"] == 1
    with pytest.raises(store.IntegrityError):
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
    with pytest.raises(store.IntegrityError):
        run_sql(store, "UPDATE signons SET status = 'confirmed' WHERE id = 'a'")


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
    assert store.claim_mail(10, lease=60, claimer="b") == []
    run_sql(store, "UPDATE outbox SET claimed_until = 0")  # the sender died; its lease ran out
    [again] = store.claim_mail(10, lease=60, claimer="b")
    assert again.id == mail.id
    assert not store.renew_claim(mail.id, "a", 60)  # the first sender, back to life, must not send it
    store.mark_sent(mail.id)
    assert store.claim_mail(10, lease=60, claimer="a") == []


def test_failed_mail_waits_for_its_retry_time(store):
    store.enqueue_mail(Mail(to="a@example.org", subject="S", text="t", html="h", headers={"List-Id": "x"}))
    [mail] = store.claim_mail(10, lease=60, claimer="a")
    assert mail.headers == {"List-Id": "x"}
    store.mark_attempt_failed(mail.id, "connection refused", time.time() + 30)
    assert store.claim_mail(10, lease=60, claimer="a") == []
    run_sql(store, "UPDATE outbox SET next_attempt_at = 0")
    [retry] = store.claim_mail(10, lease=60, claimer="a")
    assert retry.attempts == 1
    store.mark_attempt_failed(retry.id, "550 no such user", None)
    run_sql(store, "UPDATE outbox SET next_attempt_at = 0")
    assert store.claim_mail(10, lease=60, claimer="a") == []
    assert store.outbox_stats() == {"queued": 0, "sent": 0, "failed": 1}
    assert [row["last_error"] for row in store.failed_mail()] == ["550 no such user"]
    assert store.retry_failed_mail() == 1
    assert [m.id for m in store.claim_mail(10, lease=60, claimer="a")] == [mail.id]


def test_sites_keep_their_origins_and_move_with_a_new_key(store):
    site = store.add_site("École", ["https://a.example", "https://b.example"], "W@a.example", "4p1000")
    assert store.get_site(site.key).origins == ("https://a.example", "https://b.example")
    assert store.get_site("nope") is None
    assert [s.key for s in store.list_sites()] == [site.key]
    assert store.get_host("w@a.example") is not None  # the owner became a host
    store.create_signon(signon("x1", site_key=site.key), MAIL)
    store.confirm_signon("x1")
    rotated = store.rotate_key(site.key, grace_seconds=60)
    assert store.get_site(site.key).key == rotated.key  # the old key works during its grace period
    assert store.counts("4p1000", rotated.key) == (1, 1) and store.recount() == []
    assert store.update_site(rotated.key, name="École 2", lang="fr").name == "École 2"
    assert store.remove_site(rotated.key) and store.get_site(rotated.key) is None


def test_day_by_day_figures_and_every_confirmed_sign_on(store):
    for n in range(25):
        store.create_signon(signon(f"x{n:02d}", email=f"p{n}@example.org"), MAIL)
        store.confirm_signon(f"x{n:02d}")
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert store.breakdown("s1")["by_day"] == [(day, 25)]
    assert [s.id for s in store.confirmed_signons(batch=7)] == [f"x{n:02d}" for n in range(25)]
    assert [s.id for s in store.latest_signons("s1", limit=2)] == ["x24", "x23"]


def test_widget_seen_keeps_the_latest_time(store):
    store.widget_seen("s1", "https://a.example", 200.0)
    store.widget_seen("s1", "https://a.example", 100.0)
    assert store.last_seen("s1") == {"https://a.example": 200.0}


# -- races: what SQLite's single lock gave for free must hold on PostgreSQL too -------------------


def test_two_clicks_and_two_links_of_one_address_at_once_count_once(store):
    for n in range(4):
        store.create_signon(signon(f"x{n}", site_key=f"s{n}"), MAIL)  # one address, four links
    results = together(16, lambda n: store.confirm_signon(f"x{n % 4}").status)
    assert Counter(results) == {"confirmed": 1, "already": 15}
    assert store.counts("4p1000", "s0").total == 1 and store.recount() == []


def test_limits_are_exact_when_many_sign_ons_arrive_at_once(store):
    limits = Limits(per_email_per_day=3, per_site_per_hour=10, per_ip_per_day=None)
    by_address = together(12, lambda n: store.create_signon(signon(f"e{n}", site_key="quiet"), MAIL, limits))
    assert Counter(by_address) == {"pending": 3, "held": 9}
    by_site = together(16, lambda n: store.create_signon(signon(f"s{n}", email=f"p{n}@example.org", site_key="busy"),
                                                         MAIL, limits))
    assert Counter(by_site) == {"pending": 10, "held": 6}
    assert {s.held_reason for s in store.held_signons()} == {"email_per_day", "site_per_hour"}


def test_senders_on_many_nodes_claim_each_mail_once(store):
    for n in range(120):
        store.enqueue_mail(Mail(to=f"p{n}@example.org", subject="S", text="t", html="h"))

    def sender(n: int) -> list[int]:
        taken = []
        while batch := store.claim_mail(7, lease=60, claimer=f"node{n}"):
            for mail in batch:
                assert store.renew_claim(mail.id, f"node{n}", 60)
                store.mark_sent(mail.id)
                taken.append(mail.id)
        return taken

    claimed = [mail_id for taken in together(6, sender) for mail_id in taken]
    assert len(claimed) == 120 and len(set(claimed)) == 120
    assert store.outbox_stats() == {"queued": 0, "sent": 120, "failed": 0}


def test_a_milestone_and_a_digest_are_queued_once_by_racing_senders(store):
    for n in range(10):
        store.create_signon(signon(f"x{n}", email=f"p{n}@example.org"), MAIL)
        store.confirm_signon(f"x{n}")
    run_sql(store, "DELETE FROM outbox")
    mail = Mail(to="host@example.org", subject="10!", text="t", html="h")
    milestones = together(8, lambda n: store.record_milestones("4p1000", "s1", [10, 100], lambda t, c: mail))
    digests = together(8, lambda n: store.record_digest("host@example.org", "2026-11-25", mail))
    assert Counter(milestones) == {10: 1, None: 7}
    assert sorted(digests) == [False] * 7 + [True]
    assert store.outbox_stats()["queued"] == 2


def test_a_sign_in_link_works_once_even_clicked_twice_at_once(store):
    login = store.create_host_login("host@example.org")
    assert Counter(together(6, lambda n: store.use_host_login(login))) == {"host@example.org": 1, None: 5}


def test_paper_approval_racing_a_confirmation_of_the_same_address_counts_once(store):
    now = time.time()
    store.create_signon(signon("web", email="same@example.org"), MAIL)
    store.add_paper_signons([SignOn(id="paper", campaign="4p1000", site_key="s1", email="same@example.org", lang="fr",
                                    status="paper", created_at=now, confirmed_at=None, consent_at=now,
                                    consent_version="v1/fr", source="paper")])
    results = together(2, lambda n: store.confirm_signon("web").status if n else store.approve_paper(["paper"])["paper"])
    assert sorted(results) in (["already", "confirmed"], ["already", "approved"])
    assert store.counts("4p1000", "s1") == (1, 1) and store.recount() == []


def test_fixing_drifted_counters_while_people_confirm_loses_no_confirmation(store):
    for n in range(12):
        store.create_signon(signon(f"x{n}", email=f"p{n}@example.org"), MAIL)
    store.confirm_signon("x0")
    run_sql(store, "UPDATE counts SET confirmed = 99")  # drift, e.g. a restore from an old back-up
    together(16, lambda n: store.confirm_signon(f"x{n}") if n < 12 else store.fix_counts())
    # Whatever the order, a fix never overwrites a confirmation it did not see: the counters add up.
    assert store.recount() == [] and store.counts("4p1000", "s1") == (12, 12)


# -- engine specifics ---------------------------------------------------------------------------


def test_sqlite_settings(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'pledge.db'}")
    store.migrate()
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_postgresql_keeps_timestamps_to_the_microsecond(postgres_url):
    store = open_store(postgres_url)
    store.migrate()
    site = store.add_site("École", [], "w@a.example", "4p1000")
    assert store.get_site(site.key).created_at == site.created_at  # DOUBLE PRECISION, not REAL
    store.close()


def test_unknown_database_url_is_refused():
    with pytest.raises(ValueError, match="PLEDGE_DATABASE"):
        open_store("mysql://x")


def test_recount_while_people_confirm_never_reports_drift_that_is_not_there(store):
    for n in range(40):
        store.create_signon(signon(f"r{n}", email=f"r{n}@example.org"), MAIL)
    reports = together(8, lambda n: [store.confirm_signon(f"r{k}") for k in range(n, 40, 4)] if n < 4
                       else [store.recount() for _ in range(15)])
    assert [report for batch in reports[4:] for report in batch if report] == []
