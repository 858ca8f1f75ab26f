"""Hosts' notifications: milestone mails, the daily digest, and one-click unsubscribe (RFC 8058).

The SMTP server's inbox lives for the whole session: every test mails its own host addresses.
"""
from __future__ import annotations

import pytest

import base64
import json
import threading
import time
from datetime import datetime, timezone

from conftest import VALID_ANSWERS, deliver, links, path_of, post_sign_on, run_sql

from widget import notifications, state
from widget.cli.notify import digest
from widget.store import Limits, Mail, SignOn, new_id

# The journeys of the README, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

UNSUBSCRIBE = "/host/unsubscribe/"


def host_site(app, owner: str, name: str = "École du Sol", **settings):
    """A site of a host (created with it), with the host's notification ``settings`` applied."""
    store = state(app).store
    site = store.add_site(name, ["https://ecole.example"], owner, "4p1000")
    if settings:
        store.update_host(owner, **settings)
    return site


def confirmed_in_store(app, site, prefix: str, n: int, confirmed_at: float | None = None, **answers) -> list[SignOn]:
    """``n`` sign-ons confirmed straight in the store (no confirmation page: no milestone check)."""
    store = state(app).store
    made = []
    for i in range(n):
        now = time.time()
        signon = SignOn(
            id=new_id(18), campaign=site.campaign, site_key=site.key, email=f"{prefix}-{i}@example.org", lang="en",
            status="pending", created_at=now, confirmed_at=None, consent_at=now, consent_version="test/en",
            answers={k: v for k, v in dict(VALID_ANSWERS, **answers).items() if k != "consent"},
            contact_consent=answers.get("contact_consent"),
        )
        # No mail share for this address: the store queues no confirmation mail.
        store.create_signon(signon, Mail(signon.email, "-", "-", "-"), limits=Limits(mails_per_address_per_day=0))
        assert store.confirm_signon(signon.id).status == "confirmed"
        if confirmed_at is not None:
            run_sql(store, "UPDATE signons SET confirmed_at = ? WHERE id = ?", [confirmed_at, signon.id])
        made.append(store.get_signon(signon.id))
    return made


def confirmed_by_link(app, site, inbox, address: str) -> None:
    """A sign-on through the widget, confirmed on the confirmation page (as a visitor does)."""
    client = app.test_client()
    post_sign_on(client, site.key, address)
    deliver(app)
    assert client.post(path_of(links(inbox.wait_for(address)[-1])[0])).status_code == 200


def unsubscribe_path(message) -> str:
    header = message["List-Unsubscribe"].strip()  # a long header is folded: a space before its value
    assert header.startswith("<") and header.endswith(">")
    return path_of(header[1:-1])


# -- milestones -----------------------------------------------------------------------------------


def test_passing_10_mails_the_host_once_with_one_click_unsubscribe(app, inbox):
    owner = "milestone-ten@host.example"
    site = host_site(app, owner)
    confirmed_in_store(app, site, "ten", 9)
    deliver(app)
    assert inbox.to(owner) == []

    confirmed_by_link(app, site, inbox, "tenth@example.org")
    deliver(app)
    [mail] = inbox.wait_for(owner)
    assert mail["Subject"] == "École du Sol has passed 10 signatures for 4 per 1000: Declaration of Intent for soils, food security and the climate"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(mail)
    assert path.startswith(UNSUBSCRIBE)
    text = mail.get_body(("plain",)).get_content()
    assert "has passed 10 signatures" in text and path in text  # the visible unsubscribe link
    assert path in mail.get_body(("html",)).get_content()

    confirmed_by_link(app, site, inbox, "eleventh@example.org")
    deliver(app)
    time.sleep(0.2)
    assert len(inbox.to(owner)) == 1  # 11 passes nothing new
    assert state(app).store.milestones_sent(site.key) == {10}


def test_several_thresholds_passed_at_once_mail_the_highest_and_record_all(app, inbox):
    owner = "milestone-several@host.example"
    site = host_site(app, owner, milestones=(2, 3, 50))
    confirmed_in_store(app, site, "several", 3)  # 2 and 3 passed without a confirmation page
    confirmed_by_link(app, site, inbox, "several-fourth@example.org")
    deliver(app)
    [mail] = inbox.wait_for(owner)
    assert "has passed 3 signatures" in mail["Subject"]
    assert "It has 4 confirmed signatures now." in mail.get_body(("plain",)).get_content()
    assert state(app).store.milestones_sent(site.key) == {2, 3}


def test_concurrent_checks_and_two_senders_mail_a_milestone_once(make_app, inbox):
    app = make_app()
    owner = "milestone-race@host.example"
    site = host_site(app, owner)
    signons = confirmed_in_store(app, site, "race", 10)
    barrier = threading.Barrier(4)
    results = []

    def check(signon):
        with app.test_request_context():
            barrier.wait()
            results.append(notifications.after_confirmation(signon))

    threads = [threading.Thread(target=check, args=(s,)) for s in signons[-4:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [10, None, None, None]
    with app.test_request_context():
        assert notifications.after_confirmation(signons[-1]) is None  # and again later: nothing

    # Two senders (two apps on the same database) deliver at once, then once more each.
    other = make_app()
    rounds = [threading.Thread(target=deliver, args=(a,)) for a in (app, other)]
    for thread in rounds:
        thread.start()
    for thread in rounds:
        thread.join()
    deliver(app), deliver(other)
    assert len(inbox.wait_for(owner)) == 1
    time.sleep(0.3)
    assert len(inbox.to(owner)) == 1


def test_a_host_without_milestone_mails_gets_none_until_it_switches_them_on(app, inbox):
    owner = "milestone-off@host.example"
    site = host_site(app, owner, notify_milestones=0)
    confirmed_in_store(app, site, "off", 9)
    confirmed_by_link(app, site, inbox, "off-tenth@example.org")
    deliver(app)
    time.sleep(0.2)
    assert inbox.to(owner) == []

    state(app).store.update_host(owner, notify_milestones=1)
    confirmed_by_link(app, site, inbox, "off-eleventh@example.org")
    deliver(app)
    [mail] = inbox.wait_for(owner)
    assert "has passed 10 signatures" in mail["Subject"]


def test_a_count_that_goes_down_and_up_again_does_not_mail_twice(app, inbox):
    owner = "milestone-withdraw@host.example"
    site = host_site(app, owner, milestones=(2,))
    first, _second = confirmed_in_store(app, site, "updown", 2)
    with app.test_request_context():
        assert notifications.after_confirmation(first) == 2
        state(app).store.withdraw_signon(first.id)
        [again] = confirmed_in_store(app, site, "updown-again", 1)
        assert notifications.after_confirmation(again) is None
    deliver(app)
    assert len(inbox.wait_for(owner)) == 1


# -- the daily digest -----------------------------------------------------------------------------

DAY = datetime(2026, 3, 14, 10, 0, tzinfo=timezone.utc).timestamp()  # the day the digest tells about
NEXT_MORNING = datetime(2026, 3, 15, 6, 0, tzinfo=timezone.utc)


def test_the_digest_lists_yesterdays_sign_ons_per_site_without_contact_details_once(app, inbox):
    owner = "digest-host@host.example"
    school = host_site(app, owner, name="École du Sol", notify_digest=1)
    farm = host_site(app, owner, name="Ferme Pilote")
    confirmed_in_store(app, school, "digest-school", 2, DAY, organization="Coopérative Terre", country="SN")
    confirmed_in_store(app, school, "digest-contact", 1, DAY + 60, organization="Agro Lab", org_type="research",
                       country="FR", name="Jeanne Contact", contact_consent="1")
    confirmed_in_store(app, farm, "digest-farm", 1, DAY + 120, organization="Ferme des Collines", country="KE")
    confirmed_in_store(app, farm, "digest-before", 1, DAY - 86400, organization="Day Before Org")
    confirmed_in_store(app, farm, "digest-after", 1, DAY + 86400, organization="Day After Org")
    quiet = "digest-off@host.example"  # sign-ons too, but no digest wanted
    confirmed_in_store(app, host_site(app, quiet), "digest-quiet", 1, DAY)

    assert notifications.send_digests(NEXT_MORNING, app=app) == 1
    assert notifications.send_digests(NEXT_MORNING, app=app) == 0  # a second run, or a second sender
    assert notifications.send_digests(NEXT_MORNING.timestamp() + 3600, app=app) == 0
    deliver(app), deliver(app)
    [mail] = inbox.wait_for(owner)
    assert mail["Subject"] == "4 new signatures through your web sites on Mar 14, 2026"
    assert unsubscribe_path(mail).startswith(UNSUBSCRIBE)
    text = mail.get_body(("plain",)).get_content()
    school_part, farm_part = text.split("École du Sol")[1].split("Ferme Pilote")
    assert "3 new signatures" in school_part and "Coopérative Terre, Farmers' or foresters' group, Senegal" in school_part
    assert "Senegal" in school_part and "Agro Lab" in school_part
    assert "Jeanne Contact" in school_part and "digest-contact-0@example.org" in school_part  # agreed to be contacted
    assert "1 new signature" in farm_part and "Ferme des Collines" in farm_part and "Kenya" in farm_part
    for absent in ("Amina Diallo", "digest-school-0@example.org", "digest-farm-0@example.org",
                   "Day Before Org", "Day After Org"):
        assert absent not in text and absent not in mail.get_body(("html",)).get_content()
    assert unsubscribe_path(mail) in text
    time.sleep(0.2)
    assert len(inbox.to(owner)) == 1 and inbox.to(quiet) == []


def test_no_digest_for_a_day_without_sign_ons(app, inbox):
    owner = "digest-empty@host.example"
    site = host_site(app, owner, notify_digest=1)
    confirmed_in_store(app, site, "empty", 1, DAY)
    assert notifications.send_digests(datetime(2026, 3, 20, 6, 0, tzinfo=timezone.utc), app=app) == 0
    deliver(app)
    time.sleep(0.2)
    assert inbox.to(owner) == []
    assert notifications.send_digests(NEXT_MORNING, app=app) == 1  # the day that had one


def test_the_senders_housekeeping_and_the_digest_command_queue_the_digest(make_app, inbox):
    app = make_app(PLEDGE_PUBLIC_URL="https://pledge.example.org")
    owner = "digest-cron@host.example"
    site = host_site(app, owner, notify_digest=1)
    confirmed_in_store(app, site, "cron", 1, DAY)
    yesterday = time.time() - 86400
    confirmed_in_store(app, site, "housekeeping", 1, yesterday)

    state(app).sender.housekeeping()  # as a sender's thread runs it: no app context
    result = app.test_cli_runner().invoke(digest, ["--day", "2026-03-14"])
    assert result.exit_code == 0 and "queued 1 digest(s) for 2026-03-14" in result.output
    again = app.test_cli_runner().invoke(digest, ["--day", "2026-03-14"])
    assert "queued 0 digest(s)" in again.output
    deliver(app)
    mails = inbox.wait_for(owner, 2)
    assert all(m["List-Unsubscribe"].strip().startswith("<https://pledge.example.org/host/unsubscribe/") for m in mails)
    assert sorted("Mar 14, 2026" in m["Subject"] for m in mails) == [False, True]

    unset = make_app().test_cli_runner().invoke(digest, [])
    assert unset.exit_code != 0 and "PLEDGE_PUBLIC_URL" in unset.output


# -- one-click unsubscribe ------------------------------------------------------------------------


def test_unsubscribe_get_changes_nothing_and_a_cookieless_post_switches_it_off(app, inbox):
    from flask_wtf import CSRFProtect

    CSRFProtect(app)  # a host app's CSRF protection must not break one-click unsubscribe
    owner = "unsubscribe@host.example"
    host_site(app, owner, notify_digest=1, lang="fr")
    with app.test_request_context():
        milestones_url = notifications.unsubscribe_url(owner, "milestones")
        digest_url = notifications.unsubscribe_url(owner, "digest")
    token = path_of(milestones_url)[len(UNSUBSCRIBE):]
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    assert owner.encode() not in payload and json.loads(payload)["k"] == "milestones"  # no address in it

    store = state(app).store
    page = app.test_client().get(path_of(milestones_url))
    assert page.status_code == 200 and '<form method="post"' in page.get_data(as_text=True)
    assert store.get_host(owner).notify_milestones is True  # a mail scanner's GET changes nothing

    client = app.test_client()  # no cookie, no CSRF token: what a mail client sends
    done = client.post(path_of(milestones_url), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and '<html lang="fr"' in done.get_data(as_text=True)
    host = store.get_host(owner)
    assert host.notify_milestones is False and host.notify_digest is True
    assert client.post(path_of(milestones_url), data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again
    assert client.post(path_of(digest_url), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert store.get_host(owner).notify_digest is False


def test_a_bad_unsubscribe_token_gets_400(app):
    owner = "unsubscribe-bad@host.example"
    host_site(app, owner)
    with app.test_request_context():
        url = notifications.unsubscribe_url(owner, "milestones")
        other_purpose = state(app).tokens.dumps("confirm", {"k": "milestones", "h": "0" * 32})
        unknown_kind = state(app).tokens.dumps("unsubscribe", {"k": "everything", "h": "0" * 32})
    client = app.test_client()
    for token in (path_of(url)[len(UNSUBSCRIBE):-3] + "abc", "not-a-token", other_purpose, unknown_kind):
        assert client.get(UNSUBSCRIBE + token).status_code == 400
        assert client.post(UNSUBSCRIBE + token).status_code == 400
    assert state(app).store.get_host(owner).notify_milestones is True
