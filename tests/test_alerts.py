"""Surge alerts (issue 23), and the issue's done test: a surge from one domain is alerted (one mail per alert to
the admins, a banner on the desk's overview with links that fill in a block and an invalidation), blocked and
invalidated; the counts drop and come back on restore; a gmail address with dots and a +tag signs once. Over HTTP
and the CLI, with a real SMTP server, on both engines."""
from __future__ import annotations

import html
import threading
import json
import time

import pytest

from conftest import deliver, links, path_of, post_sign_on, run_sql
from test_admin_pages import post, sign_in

from widget import state
from widget.alerts import BASELINE_DAYS

pytestmark = pytest.mark.both_engines

ADMIN = "boss@example.org"
CAMPAIGN = "4p1000"


@pytest.fixture
def app(make_app):
    return make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_PUBLIC_URL="https://pledge.example", PLEDGE_ALERT_FLOOR=5,
                    PLEDGE_ALERT_MULTIPLE=10.0, PLEDGE_LIMIT_IP_PER_DAY=0)


def sign_and_confirm(app, site, inbox, address: str) -> None:
    client = app.test_client()
    assert post_sign_on(client, site.key, address).status_code == 200
    deliver(app)
    [mail] = inbox.wait_for(address)
    assert client.post(path_of(links(mail)[0])).status_code == 200


def count(app, site) -> int:
    return app.test_client().get(f"/api/v1/sites/{site.key}/count").get_json()["total"]


def test_a_surge_is_alerted_blocked_invalidated_and_restored(app, runner, site, inbox):
    store = state(app).store
    # One mailbox, one signature: a gmail address with dots and a tag signs once, whatever its spelling.
    sign_and_confirm(app, site, inbox, "j.doe+pledge@gmail.com")
    for again in ("jdoe@googlemail.com", "j.d.o.e@gmail.com"):
        post_sign_on(app.test_client(), site.key, again)
    deliver(app)
    assert not links(inbox.wait_for("jdoe@googlemail.com")[0])  # "you have signed already": nothing to confirm
    assert count(app, site) == 1

    # The surge: six sign-ons from one domain in minutes, confirmed; the week before, one.
    surge = [f"member{n}@surge.example" for n in range(6)]
    for address in surge:
        sign_and_confirm(app, site, inbox, address)
    run_sql(store, "UPDATE signons SET created_at = ? WHERE email = ?", [time.time() - 3 * 86400, surge[0]])
    assert count(app, site) == 7

    # Alerted: once, by mail to the admin and on the desk's overview.
    checked = runner.invoke(args=["pledge", "alerts", "check", "--json"])
    assert checked.exit_code == 0, checked.output
    raised = {(a["kind"], a["value"]): a for a in json.loads(checked.output)}
    domain = raised[("domain", "surge.example")]
    assert domain["count"] == 5 and domain["usual"] == round(1 / (BASELINE_DAYS * 24), 2)
    assert ("domain", "gmail.com") not in raised  # under the floor
    deliver(app)
    mails = inbox.wait_for(ADMIN, count=len(raised))
    [about] = [m for m in mails if "surge[.]example" in m["Subject"]]
    text = about.get_body(("plain",)).get_content()
    assert "Sign-ons from the domain surge[.]example in the hour since" in text and "https://pledge.example/admin/" in text
    assert json.loads(runner.invoke(args=["pledge", "alerts", "check", "--json"]).output) == []  # one mail per alert
    desk = app.test_client()
    sign_in(app, desk)
    overview = html.unescape(desk.get("/admin/").get_data(as_text=True))
    assert "Sign-on alerts" in overview and "Sign-ons from the domain surge[.]example" in overview
    assert "/admin/blocks?kind=domain&value=surge.example" in overview
    assert "/admin/invalidations?" in overview and "domain=surge.example" in overview

    # Blocked from the banner's link: the next one gets the usual answer and is held, never mailed.
    assert desk.get("/admin/blocks?kind=domain&value=surge.example").status_code == 200
    assert post(desk, "/admin/blocks", "/admin/blocks", kind="domain", value="surge.example",
                reason="surge alert").status_code == 303
    assert post_sign_on(app.test_client(), site.key, "late@surge.example").status_code == 200
    deliver(app)
    assert inbox.to("late@surge.example") == []
    assert store.get_signon(store.signons_of("late@surge.example")[0].id).held_reason == "blocked"

    # Invalidated: the counts drop at once; restored: they come back.
    done = runner.invoke(args=["pledge", "signons", "invalidate", "--domain", "surge.example", "--reason", "surge",
                               "--json"])
    assert done.exit_code == 0, done.output
    batch = json.loads(done.output)["batch"]
    assert json.loads(done.output)["by_status"] == {"confirmed": 6, "held": 1}
    assert count(app, site) == 1 and store.counts(CAMPAIGN, site.key) == (1, 1)
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0
    assert runner.invoke(args=["pledge", "signons", "restore", "--batch", batch]).exit_code == 0
    assert count(app, site) == 7
    assert runner.invoke(args=["pledge", "recount"]).exit_code == 0


def test_no_alert_under_the_floor_nor_at_the_usual_rate(app, runner, site):
    store = state(app).store
    for n in range(4):  # under the floor of 5
        post_sign_on(app.test_client(), site.key, f"a{n}@steady.example")
    assert json.loads(runner.invoke(args=["pledge", "alerts", "check", "--json"]).output) == []
    # Five in the hour, where the week before had 5 x 24 x 7 x ... : usual.
    for n in range(4, 6):
        post_sign_on(app.test_client(), site.key, f"a{n}@steady.example")
    week = time.time() - 2 * 86400
    rows = [(f"old{n}", CAMPAIGN, site.key, f"old{n}@steady.example", f"old{n}@steady.example", "en", "confirmed",
             week, "127.0.0.9") for n in range(200)]
    with store.write() as db:
        for row in rows:
            db.execute("INSERT INTO signons (id, campaign, site_key, email, mailbox, lang, status, created_at, ip_hash, "
                       "public_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [*row, "p" + row[0]])
    raised = json.loads(runner.invoke(args=["pledge", "alerts", "check", "--json"]).output)
    assert ("domain", "steady.example") not in {(a["kind"], a["value"]) for a in raised}
    assert ("site", site.key) not in {(a["kind"], a["value"]) for a in raised}


@pytest.mark.sqlite_only  # nothing is read
def test_alerts_are_off_with_a_floor_of_zero(make_app, runner):
    app = make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_ALERT_FLOOR=0)
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", CAMPAIGN)
    for n in range(3):
        post_sign_on(app.test_client(), site.key, f"a{n}@x.example")
    assert json.loads(app.test_cli_runner().invoke(args=["pledge", "alerts", "check", "--json"]).output) == []


@pytest.mark.sqlite_only
def test_every_mail_sender_looks_every_few_minutes(make_app, inbox):
    app = make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_ALERT_FLOOR=2, PLEDGE_LIMIT_IP_PER_DAY=0)
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", CAMPAIGN)
    for n in range(3):
        post_sign_on(app.test_client(), site.key, f"a{n}@wave.example")
    sender = state(app).sender
    assert sender.watch is not None and sender.watch_seconds == 300
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        mails = inbox.wait_for(ADMIN, count=3)  # the client, the domain and the site: raised by the sender's look
    finally:
        stop.set()
        sender.wake.set()
        thread.join(10)
    assert {m["Subject"] for m in mails} >= {"Sign-on alert: the domain wave[.]example"}
    assert len(state(app).store.recent_alerts(0)) == 3
