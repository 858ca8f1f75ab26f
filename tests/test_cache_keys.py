"""Every kept public answer is keyed by exactly what it depends on (issue 18, item 5).

An attacker asked the public list's JSON with ``?country=ZZ``: its empty answer was kept under the key of
the unfiltered list, and everybody got ``[]`` for the cache's lifetime. The oracle here catches the whole
class: an app that keeps its pages (and answers from the WSGI fast path) must answer every request exactly
as an app that renders each one afresh, on the same database, whatever was asked before: other filters,
spellings of the same query, other hosts, other languages.
"""
from __future__ import annotations

import pytest
from test_list import sign

from widget import state
from widget.assets import static_asset

HOSTS = ("http://a.example", "http://b.example")
LANGUAGES = ("fr", "de")
#: The names a bad Host header check (PLEDGE_TRUSTED_HOSTS, Flask's TRUSTED_HOSTS) lets through.
TRUSTED = {"TRUSTED_HOSTS": ["a.example", "b.example", "localhost"], "PLEDGE_TRUSTED_HOSTS": "a.example,b.example,localhost"}


@pytest.fixture
def twins(make_app):
    """(kept, fresh): the same service on the same database, keeping its public pages or not."""
    kept = make_app(PLEDGE_CACHE_SECONDS=60, **TRUSTED)
    fresh = make_app(PLEDGE_CACHE_SECONDS=0, **TRUSTED)
    store = state(kept).store
    site = store.add_site("Lycée", ["https://lycee.example"], "webmaster@lycee.example", "4p1000")
    for n in range(53):  # more than a page: the JSON has a `next` link
        sign(store, f"e{n:02}", f"Ferme {n:02}", site_key=site.key, country=("FR", "SN")[n % 2],
             org_type=("company", "research")[n % 3 == 0], at=30000.0 + n)
    return kept, fresh, site.key


def paths(site_key: str) -> list[str]:
    """Public reads, each in spellings that mean the same, and with values that do not."""
    widget = f"/w/{site_key}"
    api = "/api/v1/campaigns/4p1000/signatories"
    page = "/c/4p1000/signatories"
    return [
        # The list: an unknown country or type first, then the unfiltered list and its other spellings.
        f"{api}?country=ZZ", f"{api}?org_type=bogus", api, f"{api}?country=", f"{api}?q=", f"{api}?country=fr",
        f"{api}?country=FR", f"{api}?q=ferme+0", f"{api}?country=SN&org_type=research",
        f"{page}?country=ZZ", page, f"{page}?country=", f"{page}?lang=fr", f"{page}?hl=fr", f"{page}?lang=xx",
        # The widget: spellings of one page, then pages that differ.
        f"{widget}?min=007&mode=nope", f"{widget}?min=7", f"{widget}?mode=form&min=7&theme=unknown",
        f"{widget}?min=1000000001",
        f"{widget}?accent=1D5E2B", f"{widget}?accent=%231d5e2b", f"{widget}?lang=FR-ca", f"{widget}?lang=fr",
        f"{widget}?hl=fr", f"{widget}?lang=xx", f"{widget}?mode=list", f"{widget}?mode=list&scope=campaign",
        f"{widget}?mode=list&scope=junk", f"{widget}?origin=http://a.example", f"{widget}?origin=http://b.example",
        f"{widget}?origin=https://lycee.example", f"{widget}?origin=https://lycee.example" + "x" * 400,
        f"{widget}?mode=button&theme=dark&origin=https://lycee.example&hl=de",
        # Badges, counts, open data, the loader and a static file.
        f"/badge/{site_key}.svg", f"/badge/{site_key}.svg?lang=fr", "/badge/campaign/4p1000.svg?lang=xx",
        f"/api/v1/sites/{site_key}/count", "/api/v1/campaigns/4p1000", "/api/v1/campaigns/4p1000/daily.json",
        f"/api/v1/sites/{site_key}/daily.csv", "/api/v1/openapi.json", "/embed.js",
        f"/pledge-static/widget.js?v={static_asset('widget.js').version}", "/pledge-static/widget.js?v=old",
    ]


def test_a_kept_answer_is_the_answer_the_request_would_get_afresh(twins):
    kept, fresh, site_key = twins
    kept_client, fresh_client = kept.test_client(), fresh.test_client()
    differences = []
    for path in paths(site_key):
        for base_url in HOSTS:
            for lang in LANGUAGES:
                asked = {"base_url": base_url, "headers": {"Accept-Language": lang}}
                answer, expected = kept_client.get(path, **asked), fresh_client.get(path, **asked)
                assert expected.status_code in (200, 400, 404), (path, expected.status_code)
                if (answer.status_code, answer.data, answer.headers.get("Vary")) != (
                        expected.status_code, expected.data, expected.headers.get("Vary")):
                    differences.append(f"{base_url}{path[:120]} [{lang}]")
    assert not differences, "kept answers that differ from a fresh one:\n" + "\n".join(differences)


def test_an_unknown_filter_empties_its_own_answer_only(make_app):
    """The case the attack found, both ways round, in the JSON and on the page."""
    app = make_app(PLEDGE_CACHE_SECONDS=60)
    sign(state(app).store, "a1", "Ferme du Bocage", country="FR")
    client = app.test_client()
    api = "/api/v1/campaigns/4p1000/signatories"
    assert client.get(f"{api}?country=ZZ").json["items"] == []
    assert [item["organization"] for item in client.get(api).json["items"]] == ["Ferme du Bocage"]
    assert client.get(f"{api}?org_type=bogus").json["items"] == []  # after the full list: still nothing
    assert "Ferme du Bocage" in client.get("/c/4p1000/signatories?country=ZZ").get_data(as_text=True)
    assert "not a known country" not in client.get("/c/4p1000/signatories").get_data(as_text=True)


def test_spellings_of_one_widget_page_share_one_copy(make_app):
    """No more than what the answer depends on either: the same page is kept once."""
    app = make_app(PLEDGE_CACHE_SECONDS=60)
    site = state(app).store.add_site("Lycée", ["https://lycee.example"], "w@lycee.example", "4p1000")
    client = app.test_client()
    pages = state(app).pages
    for query in ("?min=7&mode=nope&lang=fr", "?lang=FR&mode=form&min=007", "?theme=light&min=7&lang=fr-BE"):
        client.get(f"/w/{site.key}{query}")
    assert len([key for key in pages._pages if key[0] == "widget"]) == 1
