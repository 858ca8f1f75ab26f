"""The widget page made once per campaign, language and query, then filled in for each site (issue 26):
the same bytes as a page rendered on its own, for awkward names and origins, in every language and mode,
whatever the campaign's state; and a campaign edited in the desk shows its new texts at once."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import time

import pytest

from conftest import run_sql
from widget import i18n, state
from widget.views import widget as view

NAMES = ['Lycée <b>"Jean" & \'Moulin\'</b>', "مدرسة النور", "%(site)s {{ site }} zq00qz", "A&amp;B <script>x</script>"]
ORIGINS = ["https://a.example", "http://localhost:8000"]


@pytest.fixture
def sites(app):
    store = state(app).store
    found = []
    for number, name in enumerate(NAMES):
        site = store.add_site(name, ORIGINS, f"web{number}@school.example", "4p1000")
        # Counts of each size: none, one (a singular), many (plural forms), above the goal.
        run_sql(store, "INSERT INTO counts (campaign, site_key, confirmed) VALUES (?, ?, ?)",
                ["4p1000", site.key, [0, 1, 22, 1234567][number]])
        found.append(site)
    run_sql(store, "INSERT INTO counts (campaign, site_key, confirmed) VALUES (?, ?, ?)", ["4p1000", "", 1234590])
    return found


def both_ways(app, site, query_string: str, campaign=None) -> tuple[str, str]:
    with app.test_request_context(f"/w/{site.key}?{query_string}"):
        from flask import request

        found, current = view.find_site(site.key)
        campaign = campaign or current
        lang = view.current_language(campaign)
        query = view.widget_query(request.args)
        return view.full_body(found, campaign, lang, query), view.shell_body(found, campaign, lang, query)


def test_every_language_and_mode_is_the_same_page_both_ways(app, sites):
    checked = 0
    variants = itertools.cycle([(sites[0], ORIGINS[0]), (sites[1], None), (sites[2], ORIGINS[1]),
                                (sites[3], "https://other.example")])
    for (lang, mode), (site, origin) in zip(itertools.product(i18n.LANGUAGES, view.SHELL_MODES), variants):
        query = f"mode={mode}&hl={lang}" + (f"&origin={origin}" if origin else "")
        full, filled = both_ways(app, site, query)
        assert filled == full, (lang, mode, site.name, origin)
        checked += 1
    assert checked == 16 * 3


@pytest.mark.parametrize("query", [
    "theme=dark&min=5&accent=1d5e2b&lang=de",
    "mode=counter&min=30&theme=auto",
    "mode=button&lang=ar&origin=https%3A%2F%2Fa.example%2F%3Cb%3E%22%27%20%26x%23y",  # an origin nobody registered
    "origin=http://localhost",  # our own origin (the front page's demo)
    "lang=xx&hl=fa&mode=nonsense&min=007",
])
def test_options_and_awkward_origins_are_the_same_page_both_ways(app, sites, query):
    for site in sites:
        full, filled = both_ways(app, site, query)
        assert filled == full, (query, site.name)


@pytest.mark.parametrize("life", [dict(paused_at=1.0), dict(closed_at=2.0), dict(opens=4102444800.0),
                                  dict(closes=time.time() + 5 * 86400)])
def test_a_campaign_in_every_state_is_the_same_page_both_ways(app, sites, life):
    campaign = dataclasses.replace(state(app).campaign("4p1000"), **life)
    for site, mode in zip(sites, view.SHELL_MODES + ("form",)):
        full, filled = both_ways(app, site, f"mode={mode}&lang=de&origin={ORIGINS[0]}", campaign)
        assert filled == full, (life, mode)


def test_the_page_served_is_the_filled_shell_with_the_etag_of_its_bytes(app, sites):
    client = app.test_client()
    site = sites[0]
    answer = client.get(f"/w/{site.key}?hl=de&origin={ORIGINS[0]}")
    full, _filled = both_ways(app, site, f"hl=de&origin={ORIGINS[0]}")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == full
    assert answer.headers["ETag"] == '"%s"' % hashlib.blake2b(full.encode(), digest_size=12).hexdigest()
    # Another worker (another app on the same database) makes the same bytes: the same ETag, a 304.
    other = app.test_client()
    assert other.get(f"/w/{site.key}?hl=de&origin={ORIGINS[0]}",
                     headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    # The list mode has no shell (its signatories are the site's own) and keeps its own rendering.
    assert client.get(f"/w/{site.key}?mode=list").status_code == 200


def test_a_campaign_edited_in_the_desk_shows_its_new_texts_at_once(app):
    pledge = state(app)
    spec = {"goal": 100, "default_lang": "en", "fields": ["name", "organization", "country"],
            "required": ["name", "organization"],
            "texts": {"en": {"title": "School gardens", "declaration": "We ask for a garden.", "consent": "I sign."}}}
    assert pledge.store.save_desk_campaign("gardens", spec, None, None, "desk@example.org", create=True)
    pledge.campaigns.refresh(force=True)
    site = pledge.store.add_site("School", ["https://school.example"], "web@school.example", "gardens")
    client = app.test_client()
    assert "School gardens" in client.get(f"/w/{site.key}?hl=en").get_data(as_text=True)
    spec["texts"]["en"]["title"] = "Gardens in every school"
    assert pledge.store.save_desk_campaign("gardens", spec, None, None, "desk@example.org", create=False)
    pledge.campaigns.refresh(force=True)
    page = client.get(f"/w/{site.key}?hl=en").get_data(as_text=True)
    assert "Gardens in every school" in page and "School gardens" not in page
