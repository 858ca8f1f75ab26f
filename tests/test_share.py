"""After confirming: share links with the right address, and "Put this button on your own website"
(a host account for the address just proven, without another e-mail)."""
from __future__ import annotations

import html
import json
import re
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import deliver, links, path_of, post_sign_on, run_sql
from widget import state

pytestmark = pytest.mark.both_engines

SHARE_LINK = re.compile(r'<a href="([^"]+)" data-service="([a-z]+)"')
BUTTON_TOKEN = re.compile(r'<input type="hidden" name="token" value="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LIST_PAGE = "http://localhost/c/4p1000/signatories"

#: Each service's share page: (scheme, host, path).
ENDPOINTS = {
    "email": ("mailto", "", ""),
    "whatsapp": ("https", "wa.me", "/"),
    "telegram": ("https", "t.me", "/share/url"),
    "facebook": ("https", "www.facebook.com", "/sharer/sharer.php"),
    "x": ("https", "x.com", "/intent/tweet"),
    "linkedin": ("https", "www.linkedin.com", "/sharing/share-offsite/"),
    "bluesky": ("https", "bsky.app", "/intent/compose"),
}


def thank_you(app, client, site, inbox, address: str, **fields) -> str:
    """Sign (with the widget's form fields ``fields``), confirm from the real mail, return the thank-you page."""
    post_sign_on(client, site.key, address, **fields)
    deliver(app)
    [confirm] = links(inbox.wait_for(address)[-1])
    response = client.post(path_of(confirm))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # one signatory's page: never kept
    assert "Set-Cookie" not in response.headers  # nothing stored in their browser unless they ask for more
    return response.get_data(as_text=True)


def share_links(page: str) -> dict[str, str]:
    return {service: html.unescape(href) for href, service in SHARE_LINK.findall(page)}


def shared_address(service: str, href: str) -> str:
    """The address a share link carries, read the way the service reads it."""
    parts = urlsplit(href)
    query = parse_qs(parts.query if service != "email" else href.split("?", 1)[1])
    if service in ("telegram", "x", "linkedin"):
        return query["url"][0]
    if service == "facebook":
        return query["u"][0]
    text = query["body" if service == "email" else "text"][0]
    return text.rsplit(" ", 1)[1]


def assert_shares(page: str, address: str, tagged: bool = False) -> None:
    """Every share link shares ``address``; ``tagged`` (a host page's): with ``utm_source=share`` and the
    link's channel as ``utm_medium``, so that the host counts what sharing brought."""
    found = share_links(page)
    assert set(found) == set(ENDPOINTS)
    for service, href in found.items():
        parts = urlsplit(href)
        assert (parts.scheme, parts.netloc, parts.path) == ENDPOINTS[service], href
        expected = f"{address}?utm_source=share&utm_medium={service}" if tagged else address
        assert shared_address(service, href) == expected, (service, href)
        # URL-encoded: the address is never raw in the query (its own "?" or "&" would cut it short).
        assert address not in href and "%3A%2F%2F" in href
    assert "+" not in found["email"].split("?", 1)[1]  # mailto: spaces are %20 (RFC 6068)
    assert f'id="share-address" dir="ltr">{address}</a>' in page


def test_shares_the_host_page_where_they_signed(app, client, site, inbox):
    page = thank_you(app, client, site, inbox, "amina@coop.example",
                     page="https://lycee.example/soutien/4p1000?utm_source=x#form")
    assert_shares(page, "https://lycee.example/soutien/4p1000", tagged=True)  # no query of its own, no fragment
    assert "Share by e-mail" in page and "Share on Bluesky" in page  # every link has words, not an icon
    text = unquote(share_links(page)["whatsapp"])
    assert "I have signed" in text and "Will you sign too?" in text
    # The Web Share button, for the browsers that have it, is hidden until the script finds navigator.share.
    assert re.search(r'<button type="button" id="share-native" hidden[^>]*data-url="https://lycee.example/soutien/4p1000\?utm_source=share&amp;utm_medium=native"', page)
    assert "/pledge-static/share.js" in page


def test_without_a_page_the_campaigns_public_list_is_shared(app, client, site, inbox):
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    assert_shares(page, LIST_PAGE)


@pytest.mark.parametrize("spoofed", [
    "https://evil.example/phishing",  # another site's page
    "https://lycee.example.evil.example/x",  # an origin that only starts like the site's
    "javascript:alert(1)//https://lycee.example/",
    "https://user@lycee.example/x",
    "https://lycee.example/a b",
    "http://lycee.example/x",  # the site registered https only
])
def test_a_page_address_from_another_origin_is_ignored(app, client, site, inbox, spoofed):
    page = thank_you(app, client, site, inbox, "amina@coop.example", page=spoofed)
    assert_shares(page, LIST_PAGE)
    [signon] = state(app).store.signons_of("amina@coop.example")
    assert signon.page_url is None


def test_a_form_sent_back_keeps_the_page_address_and_the_widget_page_never_carries_one(app, client, site, inbox):
    # The widget page every host page shares (a cached copy): its field is empty, the script fills it.
    assert '<input type="hidden" name="page" id="page" value="">' in client.get(f"/w/{site.key}").get_data(as_text=True)
    sent_back = post_sign_on(client, site.key, "not an address", page="https://lycee.example/soutien")
    assert sent_back.status_code == 400
    assert 'name="page" id="page" value="https://lycee.example/soutien"' in sent_back.get_data(as_text=True)
    spoofed = post_sign_on(client, site.key, "not an address", page="https://evil.example/")
    assert 'name="page" id="page" value=""' in spoofed.get_data(as_text=True)


def test_the_thank_you_page_loads_nothing_from_another_host(app, client, site, inbox):
    page = thank_you(app, client, site, inbox, "amina@coop.example", page="https://lycee.example/")
    for src in re.findall(r'<(?:script|img|iframe|link)[^>]+(?:src|href)="([^"]+)"', page):
        assert src.startswith(("/", "data:")), src
    assert "<iframe" not in page and "<img" not in page


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_arabic_or_persian_signatory_gets_rtl_page_and_links_in_arabic_page(app, client, site, inbox, lang):
    page = thank_you(app, client, site, inbox, "amina@coop.example", query=f"?lang={lang}")
    assert f'<html lang="{lang}" dir="rtl"' in page
    assert_shares(page, LIST_PAGE)


# -- "Put this button on your own website" -------------------------------------------------------


#: What a browser sends with a form posted from one of the service's own pages.
SAME_ORIGIN = {"Origin": "http://localhost"}


def press(client, token: str, headers=SAME_ORIGIN):
    """Press "Put this button on your own website" with ``token``, as a browser on our page would."""
    return client.post("/host/from-sign-on", data={"token": token}, headers=headers)


def become_host(client, page: str):
    return press(client, BUTTON_TOKEN.search(page).group(1))


def test_becoming_a_host_lands_on_a_prefilled_form_then_the_dashboard(app, client, site, inbox, runner):
    store = state(app).store
    assert store.hosts_from_signons() == 0
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    assert "Put this button on your own website" in page
    response = become_host(client, page)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/host/sites/new"
    assert len(inbox.to("amina@coop.example")) == 1  # the confirmation only: no sign-in mail was needed

    form = client.get(response.headers["Location"])
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    text = form.get_data(as_text=True)
    assert "Signed in as <bdi>amina@coop.example</bdi>" in text
    assert 'value="Coopérative des Sols Vivants"' in text
    assert re.search(r'<option selected value="4p1000">|<option value="4p1000" selected', text)

    added = client.post("/host/sites/new", data={"csrf_token": FORM_CSRF.search(text).group(1),
                                                 "name": "Coopérative des Sols Vivants",
                                                 "origins": "https://sols-vivants.example", "campaign": "4p1000",
                                                 "lang": "fr"})
    assert added.status_code == 303
    [new_site] = store.sites_of("amina@coop.example")
    assert new_site.name == "Coopérative des Sols Vivants" and new_site.origins == ("https://sols-vivants.example",)
    snippet = client.get(added.headers["Location"]).get_data(as_text=True)
    assert f"/w/{new_site.key}" in snippet
    assert client.get(f"/host/sites/{new_site.key}").status_code == 200

    assert store.hosts_from_signons() == 1
    assert store.hosts_from_signons("4p1000") == 1 and store.hosts_from_signons("other") == 0
    listed = json.loads(runner.invoke(args=["pledge", "host", "list", "--json"]).output)
    assert {"email": "amina@coop.example", "from_campaign": "4p1000"}.items() <= \
        next(h for h in listed if h["email"] == "amina@coop.example").items()
    assert next(h for h in listed if h["email"] == "webmaster@lycee.example")["from_campaign"] is None
    text = runner.invoke(args=["pledge", "host", "list"])
    assert "from sign-on" in text.stdout.splitlines()[0]
    assert "amina@coop.example\t1\t" in text.stdout and text.stdout.rstrip().endswith("4p1000")
    assert "1 host(s) signed up from a sign-on's thank-you page" in text.stderr


def test_the_button_works_once_and_only_for_its_own_address(app, client, site, inbox):
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    token = BUTTON_TOKEN.search(page).group(1)
    assert become_host(client, page).status_code == 303

    # Copied to another browser (or pressed again after signing out): used, so refused.
    other = app.test_client()
    other_page = thank_you(app, other, site, inbox, "bob@farm.example")
    replay = press(other, token)
    assert replay.status_code == 400
    assert "This button does not work any more" in replay.get_data(as_text=True)
    assert other.get("/host/").get_data(as_text=True).count("Signed in as") == 0

    # A tampered token, or a token of another purpose, opens nothing.
    for bad in (token[:-2] + "xx", state(app).tokens.dumps("confirm", state(app).store.signons_of("bob@farm.example")[0].id)):
        assert press(other, bad).status_code == 400
    assert state(app).store.get_host("bob@farm.example") is None
    # Posted from another site (a forged login), or with no word of where from: nothing either.
    bobs = BUTTON_TOKEN.search(other_page).group(1)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, {}):
        refused = press(other, bobs, headers)
        # The same page whatever the reason: an older browser that says neither still finds the way to
        # sign up by e-mail.
        assert refused.status_code == 400 and "This button does not work any more" in refused.get_data(as_text=True)
    assert state(app).store.get_host("bob@farm.example") is None
    assert press(other, bobs, {"Sec-Fetch-Site": "same-origin"}).status_code == 303  # a browser without Origin
    # Bob's own button made Bob a host, never Amina again.
    assert "Signed in as <bdi>bob@farm.example</bdi>" in other.get("/host/").get_data(as_text=True)
    assert state(app).store.hosts_from_signons() == 2


def test_a_disabled_host_stays_out(app, client, site, inbox, runner):
    store = state(app).store
    store.create_host("amina@coop.example")
    assert runner.invoke(args=["pledge", "host", "disable", "amina@coop.example"]).exit_code == 0
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    assert "Put this button on your own website" not in page and 'name="token"' not in page
    [signon] = store.signons_of("amina@coop.example")
    token = state(app).tokens.dumps("host-from-signon", signon.id)
    refused = press(client, token)
    assert refused.status_code == 400
    assert "Signed in as" not in client.get("/host/").get_data(as_text=True)
    assert store.get_host("amina@coop.example").disabled_at is not None
    assert store.hosts_from_signons() == 0


def test_disabled_between_page_and_button_stays_out(app, client, site, inbox, runner):
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    state(app).store.create_host("amina@coop.example")
    runner.invoke(args=["pledge", "host", "disable", "amina@coop.example"])
    assert become_host(client, page).status_code == 400
    assert "Signed in as" not in client.get("/host/").get_data(as_text=True)


def test_a_withdrawn_sign_on_cannot_become_a_host(app, client, site, inbox):
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    [signon] = state(app).store.signons_of("amina@coop.example")
    state(app).store.withdraw_signon(signon.id)
    assert become_host(client, page).status_code == 400
    assert state(app).store.get_host("amina@coop.example") is None


def test_a_confirmation_link_clicked_much_later_offers_no_host_account(app, client, site, inbox):
    thank_you(app, client, site, inbox, "amina@coop.example")
    store = state(app).store
    [signon] = store.signons_of("amina@coop.example")
    # Two hours later, the link is clicked again (or by whoever it was forwarded to).
    run_sql(store, "UPDATE signons SET confirmed_at = ? WHERE id = ?", [time.time() - 7200, signon.id])
    [confirm] = links(inbox.to("amina@coop.example")[-1])
    later = app.test_client()
    again = later.get(path_of(confirm)).get_data(as_text=True)
    assert "Already confirmed" in again
    assert 'name="token"' not in again
    assert share_links(again)  # sharing is still offered
    refused = press(later, state(app).tokens.dumps("host-from-signon", signon.id))
    assert refused.status_code == 400 and store.get_host("amina@coop.example") is None


def test_closed_sign_up_offers_no_host_account(make_app, inbox):
    app = make_app(PLEDGE_HOST_SIGNUP="closed")
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    page = thank_you(app, app.test_client(), site, inbox, "amina@coop.example")
    assert share_links(page) and 'name="token"' not in page


def test_behind_a_public_url_the_list_address_and_the_origin_are_the_public_ones(make_app, inbox):
    app = make_app(PLEDGE_PUBLIC_URL="https://pledge.example")
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    client = app.test_client()
    page = thank_you(app, client, site, inbox, "amina@coop.example")
    assert_shares(page, "https://pledge.example/c/4p1000/signatories")
    assert press(client, BUTTON_TOKEN.search(page).group(1), {"Origin": "https://pledge.example"}).status_code == 303
