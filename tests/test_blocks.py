"""Block lists (issue 23): domains (and their subdomains), mailboxes and clients (keyed hashes), each with a
reason, from the CLI and the desk; a blocked sign-on gets the usual answer, is held, never mailed, never counted.
Unparseable domains and IP addresses are refused. The check is one indexed look-up."""
from __future__ import annotations

import json

import pytest

from conftest import deliver, post_sign_on
from test_admin_pages import entries, post, sign_in

from widget import state
from widget.abuse import client_hash
from widget.store import open_store

pytestmark = pytest.mark.both_engines

ADMIN = "boss@example.org"


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_ADMINS=ADMIN)


def block(runner, *args: str):
    return runner.invoke(args=["pledge", "block", "add", *args])


def statuses(app) -> dict[str, tuple[str, str | None]]:
    return {email: (status, reason) for email, status, reason in
            state(app).store.query("SELECT email, status, held_reason FROM signons")}


def test_blocked_sign_ons_are_held_quietly(app, runner, site, inbox):
    assert block(runner, "--domain", "Surge.Example.", "--reason", "bot wave").exit_code == 0
    assert block(runner, "--email", "J.Doe+x@gmail.com", "--reason", "one person, many tags").exit_code == 0
    for address in ("a@surge.example", "b@mail.surge.example", "jdoe@googlemail.com", "ok@other.example"):
        answer = post_sign_on(app.test_client(), site.key, address)
        assert answer.status_code == 200  # the usual "check your inbox"
    deliver(app)
    assert statuses(app) == {"a@surge.example": ("held", "blocked"), "b@mail.surge.example": ("held", "blocked"),
                             "jdoe@googlemail.com": ("held", "blocked"), "ok@other.example": ("pending", None)}
    assert [m["To"] for m in inbox.messages] == ["ok@other.example"]  # the blocked were never mailed
    assert state(app).store.counts("4p1000", site.key) == (0, 0)


def test_a_blocked_client_is_held_and_listed_by_its_hash(app, runner, site, inbox):
    added = block(runner, "--ip", "127.0.0.1", "--reason", "one client, many addresses", "--json")
    assert added.exit_code == 0, added.output
    row = json.loads(added.output)
    assert row["kind"] == "ip" and row["value"] == client_hash(state(app).tokens.keys[0], "127.0.0.1")
    post_sign_on(app.test_client(), site.key, "someone@example.org")
    assert statuses(app) == {"someone@example.org": ("held", "blocked")}
    listed = runner.invoke(args=["pledge", "block", "list", "--json"])
    assert [(b["id"], b["kind"], b["reason"]) for b in json.loads(listed.output)] == [
        (row["id"], "ip", "one client, many addresses")]
    # The held list says why.
    held = runner.invoke(args=["pledge", "held", "list"])
    assert "on a block list" in held.output
    removed = runner.invoke(args=["pledge", "block", "remove", str(row["id"])])
    assert removed.exit_code == 0 and json.loads(runner.invoke(args=["pledge", "block", "list", "--json"]).output) == []
    post_sign_on(app.test_client(), site.key, "other@example.org")
    assert statuses(app)["other@example.org"] == ("pending", None)
    assert [e.action for e in entries(app) if e.action.startswith("block.")] == ["block.remove", "block.add"]


@pytest.mark.sqlite_only  # refused before any SQL
@pytest.mark.parametrize("args", [
    ("--domain", "not a domain"), ("--domain", "localhost"), ("--domain", "a_b.example"), ("--domain", ""),
    ("--ip", "10.0.0.0/8"), ("--ip", "300.1.2.3"), ("--ip", "example.org"), ("--email", "nobody"),
    ("--domain", "example.org", "--ip", "192.0.2.1"),
])
def test_what_cannot_be_blocked_is_refused(app, runner, args):
    answer = block(runner, *args, "--reason", "r")
    assert answer.exit_code == 2, answer.output
    assert state(app).store.list_blocks() == []


@pytest.mark.sqlite_only  # the CLI's checks; the store runs on both engines above
def test_a_reason_is_required_and_a_second_block_changes_nothing(app, runner):
    assert block(runner, "--domain", "example.org").exit_code == 2
    assert block(runner, "--domain", "example.org", "--reason", " ").exit_code == 2
    assert block(runner, "--domain", "example.org", "--reason", "first").exit_code == 0
    again = block(runner, "--domain", "EXAMPLE.org", "--reason", "second")
    assert again.exit_code == 0 and "already blocked" in again.output
    assert [b.reason for b in state(app).store.list_blocks()] == ["first"]
    assert runner.invoke(args=["pledge", "block", "remove", "999"]).exit_code == 1


@pytest.mark.sqlite_only  # the desk's views; the store runs on both engines above
def test_the_desk_blocks_and_lifts(app, client, site):
    sign_in(app, client)
    page = client.get("/admin/blocks?kind=domain&value=surge.example")
    assert page.status_code == 200 and 'value="surge.example"' in page.get_data(as_text=True)
    # Without its CSRF token: nothing.
    assert client.post("/admin/blocks", data={"kind": "domain", "value": "x.example", "reason": "r"}).status_code == 400
    bad = post(client, "/admin/blocks", "/admin/blocks", kind="ip", value="not an ip", reason="r")
    assert bad.status_code == 400 and "cannot be blocked" in bad.get_data(as_text=True)
    assert post(client, "/admin/blocks", "/admin/blocks", kind="domain", value="x.example", reason="").status_code == 400
    done = post(client, "/admin/blocks", "/admin/blocks", kind="domain", value="surge.example", reason="bot wave")
    assert done.status_code == 303
    assert "Blocked" in client.get(done.headers["Location"]).get_data(as_text=True)
    [found] = state(app).store.list_blocks()
    assert (found.kind, found.value, found.reason, found.created_by) == ("domain", "surge.example", "bot wave", ADMIN)
    [entry] = entries(app, "block.add")
    assert entry.actor == ADMIN and entry.after == {"kind": "domain", "value": "surge.example", "reason": "bot wave"}
    post_sign_on(app.test_client(), site.key, "a@surge.example")
    assert statuses(app) == {"a@surge.example": ("held", "blocked")}
    assert post(client, "/admin/blocks", "/admin/blocks/remove", id=str(found.id)).status_code == 303
    assert state(app).store.list_blocks() == [] and len(entries(app, "block.remove")) == 1


@pytest.mark.sqlite_only  # what is written, not how
def test_an_address_block_keeps_no_address_in_the_audit_log(app, runner):
    assert block(runner, "--email", "someone@example.org", "--reason", "r").exit_code == 0
    [entry] = entries(app, "block.add")
    assert "someone" not in json.dumps(entry.after)


@pytest.mark.sqlite_only
def test_the_block_check_is_one_indexed_look_up(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/plans.db")
    store.migrate()
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        assert store.blocking(["domain:mail.example.org", "domain:example.org", "email:a@example.org", "ip:ab"]) is None
    finally:
        store.db.conn.set_trace_callback(None)
    [read] = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    plan = " ".join(str(row[-1]) for row in store.db.execute("EXPLAIN QUERY PLAN " + read).fetchall())
    assert "blocks_target" in plan and "SCAN" not in plan, plan
    store.close()
