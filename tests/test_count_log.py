"""The count log: an append-only, hash-chained entry per count change, written with the count (both engines);
signed checkpoints; its public JSON; recount; and `log verify` against a live service on loopback."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import ServerThread, deliver, links, path_of, post_sign_on, run_sql
from test_store import store, together  # noqa: F401  (fixture: a migrated store on each engine)

import widget
from widget import state
from widget.checkpoints import CHECKPOINT_EVERY, sign_checkpoint, sign_due
from widget.ledger import (ZERO, Checkpoint, LogKeyError, entry_hash, load_key, read_key, sign, signature_holds)
from widget.log_check import LogCheckError, campaign_url
from widget.store import Mail, SignOn, open_store
from widget.store.listing import public_id
from widget.store.schema import MIGRATIONS

pytestmark = pytest.mark.both_engines

KEY = "Zm9yIHRlc3RzIG9ubHk6IDMyIGJ5dGVzIG9mIGtleSE="  # base64 of 32 bytes


def signon(id: str, email: str, campaign: str = "4p1000", site_key: str = "s1") -> SignOn:
    now = time.time()
    return SignOn(id=id, campaign=campaign, site_key=site_key, email=email, lang="en", status="pending",
                  created_at=now, confirmed_at=None, consent_at=now, consent_version="1/en",
                  answers={"name": "Ana", "organization": "Org"})


def confirmed(store, id: str, email: str, campaign: str = "4p1000") -> None:
    store.create_signon(signon(id, email, campaign), Mail(to=email, subject="s", text="t", html="h"))
    assert store.confirm_signon(id).status == "confirmed"


def replay(entries, campaign: str = "4p1000") -> int:
    """Check the chain of ``entries`` (oldest first, from 1); return the log's total."""
    previous, total = ZERO, 0
    for n, entry in enumerate(entries, 1):
        assert entry.seq == n
        assert entry.hash == entry_hash(campaign, n, entry.public_id, entry.event, entry.at, previous)
        previous, total = entry.hash, total + (1 if entry.event in ("confirmed", "restored") else -1)
    return total


def test_each_count_change_appends_a_chained_entry_in_its_transaction(store):
    confirmed(store, "s-1", "a@example.org")
    confirmed(store, "s-2", "b@example.org")
    confirmed(store, "s-3", "c@example.org", campaign="other")
    assert store.confirm_signon("s-1").status == "already"  # no count change, no entry
    store.withdraw_signon("s-2")
    # Invalidation and restoration (another workflow) append through the same function, after their count.
    with store.write() as db:
        store._count(db, "4p1000", "s1", confirmed=-1)
        store.append_count_log(db, "4p1000", "invalidated", public_id("s-1"))
    with store.write() as db:
        store._count(db, "4p1000", "s1", confirmed=1)
        store.append_count_log(db, "4p1000", "restored", public_id("s-1"))
    entries = store.count_log_page("4p1000")
    assert [(e.event, e.public_id) for e in entries] == [
        ("confirmed", public_id("s-1")), ("confirmed", public_id("s-2")), ("withdrawn", public_id("s-2")),
        ("invalidated", public_id("s-1")), ("restored", public_id("s-1"))]
    assert replay(entries) == store.counts("4p1000", "s1").total == 1
    assert [e.seq for e in store.count_log_page("4p1000", after=2, limit=2)] == [3, 4]
    assert store.count_log_page("4p1000", after=99) == []
    assert replay(store.count_log_page("other"), "other") == 1  # each campaign has its own chain
    assert store.count_log_head("4p1000") == (5, entries[-1].hash)
    assert store.recount_log() == []
    with pytest.raises(ValueError):
        with store.write() as db:
            store.append_count_log(db, "4p1000", "deleted", "x")
    # A rolled-back count leaves no entry either.
    with pytest.raises(RuntimeError):
        with store.write() as db:
            store._count(db, "4p1000", "s1", confirmed=1)
            store.append_count_log(db, "4p1000", "confirmed", "0" * 16)
            raise RuntimeError("rolled back")
    assert store.count_log_head("4p1000")[0] == 5


def test_confirmations_at_once_each_get_their_own_entry(store):
    for n in range(8):
        store.create_signon(signon(f"r-{n}", f"r{n}@example.org"), Mail(to=f"r{n}@example.org", subject="s", text="t", html="h"))
    results = together(8, lambda n: store.confirm_signon(f"r-{n}").status)
    assert results == ["confirmed"] * 8
    assert replay(store.count_log_page("4p1000")) == 8 == store.counts("4p1000", "s1").total


def test_the_log_starts_with_the_sign_ons_confirmed_before_it(database_url):
    old = open_store(database_url)
    old.migrate(upto=19)  # a database of the version before the log, with confirmed sign-ons of two campaigns
    for n, (campaign, status) in enumerate([("4p1000", "confirmed"), ("4p1000", "pending"), ("4p1000", "confirmed"),
                                            ("other", "confirmed")]):
        run_sql(old, "INSERT INTO signons (id, campaign, site_key, email, status, created_at, confirmed_at, public_id) "
                "VALUES (?, ?, 's1', ?, ?, ?, ?, ?)",
                [f"old-{n}", campaign, f"o{n}@example.org", status, 1000.0 + n, 2000.0 - n, public_id(f"old-{n}")])
    assert old.migrate() == len(MIGRATIONS)
    entries = old.count_log_page("4p1000")
    assert [e.public_id for e in entries] == [public_id("old-2"), public_id("old-0")]  # in the order confirmed
    assert entries[0].at == "1970-01-01T00:33:18Z"
    assert replay(entries) == 2 and replay(old.count_log_page("other"), "other") == 1
    old.close()


def test_checkpoints_are_signed_and_kept(store):
    key = read_key(KEY)
    assert sign_due(store, lambda: key) == []  # no log yet: nothing to sign
    confirmed(store, "s-1", "a@example.org")
    now = time.time()
    [checkpoint] = sign_due(store, lambda: key, now)
    assert (checkpoint.size, checkpoint.root) == store.count_log_head("4p1000")
    assert signature_holds(checkpoint) and store.latest_checkpoint("4p1000") == checkpoint
    assert sign_due(store, lambda: key, now + 60) == []  # once a day
    assert len(sign_due(store, lambda: key, now + CHECKPOINT_EVERY)) == 1

    def no_key():
        raise LogKeyError("none")
    assert sign_due(store, no_key, now + 3 * CHECKPOINT_EVERY) == []  # warned, not signed
    forged = Checkpoint(**{**checkpoint.__dict__, "size": 2})
    assert not signature_holds(forged)
    assert sign_checkpoint(store, key, "4p1000").size == 1


@pytest.mark.sqlite_only
def test_the_key_is_generated_once_into_the_data_folder_or_given(tmp_path):
    first = load_key(None, str(tmp_path), "sqlite:///x.db")
    assert (tmp_path / "log_key").stat().st_mode & 0o777 == 0o600
    again = load_key(None, str(tmp_path), "sqlite:///x.db")
    assert sign(first, "c", 0, ZERO, 0).public_key == sign(again, "c", 0, ZERO, 0).public_key
    given = load_key(KEY, str(tmp_path / "other"), "postgresql://db.invalid/x")
    assert sign(given, "c", 0, ZERO, 0).public_key == sign(read_key(KEY), "c", 0, ZERO, 0).public_key
    with pytest.raises(LogKeyError, match="PLEDGE_LOG_KEY"):
        load_key(None, str(tmp_path / "other"), "postgresql://db.invalid/x")
    with pytest.raises(LogKeyError):
        read_key("too short")


def test_the_public_log_the_thank_you_page_and_the_checkpoint(make_app, inbox):
    app = make_app(PLEDGE_LOG_KEY=KEY)
    client, runner = app.test_client(), app.test_cli_runner()
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    assert client.get("/api/v1/campaigns/4p1000/log").json == {"campaign": "4p1000", "entries": [], "next": None}
    assert client.get("/api/v1/campaigns/4p1000/log/checkpoint").status_code == 404
    post_sign_on(client, site.key, "amina@coop-sols.example")
    deliver(app)
    [confirm_url] = links(inbox.wait_for("amina@coop-sols.example")[0])
    page = client.post(path_of(confirm_url)).get_data(as_text=True)
    [signed] = state(app).store.signons_of("amina@coop-sols.example")
    assert f"Its public id in the count log: {public_id(signed.id)}" in page
    assert signed.id not in page.replace(path_of(confirm_url), "")

    response = client.get("/api/v1/campaigns/4p1000/log")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    [entry] = response.json["entries"]
    assert entry["seq"] == 1 and entry["public_id"] == public_id(signed.id) and entry["event"] == "confirmed"
    assert set(entry) == {"seq", "public_id", "event", "at", "hash"}
    assert client.get("/api/v1/campaigns/4p1000/log?after=1").json["entries"] == []  # past the end: empty
    assert client.get("/api/v1/campaigns/4p1000/log?after=-1").status_code == 400
    assert client.get("/api/v1/campaigns/4p1000/log?after=x").json["error"]
    assert client.get("/api/v1/campaigns/nope/log").status_code == 404

    # The senders' daily housekeeping signs it (with PLEDGE_LOG_KEY), and on demand the command.
    state(app).sender.housekeeping()
    assert state(app).store.latest_checkpoint("4p1000").size == 1
    result = runner.invoke(args=["pledge", "log", "checkpoint", "--json"])
    assert result.exit_code == 0, result.output
    checkpoint = client.get("/api/v1/campaigns/4p1000/log/checkpoint")
    assert checkpoint.headers["Access-Control-Allow-Origin"] == "*"
    body = checkpoint.json
    assert body["size"] == 1 and body["root"] == entry["hash"] and body["algorithm"] == "Ed25519"
    assert signature_holds(Checkpoint(**{k: v for k, v in body.items() if k != "algorithm"}))

    # recount checks the log too: an entry gone is drift (exit 1).
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0
    run_sql(state(app).store, "DELETE FROM count_log WHERE seq = 1")
    result = runner.invoke(args=["pledge", "recount"])
    assert result.exit_code == 1 and "the count log 0" in result.output


def test_log_verify_replays_a_live_service_and_fails_after_a_row_is_changed(make_app):
    app = make_app(PLEDGE_LOG_KEY=KEY)
    runner = app.test_cli_runner()
    store = state(app).store
    for n in range(3):
        confirmed(store, f"v-{n}", f"v{n}@example.org")
    store.withdraw_signon("v-1")
    server = ServerThread(app)
    try:
        url = f"http://127.0.0.1:{server.port}/api/v1/campaigns/4p1000"
        result = runner.invoke(args=["pledge", "log", "verify", url])
        assert result.exit_code == 0, result.output
        assert "4 entries, total 2" in result.output and "no checkpoint" in result.output
        unknown = runner.invoke(args=["pledge", "log", "verify", url.replace("4p1000", "nope")])
        assert unknown.exit_code == 2 and "cannot check the log: no count at" in unknown.output
        assert runner.invoke(args=["pledge", "log", "checkpoint"]).exit_code == 0
        confirmed(store, "v-9", "v9@example.org")  # the log grew after its checkpoint: still holds
        result = runner.invoke(args=["pledge", "log", "verify", url + "/log", "--json"])
        assert result.exit_code == 0, result.output
        assert '"size": 5' in result.output and '"checkpoint": {' in result.output

        # One row of the log changed in the database: the entry is named.
        run_sql(store, "UPDATE count_log SET event = 'confirmed' WHERE seq = 4")  # the withdrawal
        result = runner.invoke(args=["pledge", "log", "verify", url])
        assert result.exit_code == 1
        assert "entry 4: its hash does not match" in result.output
        # The chain rewritten from there on: the signed checkpoint's root tells.
        entries = store.count_log_page("4p1000")
        previous = entries[2].hash
        for entry in entries[3:]:
            digest = entry_hash("4p1000", entry.seq, entry.public_id, entry.event, entry.at, previous)
            run_sql(store, "UPDATE count_log SET hash = ? WHERE campaign = '4p1000' AND seq = ?", [digest, entry.seq])
            previous = digest
        run_sql(store, "UPDATE counts SET confirmed = 5 WHERE campaign = '4p1000' AND site_key = ''")
        result = runner.invoke(args=["pledge", "log", "verify", url])
        assert result.exit_code == 1 and "entry 4: its hash is not the signed checkpoint's root" in result.output
    finally:
        server.stop()


@pytest.mark.sqlite_only
def test_verify_refuses_what_is_no_campaign_api():
    with pytest.raises(LogCheckError):
        campaign_url("ftp://example.org/api/v1/campaigns/x")
    with pytest.raises(LogCheckError):
        campaign_url("https://example.org/elsewhere")
    assert campaign_url("https://pledge.example.org/p/api/v1/campaigns/4p1000/log/checkpoint?x=1") == \
        "https://pledge.example.org/p/api/v1/campaigns/4p1000"


@pytest.mark.sqlite_only
def test_the_code_never_changes_nor_deletes_an_entry():
    sources = "\n".join(path.read_text(encoding="utf-8") for path in Path(widget.__file__).parent.rglob("*.py"))
    for table in ("count_log", "count_log_checkpoints"):
        assert f"UPDATE {table}" not in sources and f"DELETE FROM {table}" not in sources
