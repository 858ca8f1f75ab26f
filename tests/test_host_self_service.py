"""Hosts serve themselves: sign up by e-mailed link, revocable sessions, their own sites and nobody else's."""
from __future__ import annotations

import json
import re

import pytest

from conftest import deliver, post_sign_on
from test_host import CSRF, CSRF_VALUE, LOGIN_LINK, ask_for_link, confirmed, press_sign_in, sign_in

from widget import state

# The journeys of the README, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def sign_up(app, client, inbox, email: str) -> None:
    """A new host: ask for a link at /host/, open it, press the button."""
    ask_for_link(client, email)
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for(email.lower())[-1].get_body(("plain",)).get_content())
    assert press_sign_in(client, "/" + url.split("/", 3)[3]).status_code == 303


def add_site(client, name="École des Sols", origins="https://ecole.example\nHTTPS://www.École.example:443/",
             lang="fr", expect=303):
    page = client.get("/host/sites/new").get_data(as_text=True)
    response = client.post("/host/sites/new", data={"csrf_token": CSRF.search(page).group(1), "name": name,
                                                    "origins": origins, "campaign": "4p1000", "lang": lang})
    assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    return response


def button_token(client, path: str = "/host/") -> str:
    return CSRF_VALUE.search(client.get(path).get_data(as_text=True)).group(1)


def test_a_new_host_signs_up_and_adds_a_site_that_works_at_once(app, client, inbox):
    sign_up(app, client, inbox, "Nouvelle.Ecole@Example.org")
    assert "You have no site yet" in client.get("/host/").get_data(as_text=True)
    response = add_site(client)
    key = response.headers["Location"].split("/")[-2]  # .../sites/KEY/snippet
    site = state(app).store.get_site(key)
    assert site.owner_email == "nouvelle.ecole@example.org" and site.lang == "fr"
    assert site.origins == ("https://ecole.example", "https://www.xn--cole-9oa.example")  # as browsers report them
    assert site.status == "active" and client.get(f"/w/{key}").status_code == 200


def test_bad_origins_are_named_and_nothing_is_added(app, client, inbox):
    sign_up(app, client, inbox, "origins@example.org")
    response = add_site(client, origins="https://ok.example\nbad.example/some/page", expect=400)
    assert "bad.example/some/page" in response.get_data(as_text=True)
    assert add_site(client, name="   ", origins="https://ok.example", expect=400)
    assert state(app).store.sites_of("origins@example.org") == []


def test_manual_approval_keeps_a_new_site_waiting(make_app, inbox):
    app = make_app(PLEDGE_HOST_APPROVAL="manual")
    client = app.test_client()
    sign_up(app, client, inbox, "waits@example.org")
    key = add_site(client).headers["Location"].split("/")[-2]
    assert "Waiting for approval" in client.get("/host/").get_data(as_text=True)
    assert "waits for the operator" in client.get(f"/host/sites/{key}").get_data(as_text=True)
    assert app.test_client().get(f"/w/{key}").status_code == 404
    result = app.test_cli_runner().invoke(args=["pledge", "site", "approve", key])
    assert result.exit_code == 0 and app.test_client().get(f"/w/{key}").status_code == 200


def test_closed_sign_up_lets_only_registered_owners_in(make_app, site, inbox):
    app = make_app(PLEDGE_HOST_SIGNUP="closed")
    ask_for_link(app.test_client(), "newcomer-closed@example.org")
    deliver(app)
    assert inbox.to("newcomer-closed@example.org") == []
    assert state(app).store.get_host("newcomer-closed@example.org") is None


def test_a_sign_in_link_lasts_15_minutes(app, client, site, inbox, monkeypatch):
    import itsdangerous.timed

    login_id = state(app).store.create_host_login("webmaster@lycee.example")
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - 16 * 60)
    token = state(app).tokens.dumps("host-login", login_id)
    monkeypatch.undo()
    response = client.post(f"/host/login/{token}")
    assert response.status_code == 400 and "within 15 minutes" in response.get_data(as_text=True)


def test_signing_out_ends_the_session_on_the_server(app, site, inbox):
    client = app.test_client()
    sign_in(app, client, inbox, "webmaster@lycee.example")
    copied = client.get_cookie("session").value  # someone copied the cookie
    client.post("/host/logout", data={"csrf_token": button_token(client)})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert "Send me a link" in thief.get("/host/").get_data(as_text=True)
    assert thief.get(f"/host/sites/{site.key}").status_code == 404


def test_sign_out_everywhere_ends_every_session(app, site, inbox):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(app, laptop, inbox, "webmaster@lycee.example")
    sign_in(app, phone, inbox, "webmaster@lycee.example")
    assert laptop.post("/host/logout-everywhere").status_code == 400  # without its CSRF token: refused
    assert "Your sites" in phone.get("/host/").get_data(as_text=True)
    laptop.post("/host/logout-everywhere", data={"csrf_token": button_token(laptop)})
    assert "Send me a link" in phone.get("/host/").get_data(as_text=True)
    assert "Send me a link" in laptop.get("/host/").get_data(as_text=True)


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app, site, inbox):
    client = app.test_client()
    ask_for_link(client, "webmaster@lycee.example")
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for("webmaster@lycee.example")[-1].get_body(("plain",)).get_content())
    path = "/" + url.split("/", 3)[3]
    secure = app.test_client()
    response = press_sign_in(secure, path, base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = app.test_client()
    ask_for_link(plain, "webmaster@lycee.example")
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for("webmaster@lycee.example", 2)[-1].get_body(("plain",)).get_content())
    assert "Secure" not in press_sign_in(plain, "/" + url.split("/", 3)[3]).headers["Set-Cookie"]


HOST_URLS = [("GET", "/host/sites/{key}"), ("GET", "/host/sites/{key}/edit"), ("POST", "/host/sites/{key}/edit"),
             ("POST", "/host/sites/{key}/rotate"), ("GET", "/host/sites/{key}/delete"),
             ("POST", "/host/sites/{key}/delete"), ("GET", "/host/sites/{key}/snippet"),
             ("GET", "/host/sites/{key}/poster"), ("GET", "/host/sites/{key}.csv"),
             ("GET", "/host/sites/{key}/paper"), ("POST", "/host/sites/{key}/paper")]


@pytest.mark.parametrize("method, path", HOST_URLS)
def test_every_host_url_of_another_hosts_site_is_a_404(app, site, inbox, method, path):
    intruder = app.test_client()
    state(app).store.add_site("Mairie", ["https://mairie.example"], "maire@mairie.example", "4p1000")
    sign_in(app, intruder, inbox, "maire@mairie.example")
    token = button_token(intruder)
    response = intruder.open(path.format(key=site.key), method=method, data={"csrf_token": token, "name": "Hacked",
                                                                             "origins": "https://evil.example"})
    assert response.status_code == 404
    assert app.test_client().open(path.format(key=site.key), method=method).status_code == 404  # signed out
    assert state(app).store.get_site(site.key).name == "Lycée Jean Moulin"  # nothing changed


def test_edit_rotate_and_delete_a_site(app, client, site, inbox):
    confirmed(app, app.test_client(), site, inbox, "site-rotation@example.org")
    sign_in(app, client, inbox, "webmaster@lycee.example")
    page = client.get(f"/host/sites/{site.key}/edit").get_data(as_text=True)
    client.post(f"/host/sites/{site.key}/edit", data={"csrf_token": CSRF.search(page).group(1), "name": "Lycée J. M.",
                                                      "origins": "https://lycee.example\nhttps://new.lycee.example"})
    assert state(app).store.get_site(site.key).origins == ("https://lycee.example", "https://new.lycee.example")

    response = client.post(f"/host/sites/{site.key}/rotate", data={"csrf_token": button_token(client)})
    new_key = response.headers["Location"].rsplit("/", 1)[-1]
    assert new_key != site.key
    dashboard = client.get(f"/host/sites/{new_key}").get_data(as_text=True)
    assert f"The old key {site.key}" not in dashboard and site.key in dashboard and "keeps working until" in dashboard
    assert app.test_client().get(f"/w/{site.key}").status_code == 200  # the old key, within its grace period
    assert state(app).store.counts("4p1000", new_key).site == 1  # the signatures moved with the site

    client.post(f"/host/sites/{new_key}/delete", data={"csrf_token": button_token(client)})
    assert app.test_client().get(f"/w/{new_key}").status_code == 404
    assert state(app).store.counts("4p1000", new_key).total == 1  # still in the campaign's total


def test_where_is_my_widget_costs_no_write_per_view(app, client, site, inbox, monkeypatch):
    writes = []
    store = state(app).store
    real = store.widgets_seen
    monkeypatch.setattr(store, "widgets_seen", lambda views: (writes.append(views), real(views)))
    for _ in range(5):
        client.get(f"/w/{site.key}?origin=https%3A%2F%2Flycee.example")
    client.get(f"/w/{site.key}?origin=https%3A%2F%2Fstranger.example")  # not one of the site's origins
    assert len(writes) == 1 and len(writes[0]) == 1
    # Views of many sites within a second: written together with the next view after it (issue 26).
    others = [store.add_site(f"School {n}", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
              for n in range(5)]
    for other in others:
        client.get(f"/w/{other.key}?origin=https%3A%2F%2Flycee.example")
    assert len(writes) == 1
    state(app).seen_written_at -= 1
    client.get(f"/w/{site.key}?hl=fr&origin=https%3A%2F%2Flycee.example")  # seen already: nothing to record, nothing written
    assert len(writes) == 1
    later = store.add_site("School 6", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    client.get(f"/w/{later.key}?origin=https%3A%2F%2Flycee.example")
    assert len(writes) == 2 and {view[0] for view in writes[1]} == {other.key for other in [*others, later]}
    owner = app.test_client()
    sign_in(app, owner, inbox, "webmaster@lycee.example")
    html = owner.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "last loaded on" in html and "stranger.example" not in html


def test_the_dashboard_says_where_the_widget_was_never_seen(app, client, site, inbox):
    sign_in(app, client, inbox, "webmaster@lycee.example")
    html = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "not seen yet: is the snippet on a page of <bdi>https://lycee.example</bdi>?" in html


def test_operator_lists_and_disables_hosts(app, site, inbox):
    client = app.test_client()
    sign_in(app, client, inbox, "webmaster@lycee.example")
    runner = app.test_cli_runner()
    [host] = json.loads(runner.invoke(args=["pledge", "host", "list", "--json"]).stdout)
    assert host["email"] == "webmaster@lycee.example" and host["sites"] == 1 and host["disabled_at"] is None
    assert runner.invoke(args=["pledge", "host", "disable", "WebMaster@lycee.example"]).exit_code == 0
    assert "Send me a link" in client.get("/host/").get_data(as_text=True)  # its session ended
    assert app.test_client().get(f"/w/{site.key}").status_code == 404  # its sites stopped
    assert app.test_client().get(f"/api/v1/sites/{site.key}/count").status_code == 404  # as the widget does
    before = len(inbox.to("webmaster@lycee.example"))
    ask_for_link(app.test_client(), "webmaster@lycee.example")
    deliver(app)
    assert len(inbox.to("webmaster@lycee.example")) == before  # no more sign-in links
    assert runner.invoke(args=["pledge", "site", "disable", "bogus"]).exit_code == 2


def test_contact_details_only_with_the_separate_consent(app, client, site, inbox):
    confirmed(app, app.test_client(), site, inbox, "no-contact@example.org", name="Awa Silent")
    confirmed(app, app.test_client(), site, inbox, "contact-me@example.org", name="Bintou Open", contact_consent="y")
    sign_in(app, client, inbox, "webmaster@lycee.example")
    html = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert "contact-me@example.org" in html and "Bintou Open" in html
    assert "no-contact@example.org" not in html and "Awa Silent" not in html
    csv_text = client.get(f"/host/sites/{site.key}.csv").get_data(as_text=True)
    assert "contact-me@example.org" in csv_text and "no-contact@example.org" not in csv_text
    stored = state(app).store.find_confirmed("4p1000", "contact-me@example.org")
    assert stored.contact_consent.startswith("4p1000-declaration-2026-11/")  # the wording's version, stored
    widget = app.test_client().get(f"/w/{site.key}").get_data(as_text=True)
    assert re.search(r'<input id="contact_consent" name="contact_consent" type="checkbox" value="y">', widget)


@pytest.mark.parametrize("key, value", [("PLEDGE_HOST_SIGNUP", "opened"), ("PLEDGE_HOST_APPROVAL", "Manual")])
def test_a_mistyped_host_setting_stops_the_service_at_start(make_app, key, value):
    with pytest.raises(ValueError, match=key):
        make_app(**{key: value})


def test_a_host_that_got_notifications_can_still_sign_in_but_links_are_limited(make_app, site, inbox):
    app = make_app(PLEDGE_MAILS_PER_ADDRESS_PER_DAY=2, PLEDGE_HOST_LINKS_PER_HOUR=3)
    store = state(app).store
    for n in range(2):  # the day's share of mail to this address: two milestone mails, say
        from widget.store import Mail

        store.enqueue_mail(Mail(to="webmaster@lycee.example", subject=f"Milestone {n}", text="t", html="h"))
    deliver(app)
    before = len(inbox.to("webmaster@lycee.example"))
    for _ in range(5):
        ask_for_link(app.test_client(), "webmaster@lycee.example")
    deliver(app)
    assert len(inbox.to("webmaster@lycee.example")) - before == 3  # sign-in links: their own limit


def test_a_pasted_page_address_keeps_only_its_origin(app, client, inbox):
    sign_up(app, client, inbox, "page-address@example.org")
    key = add_site(client, origins="https://www.school.example/news/2026/soils.html?x=1#pledge").headers["Location"].split("/")[-2]
    assert state(app).store.get_site(key).origins == ("https://www.school.example",)


def test_a_host_stays_signed_in_for_the_session_days(make_app, site, inbox):
    app = make_app(PLEDGE_HOST_SESSION_DAYS=30)
    client = app.test_client()
    ask_for_link(client, "webmaster@lycee.example")
    deliver(app)
    [url] = LOGIN_LINK.findall(inbox.wait_for("webmaster@lycee.example")[-1].get_body(("plain",)).get_content())
    text = inbox.wait_for("webmaster@lycee.example")[-1].get_body(("plain",)).get_content()
    assert "within 15 minutes" in text  # what the mail says is what the link does
    cookie = press_sign_in(client, "/" + url.split("/", 3)[3]).headers["Set-Cookie"]
    assert "Expires=" in cookie  # not a cookie that dies with the browser


def test_host_pages_speak_to_hosts_when_a_page_is_not_theirs_and_after_leaving(app, site, inbox):
    client = app.test_client()
    page = client.get("/host/sites/no-such-key")
    assert page.status_code == 404 and "not a page of one of your sites" in page.get_data(as_text=True)
    sign_in(app, client, inbox, "webmaster@lycee.example")
    client.post(f"/host/sites/{site.key}/delete", data={"csrf_token": button_token(client)})
    assert "The site is deleted" in client.get("/host/?done=deleted").get_data(as_text=True)
    response = client.post("/host/logout", data={"csrf_token": button_token(client)})
    assert "You are signed out." in client.get(response.headers["Location"]).get_data(as_text=True)
