"""The operator's desk, what it shows and does (issue 12): the overview, sites, held sign-ons, the public
list, paper sign-ons and mail. Each action changes what it says, leaves an audit entry naming the admin,
and is the same code as its CLI command (whose entries name ``cli:<OS user>``). Destructive actions want a
fresh sign-in; a POST without its CSRF token changes nothing; every page is private and framed by nobody."""
from __future__ import annotations

import getpass
import re
import secrets
import time

import pytest

from conftest import deliver, links, post_sign_on, run_sql
from widget import audit
from widget.admin.access import COOKIE, hash_session_id
from widget.appstate import state
from widget.store import SignOn, new_id

ADMIN = "boss@example.org"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGES = ["/admin/", "/admin/sites", "/admin/held", "/admin/blocks", "/admin/invalidations", "/admin/list", "/admin/paper",
         "/admin/mail"]


@pytest.fixture
def app(make_app):
    # One sign-on per hour through a site: the second and later ones are held.
    return make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_HOST_APPROVAL="manual", PLEDGE_LIMIT_SITE_PER_HOUR=1)


def sign_in(app, client, fresh: bool = True) -> None:
    """An admin session with its TOTP step done (now, or an hour ago: then not fresh), on this client."""
    session_id = secrets.token_urlsafe(32)
    store, now = state(app).store, time.time()
    store.start_admin_session(hash_session_id(session_id), ADMIN, "pytest", now)
    store.verify_admin_session(hash_session_id(session_id), now if fresh else now - 3600)
    store.touch_admin_session(hash_session_id(session_id), now)
    client.set_cookie(COOKIE, session_id, path="/admin")


@pytest.fixture
def desk(app, client):
    sign_in(app, client)
    return client


def token(client, path: str) -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, page: str, action: str, **data):
    """Submit a form of ``page`` as a browser would (with the page's CSRF token)."""
    return client.post(action, data={"csrf_token": token(client, page), **data})


def entries(app, action: str | None = None) -> list[audit.Entry]:
    return audit.entries(state(app).store, action=action)


def status_of(app, signon_id: str) -> str | None:
    found = state(app).store.get_signon(signon_id)
    return found.status if found else None


def held_signons(app, client, site, n: int) -> list[str]:
    """``n`` held sign-ons (after one that is not held: the site's limit is one an hour)."""
    for i in range(n + 1):
        post_sign_on(client, site.key, f"signer{i}@example.org", organization=f"Org {i}")
    held = [s.id for s in state(app).store.held_signons()]
    assert len(held) == n
    return held


def confirmed(app, site, email: str, organization: str) -> SignOn:
    """A confirmed sign-on that consented to the public list (written as the workflow would)."""
    store = state(app).store
    now = time.time()
    signon = SignOn(id=new_id(18), campaign="4p1000", site_key=site.key, email=email, lang="en", status="pending",
                    created_at=now, confirmed_at=None, consent_at=now, consent_version="1/en",
                    answers={"organization": organization, "country": "FR", "org_type": "company"})
    from widget.store import Mail

    store.create_signon(signon, Mail(to=email, subject="s", text="t", html="h"))
    assert store.confirm_signon(signon.id).status == "confirmed"
    return signon


# -- every page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_private_and_framed_by_nobody(desk, path):
    response = desk.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert '<nav aria-label="Desk">' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login")


def test_pages_speak_the_admins_language(desk):
    assert '<html lang="fr" dir="ltr"' in desk.get("/admin/held", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in desk.get("/admin/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="fa" dir="rtl"' in desk.get("/admin/", headers={"Accept-Language": "fa-IR"}).get_data(as_text=True)


def test_a_post_without_its_csrf_token_changes_nothing(app, desk):
    pending = state(app).store.add_site("Waiting", ["https://w.example"], "w@example.org", "4p1000", status="pending")
    response = desk.post("/admin/sites/approve", data={"one": pending.key})
    assert response.status_code == 400
    assert state(app).store.get_site(pending.key).status == "pending"
    assert entries(app, "site.approve") == []


# -- the overview -------------------------------------------------------------------------------------


def test_overview_shows_progress_pace_sites_hosts_and_mail_health(app, desk, client, site):
    store = state(app).store
    confirmed(app, site, "a@example.org", "Alpha")
    confirmed(app, site, "b@example.org", "Beta")
    store.add_site("Waiting", ["https://w.example"], "w@example.org", "4p1000", status="pending")
    # One e-mail failed for good, with the server's answer; a webhook endpoint switched off.
    run_sql(store, "UPDATE outbox SET failed_at = ?, attempts = 5, last_error = ? WHERE to_addr = ?",
            [time.time(), "550 5.1.1 mailbox unavailable", "a@example.org"])
    endpoint = store.add_webhook("https://crm.example/hook", "whsec_x", campaign="4p1000")
    run_sql(store, "UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE id = ?",
            [time.time(), "3 days of failed deliveries", endpoint.id])
    page = desk.get("/admin/").get_data(as_text=True)
    assert re.search(r"<dt>Signatures</dt><dd>2</dd>", page)
    assert re.search(r"<dt>Sites waiting for approval</dt><dd>1</dd>", page)
    assert '<svg class="chart" role="img"' in page and "<th scope=\"col\">Day</th>" in page
    assert re.search(r"<dt>Failed for good</dt><dd class=\"health-bad\">1</dd>", page)
    assert "550 5.1.1 mailbox unavailable" in page
    assert "1 webhook endpoint is switched off." in page
    assert "The mail queue needs attention." in page


# -- sites ----------------------------------------------------------------------------------------------


def test_search_and_approve_a_site_then_its_widget_works(app, desk, client):
    store = state(app).store
    pending = store.add_site("École des Pins", ["https://pins.example"], "dir@pins.example", "4p1000", status="pending")
    store.add_site("Other", ["https://other.example"], "x@other.example", "4p1000")
    assert client.get(f"/w/{pending.key}").status_code == 404
    page = desk.get("/admin/sites?q=pins.EXAMPLE").get_data(as_text=True)
    assert "École des Pins" in page and "Other" not in page and "dir@pins.example" in page
    response = post(desk, "/admin/sites", "/admin/sites/approve", one=pending.key, q="pins")
    assert response.status_code == 303 and "q=pins" in response.headers["Location"]
    assert "1 approved." in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert store.get_site(pending.key).status == "active"
    assert client.get(f"/w/{pending.key}").status_code == 200
    [entry] = entries(app, "site.approve")
    assert (entry.actor, entry.target, entry.before, entry.after) == (
        ADMIN, f"site:{pending.key}", {"status": "pending"}, {"status": "active"})


def test_disabling_a_site_wants_a_fresh_sign_in(app, client, site):
    sign_in(app, client, fresh=False)
    response = post(client, "/admin/sites", "/admin/sites/disable", one=site.key, next="/admin/sites")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/reauth")
    assert state(app).store.get_site(site.key).status == "active"
    sign_in(app, client)
    assert post(client, "/admin/sites", "/admin/sites/disable", one=site.key).status_code == 303
    assert state(app).store.get_site(site.key).status == "disabled"
    assert client.get(f"/w/{site.key}").status_code == 404
    assert [e.after for e in entries(app, "site.disable")] == [{"status": "disabled"}]


# -- held sign-ons --------------------------------------------------------------------------------------


def test_held_page_says_which_limit_held_each(app, desk, client, site):
    held_signons(app, client, site, 2)
    page = desk.get("/admin/held").get_data(as_text=True)
    assert page.count("Too many sign-ons through this site this hour") >= 2
    assert "signer1@example.org" in page and "Org 2" in page
    assert "2 held sign-ons." in desk.get("/admin/held?reason=site_per_hour").get_data(as_text=True)
    assert "0 held sign-ons." in desk.get("/admin/held?reason=ip_per_day").get_data(as_text=True)


def test_releasing_a_held_sign_on_mails_its_confirmation(app, desk, client, site, inbox):
    first, second = held_signons(app, client, site, 2)
    deliver(app)
    inbox.messages.clear()
    response = post(desk, "/admin/held", "/admin/held/release", one=first)
    assert "1 sign-on released" in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert (status_of(app, first), status_of(app, second)) == ("pending", "held")
    deliver(app)
    [message] = inbox.wait_for("signer1@example.org")
    assert links(message)  # its confirmation link
    [entry] = entries(app, "held.release")
    assert entry.actor == ADMIN and entry.target == f"signon:{first}"
    assert entry.before["reason"] == "site_per_hour" and entry.after == {"status": "pending"}
    assert "signer1@example.org" not in str(entry)  # the append-only log keeps no address


def test_release_all_of_a_filter_releases_those_shown_not_one_held_since(app, desk, client, site):
    held = held_signons(app, client, site, 3)
    page = desk.get("/admin/held?reason=site_per_hour").get_data(as_text=True)
    upto = re.search(r'name="upto" value="([^"]+)"', page).group(1)
    post_sign_on(client, site.key, "later@example.org", organization="Later Org")  # held after the page was drawn
    [later] = [s.id for s in state(app).store.held_signons() if s.id not in held]
    response = post(desk, "/admin/held?reason=site_per_hour", "/admin/held/release", all="1", reason="site_per_hour",
                    upto=upto)
    assert "reason=site_per_hour" in response.headers["Location"]
    assert [status_of(app, i) for i in held] == ["pending"] * 3
    assert status_of(app, later) == "held"  # the admin never saw it
    assert len(entries(app, "held.release")) == 3


def test_discarding_held_sign_ons_wants_a_fresh_sign_in(app, client, site):
    first, second = held_signons(app, client, site, 2)
    sign_in(app, client, fresh=False)
    response = post(client, "/admin/held", "/admin/held/discard", id=[first, second])
    assert response.headers["Location"].endswith("/admin/reauth")
    assert status_of(app, first) == "held"
    sign_in(app, client)
    response = post(client, "/admin/held", "/admin/held/discard", id=[first, second, "no-such-id"])
    assert "2 sign-ons discarded. 1 was left alone" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert (status_of(app, first), status_of(app, second)) == (None, None)
    assert {e.target for e in entries(app, "held.discard")} == {f"signon:{first}", f"signon:{second}"}


# -- the public list ------------------------------------------------------------------------------------


def test_hide_an_entry_with_a_reason_then_show_it(app, desk, client, site):
    signon = confirmed(app, site, "slur@example.org", "Offensive Name Ltd")
    entry_id = state(app).store.get_entry(signon.id).id
    assert "Offensive Name Ltd" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    # No reason: refused, in words, and nothing changes.
    response = post(desk, "/admin/list", "/admin/list/hide", id=entry_id, reason="  ")
    assert response.status_code == 400 and "Please say why" in response.get_data(as_text=True)
    assert state(app).store.get_entry(entry_id).state is None and entries(app, "list.hide") == []
    response = post(desk, "/admin/list", "/admin/list/hide", id=entry_id, reason="A slur")
    assert response.status_code == 303
    assert "Offensive Name Ltd" not in client.get("/c/4p1000/signatories").get_data(as_text=True)
    page = desk.get("/admin/list").get_data(as_text=True)
    assert "A slur" in page and "Show again" in page
    [hidden] = entries(app, "list.hide")
    assert (hidden.actor, hidden.target, hidden.after) == (ADMIN, f"entry:{entry_id}", {"state": "hidden", "reason": "A slur"})
    post(desk, "/admin/list", "/admin/list/show", id=entry_id)
    assert "Offensive Name Ltd" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert [e.after["state"] for e in entries(app, "list.show")] == ["listed"]


def test_hiding_wants_a_fresh_sign_in(app, client, site):
    signon = confirmed(app, site, "x@example.org", "Some Org")
    sign_in(app, client, fresh=False)
    response = post(client, "/admin/list", "/admin/list/hide", id=signon.id, reason="spam")
    assert response.headers["Location"].endswith("/admin/reauth")
    assert state(app).store.get_entry(signon.id).state is None


def test_pre_moderation_queue_and_approve(make_app, smtp_server):
    app = make_app(PLEDGE_ADMINS=ADMIN, PLEDGE_LIST_MODERATION="pre")
    client = app.test_client()
    sign_in(app, client)
    site = state(app).store.add_site("S", ["https://s.example"], "o@s.example", "4p1000")
    signon = confirmed(app, site, "w@example.org", "Waiting Org")
    assert "Waiting Org" not in client.get("/c/4p1000/signatories").get_data(as_text=True)
    page = client.get("/admin/list").get_data(as_text=True)
    assert "Waiting for approval" in page and "Waiting Org" in page
    entry_id = state(app).store.get_entry(signon.id).id
    assert post(client, "/admin/list", "/admin/list/approve", id=entry_id).status_code == 303
    assert "Waiting Org" in client.get("/c/4p1000/signatories").get_data(as_text=True)
    assert [e.target for e in entries(app, "list.approve")] == [f"entry:{entry_id}"]
    # An unknown id: a clear answer, nothing recorded.
    response = post(client, "/admin/list", "/admin/list/approve", id="0123456789abcdef")
    assert response.status_code == 400 and "There is no such entry" in response.get_data(as_text=True)
    assert len(entries(app, "list.approve")) == 1


# -- paper sign-ons -------------------------------------------------------------------------------------


def add_paper(app, site, *organizations: str) -> list[str]:
    from widget import paper

    with app.test_request_context():
        paper.add(site, state(app).campaign("4p1000"), "en",
                  [paper.Entry(email=None, answers={"organization": o, "name": "N", "country": "FR"}) for o in organizations])
    return [s.id for s in state(app).store.paper_signons()]


def test_approve_and_reject_paper_sign_ons(app, desk, client, site):
    first, second, third = add_paper(app, site, "Paper One", "Paper Two", "Paper Three")
    page = desk.get("/admin/paper").get_data(as_text=True)
    assert "Paper One" in page and "3 paper sign-ons wait for approval." in page
    post(desk, "/admin/paper", "/admin/paper/approve", id=[first, second])
    assert state(app).store.counts("4p1000", site.key).site == 2
    assert {e.target for e in entries(app, "paper.approve")} == {f"signon:{first}", f"signon:{second}"}
    sign_in(app, client, fresh=False)
    assert post(client, "/admin/paper", "/admin/paper/reject", one=third).headers["Location"].endswith("/admin/reauth")
    sign_in(app, client)
    post(client, "/admin/paper", "/admin/paper/reject", one=third)
    assert status_of(app, third) is None
    assert [e.before["status"] for e in entries(app, "paper.reject")] == ["paper"]


# -- mail -----------------------------------------------------------------------------------------------


def test_failed_mail_shows_its_error_and_is_retried(app, desk, client, site):
    post_sign_on(client, site.key, "bounce@example.org")
    store = state(app).store
    error = "{'bounce@example.org': (550, b'5.1.1 <bounce@example.org>: no such user')}"  # as smtplib says it
    run_sql(store, "UPDATE outbox SET failed_at = ?, attempts = 5, last_error = ? WHERE to_addr = ?",
            [time.time(), error, "bounce@example.org"])
    page = desk.get("/admin/mail").get_data(as_text=True)
    assert "bounce@example.org" in page and "no such user" in page
    [failed] = store.failed_mail()
    response = post(desk, "/admin/mail", "/admin/mail/retry", one=str(failed["id"]))
    assert "1 e-mail queued again." in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert store.failed_mail() == [] and store.outbox_health()["queued"] == 1
    [entry] = entries(app, "mail.retry")
    assert entry.after == {"status": "queued"}
    # The audit log outlives any erasure: it keeps the server's answer without the recipient's address.
    assert entry.before["last_error"] == "{'[address]': (550, b'5.1.1 <[address]>: no such user')}"
    assert not any("bounce@" in (e.target + str(e.before) + str(e.after)) for e in entries(app))


# -- the CLI goes through the same code ---------------------------------------------------------------


def test_cli_commands_leave_the_same_audit_entries(app, client, site, runner):
    actor = f"cli:{getpass.getuser()}"
    store = state(app).store
    pending = store.add_site("P", ["https://p.example"], "p@p.example", "4p1000", status="pending")
    assert runner.invoke(args=["pledge", "site", "approve", pending.key]).exit_code == 0
    assert runner.invoke(args=["pledge", "site", "disable", pending.key]).exit_code == 0
    app.config["PLEDGE_PUBLIC_URL"] = "https://pledge.example"
    first, second = held_signons(app, client, site, 2)
    assert runner.invoke(args=["pledge", "held", "release", first]).exit_code == 0
    assert runner.invoke(args=["pledge", "held", "discard", "--all", "--reason", "site_per_hour"]).exit_code == 0
    signon = confirmed(app, site, "l@example.org", "Listed Org")
    assert runner.invoke(args=["pledge", "list", "hide", signon.id, "--reason", "spam"]).exit_code == 0
    assert runner.invoke(args=["pledge", "list", "show", signon.id]).exit_code == 0
    paper_one, paper_two = add_paper(app, site, "P1", "P2")
    assert runner.invoke(args=["pledge", "paper", "approve", paper_one]).exit_code == 0
    assert runner.invoke(args=["pledge", "paper", "reject", paper_two]).exit_code == 0
    run_sql(store, "UPDATE outbox SET failed_at = ?, last_error = 'x' WHERE to_addr = 'l@example.org'", [time.time()])
    assert "queued 1" in runner.invoke(args=["pledge", "mail", "retry", "--all"]).stdout
    recorded = {(e.action, e.target.split(":")[0]) for e in entries(app) if e.actor == actor}
    assert recorded == {("site.approve", "site"), ("site.disable", "site"), ("held.release", "signon"),
                        ("held.discard", "signon"), ("list.hide", "entry"), ("list.show", "entry"),
                        ("paper.approve", "signon"), ("paper.reject", "signon"), ("mail.retry", "mail")}
    assert (status_of(app, first), status_of(app, second)) == ("pending", None)


def test_long_lists_come_in_pages(app, desk):
    store = state(app).store
    for i in range(55):
        store.add_site(f"School {i:02d}", [f"https://s{i}.example"], "many@example.org", "4p1000")
    first = desk.get("/admin/sites?q=many@").get_data(as_text=True)
    assert "55 sites found." in first and "Page 1 of 2" in first and first.count("<th scope=\"row\">") == 50
    second = desk.get("/admin/sites?q=many@&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count("<th scope=\"row\">") == 5
    assert 'href="/admin/sites?q=many%40&amp;page=1"' in second  # the filter is kept


def test_cli_refuses_a_reason_without_all(runner):
    result = runner.invoke(args=["pledge", "held", "discard", "--reason", "ip_per_day"])
    assert result.exit_code == 2 and "--reason goes with --all" in result.output


def test_retrying_an_id_that_is_no_number_changes_nothing(app, desk):
    """Digits that int() refuses ('²' counts as a digit for str.isdigit) are no e-mail: left alone, no error."""
    for odd in ("²", "١٢", "99999999999999999999999"):
        response = post(desk, "/admin/mail", "/admin/mail/retry", one=odd)
        assert response.status_code == 303, odd
        assert "1 was left alone" in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert entries(app, "mail.retry") == []


def test_names_are_escaped_and_isolated_in_a_right_to_left_desk(app, desk, client, site):
    """What hosts and signatories typed is shown as text, never run, and kept in its own direction: a Latin
    name in an Arabic page (or the reverse) does not scramble the punctuation around it."""
    store = state(app).store
    store.update_site(site.key, name='<img src=x onerror=alert(1)> "Soil"')
    post_sign_on(client, site.key, "first@example.org")
    post_sign_on(client, site.key, "second@example.org", organization='<script>alert("x")</script> Org')
    confirmed(app, site, "list@example.org", "<b>Bold</b> & Co")
    held = desk.get("/admin/held?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in held
    assert '<bdi>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Org</bdi>' in held and "<script>alert" not in held
    assert '<bdi>&lt;img src=x onerror=alert(1)&gt; &#34;Soil&#34;</bdi>' in held
    sites = desk.get("/admin/sites?lang=ar").get_data(as_text=True)
    assert '<bdi>&lt;img src=x onerror=alert(1)&gt; &#34;Soil&#34;</bdi>' in sites and "<img src=x" not in sites
    listed = desk.get("/admin/list?lang=ar").get_data(as_text=True)
    assert "<bdi>&lt;b&gt;Bold&lt;/b&gt; &amp; Co</bdi>" in listed
    overview = desk.get("/admin/?lang=ar").get_data(as_text=True)
    assert re.search(r'class="chart-range"[^>]*><span dir="auto">[^<]+</span><span dir="auto">', overview)
