"""The sign-on journey through the real HTTP surface, with mail delivered over real SMTP."""
from __future__ import annotations

import pytest

import re

from conftest import deliver, form_token, links, path_of, post_sign_on
from test_tokens import tamper

from widget import state

# The journeys of the README, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_sign_on_confirm_and_count(app, client, site, inbox):
    address = "amina@coop-sols.example"
    response = post_sign_on(client, site.key, address)
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)

    assert deliver(app) == (1, 0)
    [mail] = inbox.wait_for(address)
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    [confirm_url] = links(mail)
    assert confirm_url in mail.get_body(("html",)).get_content()

    # A mail scanner opening the link confirms nothing.
    page = client.get(path_of(confirm_url))
    assert page.status_code == 200 and "Confirm my signature" in page.get_data(as_text=True)
    assert client.get(f"/api/v1/sites/{site.key}/count").json == {"campaign": "4p1000", "site": 0, "total": 0, "goal": 100000, "status": "open", "closes": None}

    done = client.post(path_of(confirm_url))
    assert "your signature is confirmed" in done.get_data(as_text=True)
    assert client.get(f"/api/v1/sites/{site.key}/count").json["site"] == 1

    again = client.post(path_of(confirm_url))
    assert "Already confirmed" in again.get_data(as_text=True)
    assert client.get(f"/api/v1/sites/{site.key}/count").json == {"campaign": "4p1000", "site": 1, "total": 1, "goal": 100000, "status": "open", "closes": None}
    assert state(app).store.recount() == []


def test_errors_are_shown_next_to_fields_and_input_is_kept(app, client, site):
    response = post_sign_on(client, site.key, "not-an-address", organization="Ferme <b>Bio</b>", consent=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in html and 'aria-describedby="email-error"' in html
    assert "Please enter a valid e-mail address" in html
    assert "Please tick this box to sign." in html
    assert 'value="not-an-address"' in html
    assert 'value="Ferme &lt;b&gt;Bio&lt;/b&gt;"' in html  # kept, and escaped
    assert '<option selected value="SN">' in html
    assert state(app).store.outbox_stats()["queued"] == 0


def test_form_without_valid_token_changes_nothing(app, client, site):
    for token in (None, "", "forged.token.value", "x" * 40):
        data = {"email": "x@example.org", "name": "X", "consent": "y"}
        if token is not None:
            data["form_token"] = token
        response = client.post(f"/w/{site.key}", data=data)
        assert response.status_code == 400
        assert "This form could not be checked" in response.get_data(as_text=True)
    assert state(app).store.outbox_stats()["queued"] == 0


def test_form_token_of_another_site_is_refused(app, client, site):
    other = state(app).store.add_site("Other", ["https://other.example"], "o@other.example", "4p1000")
    response = post_sign_on(client, site.key, "a@example.org", form_token=form_token(client, other.key))
    assert response.status_code == 400
    assert state(app).store.outbox_stats()["queued"] == 0


def test_tampered_link_gets_a_clear_error_page(app, client, site, inbox):
    post_sign_on(client, site.key, "tampered@example.org")
    deliver(app)
    [url] = links(inbox.wait_for("tampered@example.org")[0])
    tampered = tamper(path_of(url))
    for method in (client.get, client.post):
        response = method(tampered)
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)
    assert state(app).store.counts("4p1000", site.key).site == 0


def test_expired_link_offers_a_new_one(make_app, monkeypatch, inbox):
    app = make_app(PLEDGE_CONFIRM_MAX_AGE=3600, PLEDGE_RESEND_COOLDOWN=0)
    client = app.test_client()
    site = state(app).store.add_site("S", ["https://s.example"], "s@s.example", "4p1000")
    post_sign_on(client, site.key, "late@example.org")
    deliver(app)
    [old] = links(inbox.wait_for("late@example.org")[0])

    from itsdangerous.timed import TimestampSigner

    real_timestamp = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real_timestamp(self) + 7200)  # 2 h later
    page = client.get(path_of(old))
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    assert client.post(path_of(old)).status_code == 410  # an expired link confirms nothing
    assert state(app).store.counts("4p1000", site.key).site == 0
    monkeypatch.undo()  # back to now, so the new link is signed now
    renewed = client.post(path_of(old) + "/renew")
    assert "We have sent you a new link" in renewed.get_data(as_text=True)

    deliver(app)
    mails = inbox.wait_for("late@example.org", count=2)
    [new] = links(mails[-1])
    assert "your signature is confirmed" in client.post(path_of(new)).get_data(as_text=True)
    assert state(app).store.counts("4p1000", site.key).site == 1


def test_one_address_signs_a_campaign_once_and_keeps_its_first_site(app, client, site, inbox):
    other = state(app).store.add_site("Mairie", ["https://mairie.example"], "m@mairie.example", "4p1000")
    address = "twice@example.org"
    post_sign_on(client, site.key, address)
    post_sign_on(client, other.key, address)
    deliver(app)
    first, second = inbox.wait_for(address, count=2)
    client.post(path_of(links(first)[0]))
    response = client.post(path_of(links(second)[0]))
    assert "Already confirmed" in response.get_data(as_text=True)
    store = state(app).store
    assert store.counts("4p1000", site.key).site == 1
    assert store.counts("4p1000", other.key).site == 0
    assert store.counts("4p1000", other.key).total == 1

    # Signing a third time gets the ordinary answer, and a mail saying it is done already.
    response = post_sign_on(client, other.key, "Twice@Example.org")
    assert "Check your inbox" in response.get_data(as_text=True)
    deliver(app)
    third = inbox.wait_for(address, count=3)[-1]
    assert "already signed" in third["Subject"]
    assert links(third) == []
    assert store.counts("4p1000", other.key).total == 1


def test_count_api_is_public_and_clear_about_unknown_sites(client, site):
    response = client.get(f"/api/v1/sites/{site.key}/count")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.json == {"campaign": "4p1000", "site": 0, "total": 0, "goal": 100000, "status": "open", "closes": None}
    missing = client.get("/api/v1/sites/no-such-site/count")
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    assert missing.json["error"] == "not_found"


def test_widget_may_be_framed_only_by_its_sites_origins_and_sets_no_cookie(client, site):
    response = client.get(f"/w/{site.key}?origin=https://lycee.example")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://lycee.example" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "Set-Cookie" not in response.headers
    assert 'data-host-origin="https://lycee.example"' in response.get_data(as_text=True)
    # An origin the site did not register gets no height messages.
    other = client.get(f"/w/{site.key}?origin=https://evil.example").get_data(as_text=True)
    assert 'data-host-origin=""' in other
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]


def test_widget_shows_campaign_count_and_progress(app, client, site):
    html = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert "4 per 1000: Declaration of Intent" in html
    assert "soils are degraded" in html
    assert re.search(r'<progress max="100000" value="0"', html)
    for code in ("public_authority", "funding_body", "civil_society", "producers_group", "company", "research"):
        assert f'value="{code}"' in html
    assert "0 signatures" in html


def test_unknown_site_gets_a_page_not_an_error(client):
    response = client.get("/w/no-such-site")
    assert response.status_code == 404
    assert "There is no pledge form at this address" in response.get_data(as_text=True)


def test_withdraw_link_deletes_the_sign_on_and_uncounts_it(app, client, site, inbox):
    post_sign_on(client, site.key, "bye@example.org")
    deliver(app)
    mail = inbox.wait_for("bye@example.org")[0]
    client.post(path_of(links(mail)[0]))
    assert state(app).store.counts("4p1000", site.key).site == 1
    [withdraw] = links(mail, "withdraw")
    assert "Withdraw my signature" in client.get(path_of(withdraw)).get_data(as_text=True)
    assert state(app).store.counts("4p1000", site.key).site == 1  # GET changes nothing
    done = client.post(path_of(withdraw))
    assert "has been withdrawn" in done.get_data(as_text=True)
    assert state(app).store.counts("4p1000", site.key).site == 0
    assert state(app).store.find_confirmed("4p1000", "bye@example.org") is None
    assert client.post(path_of(links(mail)[0])).status_code == 404  # the confirm link now finds nothing


def test_the_services_own_pages_get_height_messages_whatever_the_port(client, site):
    # The test client's pages are at http://localhost: the front page's demo lives there too.
    html = client.get(f"/w/{site.key}?origin=http://localhost").get_data(as_text=True)
    assert 'data-host-origin="http://localhost"' in html
