"""The new public reads (the list of signatories, the badges) say ``Vary: Accept-Language`` exactly when
the visitor's Accept-Language chose their language, whichever request filled the page cache first.

A shared cache (the nginx front, a company proxy) keys on the URL and the answer's Vary. If the address
without ``?lang=`` were once answered without ``Vary: Accept-Language`` (because a ``?lang=fr`` request
had filled the process's page cache under the same key), the proxy would serve that French copy to every
visitor of the address, whatever their language.

And an entry the operator hides from another process leaves the page, the JSON and the widget's list mode
once PLEDGE_CACHE_SECONDS have passed.
"""
from __future__ import annotations

import time

import pytest
from test_list import sign

from widget import listing
from widget.appstate import state
from widget.store.listing import public_id


@pytest.fixture
def cached_client(make_app):
    app = make_app(PLEDGE_CACHE_SECONDS=5)  # pages kept, as in production
    site = state(app).store.add_site("One", ["https://one.example"], "w@one.example", "4p1000")
    return app.test_client(), site.key


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",") if part.strip()}


@pytest.mark.parametrize("path", ["/c/4p1000/signatories", "/badge/{key}.svg", "/badge/campaign/4p1000.svg"])
def test_the_address_without_lang_varies_on_accept_language_even_after_a_lang_request(cached_client, path):
    client, key = cached_client
    path = path.format(key=key)
    chosen = client.get(f"{path}?lang=fr", headers={"Accept-Language": "en"})
    assert chosen.status_code == 200 and "accept-language" not in vary(chosen)
    negotiated = client.get(path, headers={"Accept-Language": "fr"})
    assert negotiated.status_code == 200
    assert "accept-language" in vary(negotiated)



def test_an_entry_hidden_from_another_process_leaves_every_list_within_the_cache_time(make_app, monkeypatch):
    # The operator hides from the CLI (another process): the service's workers keep their copies at most
    # PLEDGE_CACHE_SECONDS, and say so to proxies (max-age), so the entry is gone from the page, the JSON
    # and the widget's list mode once that has passed.
    service = make_app(PLEDGE_CACHE_SECONDS=5)
    store = state(service).store
    site = store.add_site("One", ["https://one.example"], "w@one.example", "4p1000")
    sign(store, "x" * 36, organization="Hidden Later Ltd", site_key=site.key)
    client = service.test_client()
    reads = ["/c/4p1000/signatories", "/api/v1/campaigns/4p1000/signatories", f"/w/{site.key}?mode=list&hl=en"]
    for path in reads:
        response = client.get(path)
        assert "Hidden Later Ltd" in response.get_data(as_text=True)
        assert "max-age=5," in response.headers["Cache-Control"]

    listing.hide(state(make_app()).store, public_id("x" * 36), "spam")  # as `pledge-widget list hide` does
    later = time.monotonic() + 5.1
    monkeypatch.setattr("widget.caching.time.monotonic", lambda: later)
    for path in reads:
        assert "Hidden Later Ltd" not in client.get(path).get_data(as_text=True), path


def test_a_signed_in_hosts_public_reads_carry_no_cookie(cached_client):
    # A host signed in (a permanent session) reads the list, a badge, the open data: Flask would refresh
    # the session cookie on each answer. An answer marked public may be kept by any shared cache (a CDN,
    # a company proxy), which could then hand that host's session to everyone; and "Vary: Cookie" would
    # split every cache by visitor.
    client, key = cached_client
    with client.session_transaction() as session:
        session.permanent = True
        session["host"] = "w@one.example"
    for path in ("/c/4p1000/signatories", "/api/v1/campaigns/4p1000/signatories", f"/badge/{key}.svg",
                 "/api/v1/campaigns/4p1000", "/api/v1/campaigns/4p1000/daily.csv", f"/w/{key}?mode=list",
                 f"/api/v1/sites/{key}/count"):
        response = client.get(path)
        assert response.status_code == 200 and "public" in response.headers["Cache-Control"], path
        assert "Set-Cookie" not in response.headers, path
        assert "cookie" not in vary(response), path
