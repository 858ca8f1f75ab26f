"""One mailbox, one signature: ``a+1@``, ``a+2@`` and ``a@`` are one inbox, and so are ``J.Doe@gmail.com``
and ``jdoe@googlemail.com``. Signing once, every per-address limit and mail cap count mailboxes; the
address a person typed is the one written to. Databases from before upgrade on both engines."""
from __future__ import annotations

import json

import pytest

from conftest import deliver, links, path_of, post_sign_on, run_sql
from test_host import ask_for_link

from widget import state
from widget.addresses import mailbox
from widget.store import open_store
from widget.store.schema import MIGRATIONS

pytestmark = pytest.mark.both_engines

CAMPAIGN = "4p1000"


@pytest.mark.parametrize("typed, box", [
    ("bomb+1@example.org", "bomb@example.org"),
    ("Bomb+Tag+More@Example.org", "bomb@example.org"),
    ("a.b@example.org", "a.b@example.org"),  # dots matter at most providers
    ("J.Doe+x@gmail.com", "jdoe@gmail.com"),
    ("jdoe@googlemail.com", "jdoe@gmail.com"),
    ("j.d.o.e@GoogleMail.com", "jdoe@gmail.com"),
    ("Élise+mairie@École.example", "élise@école.example"),
    ("+news@example.org", "+news@example.org"),  # nothing before the tag: the tag is the name
])
def test_the_mailbox_of_an_address(typed, box):
    assert mailbox(typed) == box


def mails_to(inbox, box: str) -> list:
    with inbox.lock:
        return [m for m in inbox.messages if mailbox(m["To"]) == box]


def test_tagged_addresses_get_no_more_mails_than_one_address(make_app, inbox):
    app = make_app(PLEDGE_LIMIT_EMAIL_PER_DAY=0)  # no sign-on held: the mail cap alone
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", CAMPAIGN)
    for n in range(1, 9):
        post_sign_on(app.test_client(), site.key, f"bomb+{n}@example.org")
    deliver(app)
    assert len(mails_to(inbox, "bomb@example.org")) == app.config["PLEDGE_MAILS_PER_ADDRESS_PER_DAY"] == 5
    # Each mail went to the address as typed.
    assert {m["To"] for m in mails_to(inbox, "bomb@example.org")} == {f"bomb+{n}@example.org" for n in range(1, 6)}


def test_tagged_addresses_are_held_as_one_address(app, site, inbox):
    for n in range(1, 9):
        post_sign_on(app.test_client(), site.key, f"bomb+{n}@example.org")
    statuses = dict(state(app).store.query("SELECT status, COUNT(*) FROM signons GROUP BY status"))
    assert statuses == {"pending": 3, "held": 5}  # PLEDGE_LIMIT_EMAIL_PER_DAY = 3, per mailbox
    deliver(app)
    assert len(mails_to(inbox, "bomb@example.org")) == 3


def sign_and_confirm(app, site, inbox, address: str) -> None:
    post_sign_on(app.test_client(), site.key, address)
    deliver(app)
    app.test_client().post(path_of(links(inbox.wait_for(address)[-1])[0]))


def test_one_mailbox_signs_once_whatever_its_spelling(app, site, inbox):
    store = state(app).store
    sign_and_confirm(app, site, inbox, "a+1@example.org")
    assert store.counts(CAMPAIGN, site.key).site == 1
    for again in ("a+2@example.org", "a@example.org"):
        post_sign_on(app.test_client(), site.key, again)
        deliver(app)
        [mail] = inbox.wait_for(again)  # written to as typed: "you have signed already", no new link
        assert not links(mail) and links(mail, "withdraw")
    assert store.counts(CAMPAIGN, site.key) == (1, 1)
    assert store.query("SELECT email, status FROM signons") == [("a+1@example.org", "confirmed")]
    assert store.is_signed(CAMPAIGN, "A+3@Example.org")


def test_two_pending_spellings_of_one_mailbox_confirm_once(app, site, inbox):
    store = state(app).store
    other = store.add_site("Other", ["https://other.example"], "o@other.example", CAMPAIGN)
    post_sign_on(app.test_client(), site.key, "J.Doe+x@gmail.com")
    post_sign_on(app.test_client(), other.key, "jdoe@googlemail.com")
    deliver(app)
    for address in ("j.doe+x@gmail.com", "jdoe@googlemail.com"):  # as typed, case normalised
        app.test_client().post(path_of(links(inbox.wait_for(address)[-1])[0]))
    assert store.counts(CAMPAIGN, site.key) == (1, 1)  # the first confirmed keeps its site
    assert store.counts(CAMPAIGN, other.key).site == 0
    assert store.query("SELECT email FROM signons WHERE status = 'confirmed'") == [("j.doe+x@gmail.com",)]
    assert store.recount() == []


def test_the_database_refuses_a_second_confirmed_sign_on_of_a_mailbox(app, site):
    store = state(app).store
    insert = ("INSERT INTO signons (id, campaign, site_key, email, mailbox, status, created_at) "
              "VALUES (?, ?, ?, ?, ?, 'confirmed', 0)")
    run_sql(store, insert, ["one", CAMPAIGN, site.key, "a+1@example.org", "a@example.org"])
    with pytest.raises(store.IntegrityError):
        run_sql(store, insert, ["two", CAMPAIGN, site.key, "a+2@example.org", "a@example.org"])


def test_host_sign_in_links_are_capped_per_mailbox(make_app, inbox):
    app = make_app(PLEDGE_RATELIMIT_ENABLED=False)
    client = app.test_client()
    for n in range(1, 9):
        ask_for_link(client, f"host+{n}@example.org")
    deliver(app)
    assert len(mails_to(inbox, "host@example.org")) == app.config["PLEDGE_HOST_LINKS_PER_HOUR"] == 5


@pytest.mark.sqlite_only
def test_a_sign_on_reads_the_mailbox_rules_from_indexes(tmp_path):
    """The mailbox rule adds no query to a sign-on: "signed already", the limits and the mail cap are each
    one range of an index on the mailbox."""
    from widget.store import Limits, Mail, SignOn

    store = open_store(f"sqlite:///{tmp_path}/plans.db")
    store.migrate()
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        assert store.find_confirmed(CAMPAIGN, "a+1@example.org") is None
        signon = SignOn("s1", CAMPAIGN, "k", "a+1@example.org", "en", "pending", 1.0, None, 1.0, "1")
        limits = Limits(per_email_per_day=3, mails_per_address_per_day=5)
        store.create_signon(signon, Mail("a+1@example.org", "s", "t", "h"), limits=limits)
    finally:
        store.db.conn.set_trace_callback(None)
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    # Signed already? (with, once a minute, whether sign-ons were erased since: their mailboxes are hashed); the
    # address's sign-ons today; its mails today; whether its mailbox bounced.
    assert len(reads) == 5, reads
    for sql in reads:
        plan = " ".join(str(row[-1]) for row in store.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "mailbox" in sql and "INDEX" in plan and "SCAN" not in plan, (sql, plan)
    store.close()


def test_a_database_from_before_counts_each_mailbox_once(database_url, tmp_path):
    store = open_store(database_url)
    try:
        store.migrate(upto=12)
        for key in ("first", "second"):
            run_sql(store, "INSERT INTO sites (key, name, owner_email, campaign, origins, created_at) "
                           "VALUES (?, ?, 'w@old.example', ?, '[]', 0)", [key, key.title(), CAMPAIGN])
        signons = [  # id, site, address, status, source, confirmed at
            ("s1", "first", "a@example.org", "confirmed", "web", 10.0),
            ("s2", "second", "a+1@example.org", "confirmed", "web", 20.0),  # the same mailbox, later
            ("s3", "second", "j.doe@gmail.com", "confirmed", "web", 30.0),
            ("s4", "first", "jdoe+x@googlemail.com", "confirmed", "paper", 40.0),
            ("s5", "first", "a+2@example.org", "pending", "web", None),
            ("s6", "second", "other@example.org", "confirmed", "web", 50.0),
        ]
        for signon_id, site_key, address, status, source, confirmed_at in signons:
            run_sql(store, "INSERT INTO signons (id, campaign, site_key, email, organization, status, source, "
                           "created_at, confirmed_at, consent_at, consent_version, public_id) "
                           "VALUES (?, ?, ?, ?, 'Org', ?, ?, 0, ?, 0, '1', ?)",
                    [signon_id, CAMPAIGN, site_key, address, status, source, confirmed_at, "p" + signon_id])
        for site_key, confirmed, paper in (("first", 2, 1), ("second", 3, 0), ("", 5, 1)):
            run_sql(store, "INSERT INTO counts (campaign, site_key, confirmed, paper) VALUES (?, ?, ?, ?)",
                    [CAMPAIGN, site_key, confirmed, paper])
        for n in range(3):
            run_sql(store, "INSERT INTO outbox (to_addr, subject, text_body, html_body, created_at, attempts, "
                           "next_attempt_at) VALUES (?, 's', 't', 'h', ?, 0, 0)", [f"a+{n}@example.org", 9e9])
        run_sql(store, "INSERT INTO host_logins (id, email, created_at) VALUES ('l1', 'h+1@example.org', 9e9)")

        assert store.migrate() == len(MIGRATIONS)

        statuses = dict(store.query("SELECT id, status FROM signons"))
        assert statuses == {"s1": "confirmed", "s2": "duplicate", "s3": "confirmed", "s4": "duplicate",
                            "s5": "pending", "s6": "confirmed"}
        # Every row stays as it was, its address as typed; the second of a mailbox counts in nothing.
        assert store.get_signon("s2").email == "a+1@example.org" and store.get_signon("s4").site_key == "first"
        assert store.counts(CAMPAIGN, "first") == (1, 3) and store.counts(CAMPAIGN, "second").site == 2
        assert store.paper_counts(CAMPAIGN, "first") == (0, 0)
        assert store.recount() == [] and store.duplicates() == [(CAMPAIGN, 2)]
        # The old rows count in the rules: the mailbox signed, its mails today, its host links.
        assert store.is_signed(CAMPAIGN, "a+9@example.org") and store.is_signed(CAMPAIGN, "JDoe@gmail.com")
        assert store.query("SELECT COUNT(*) FROM outbox WHERE mailbox = 'a@example.org'") == [(3,)]
        assert store.recent_host_logins("h@example.org", 10 ** 10) == 1
        with pytest.raises(store.IntegrityError):
            run_sql(store, "UPDATE signons SET status = 'confirmed' WHERE id = 's2'")
    finally:
        store.close()


def test_recount_says_which_sign_ons_count_once(make_app, tmp_path):
    app = make_app()
    store = state(app).store
    site = store.add_site("S", ["https://s.example"], "o@s.example", CAMPAIGN)
    run_sql(store, "INSERT INTO signons (id, campaign, site_key, email, mailbox, status, created_at) "
                   "VALUES ('d', ?, ?, 'a+1@example.org', 'a@example.org', 'duplicate', 0)", [CAMPAIGN, site.key])
    result = app.test_cli_runner().invoke(args=["pledge", "recount", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert "1 sign-on(s) confirmed by a mailbox that had signed already" in result.stderr


def test_a_paper_file_with_two_spellings_of_one_mailbox_names_the_second(app):
    from widget.paper import read_csv

    header = "name,email,organization,org_type,country,goal,actions,timetable"
    rows = [f"Ana,{address},Org,company,FR,Goal,Acts,2030" for address in ("ana+paper@example.org", "Ana@Example.org")]
    with app.test_request_context():
        result = read_csv("\n".join([header, *rows]).encode(), state(app).campaign(CAMPAIGN), "en")
    assert result.errors == ["Row 3, column “email”: This address is on row 2 already."]
