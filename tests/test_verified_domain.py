"""Verified organisations: the optional `website` field, and "verified domain" on the public list and the desk
when the confirmed address is at the website's registrable domain (tldextract's bundled list, no network)."""
from __future__ import annotations

import pytest
from conftest import deliver, links, path_of, post_sign_on
from test_admin_pages import ADMIN, sign_in

from widget import state
from widget.domains import registrable_domain, verified_domain

CAMPAIGNS_FILE = '''
[campaigns.sites]
fields = ["name", "email", "organization", "website", "consent"]
required = ["email", "organization", "consent"]

[campaigns.sites.texts.en]
title = "Websites that care"
declaration = "We care."
consent = "I agree to be listed."
'''


@pytest.mark.parametrize("website, email, domain", [
    ("https://www.example.co.uk/about", "ana@example.co.uk", "example.co.uk"),
    ("example.org", "Ana@EXAMPLE.ORG", "example.org"),
    ("http://shop.example.org:8080", "ana@example.org", "example.org"),
    ("https://www.bücher.de", "ana@xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("https://www.example.org", "ana@mail.example.org", None),  # the address's domain must be the registrable one
    ("https://www.example.org", "ana@example.net", None),
    ("co.uk", "ana@co.uk", None),  # a public suffix is no one's domain
    ("http://192.0.2.1/", "ana@192.0.2.1", None),
    ("", "ana@example.org", None),
])
def test_the_address_must_be_at_the_websites_registrable_domain(website, email, domain):
    assert verified_domain(email, website) == domain


def test_what_is_no_website_has_no_registrable_domain():
    assert registrable_domain("not a website") == ""
    assert registrable_domain("https://") == ""
    assert registrable_domain("localhost") == ""


def confirm(app, client, site_key, inbox, address, **answers):
    response = post_sign_on(client, site_key, address, **answers)
    assert "Check your inbox" in response.get_data(as_text=True), response.get_data(as_text=True)
    deliver(app)
    [confirm_url] = links(inbox.wait_for(address)[-1])
    assert "confirmed" in client.post(path_of(confirm_url)).get_data(as_text=True)


def test_the_public_list_and_the_desk_show_a_verified_domain(make_app, tmp_path, inbox):
    path = tmp_path / "campaigns.toml"
    path.write_text(CAMPAIGNS_FILE, encoding="utf-8")
    app = make_app(PLEDGE_CAMPAIGNS_FILE=str(path), PLEDGE_ADMINS=ADMIN)
    client = app.test_client()
    store = state(app).store
    site = store.add_site("Sites", ["https://sites.example"], "webmaster@sites.example", "sites")
    builtin = store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    assert 'name="website"' not in client.get(f"/w/{builtin.key}").get_data(as_text=True)  # opt-in
    page = client.get(f"/w/{site.key}").get_data(as_text=True)
    assert 'name="website"' in page and 'inputmode="url"' in page

    refused = post_sign_on(client, site.key, "x@example.org", website="not a website", org_type=None, country=None)
    assert refused.status_code == 400 and "Please enter a web address" in refused.get_data(as_text=True)

    confirm(app, client, site.key, inbox, "ana@example.org", organization="Verified Org",
            website="https://www.example.org/", org_type=None, country=None)
    confirm(app, client, site.key, inbox, "bo@example.net", organization="Other Org",
            website="https://www.example.org/", org_type=None, country=None)
    [verified] = store.signons_of("ana@example.org")
    assert verified.verified_domain == "example.org" and verified.answers["website"] == "https://www.example.org/"
    assert store.signons_of("bo@example.net")[0].verified_domain is None

    html = client.get("/c/sites/signatories").get_data(as_text=True)
    assert html.count("verified domain: example.org") == 1
    items = {item["organization"]: item for item in client.get("/api/v1/campaigns/sites/signatories").json["items"]}
    assert items["Verified Org"]["verified_domain"] == "example.org"
    assert items["Other Org"]["verified_domain"] is None

    desk = app.test_client()
    sign_in(app, desk)
    assert "verified domain: example.org" in desk.get("/admin/list").get_data(as_text=True)
