"""Counter badges: a small, valid, accessible SVG of a count, in the reader's language, cacheable like
the count API."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from test_opendata import populate

from widget import i18n
from widget.badge import render, short_label, text_width
from widget.appstate import state
from widget.views.common import number

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def sites(app):
    store = state(app).store
    one = store.add_site("One", ["https://one.example"], "w@one.example", "4p1000")
    two = store.add_site("Two", ["https://two.example"], "w@two.example", "4p1000")
    populate(store, one.key, two.key)  # one: 2 confirmed, two: 2 confirmed, the campaign: 4
    return one, two


def parse(response) -> ET.Element:
    svg = ET.fromstring(response.get_data())
    assert svg.tag == SVG + "svg" and svg.get("role") == "img"
    title = svg.find(SVG + "title")
    assert title is not None and svg.get("aria-labelledby") == title.get("id")
    return svg


def test_a_sites_badge_shows_its_count(client, sites):
    one, _two = sites
    response = client.get(f"/badge/{one.key}.svg?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert len(response.get_data()) < 2048
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert headers["Cache-Control"].startswith("public, max-age=")
    svg = parse(response)
    assert svg.find(SVG + "title").text == "4 per 1000: 2 signatures"
    assert "https://" not in response.get_data(as_text=True).replace("http://www.w3.org/2000/svg", "")
    again = client.get(f"/badge/{one.key}.svg?lang=en", headers={"If-None-Match": headers["ETag"]})
    assert again.status_code == 304 and not headers["ETag"].startswith("W/")


def test_the_campaigns_badge_shows_the_total_in_the_readers_language(client, sites):
    response = client.get("/badge/campaign/4p1000.svg", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 200 and response.headers["Content-Language"] == "fr"
    assert "Accept-Language" in response.headers.get("Vary", "")
    assert parse(response).find(SVG + "title").text == "4 pour 1000: 4 signatures"


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_an_arabic_or_persian_badge_reads_right_to_left(client, app, sites, lang):
    one, _two = sites
    response = client.get(f"/badge/{one.key}.svg?lang={lang}")
    svg = parse(response)
    group = svg.find(SVG + "g")
    assert group.get("direction") == "rtl" and group.get("text-anchor") == "middle"
    label, count = svg.findall(f"{SVG}g/{SVG}text")
    assert float(label.get("x")) > float(count.get("x"))  # the label first, on the right
    with app.test_request_context(), i18n.speaking(lang):
        two = number(2)
    assert two in count.text and count.text != "2 signatures"


def test_unknown_disabled_and_odd_keys_are_a_404(client, app, sites):
    one, _two = sites
    state(app).store.update_site(one.key, status="disabled")
    for path in (f"/badge/{one.key}.svg", "/badge/nope.svg", "/badge/campaign/nope.svg", "/badge/a%20b.svg"):
        assert client.get(path).status_code == 404, path


def test_text_is_escaped_and_the_width_never_clips():
    svg = render("<b>&\"x\"</b>", "12 345 signatures", "en", "ltr")
    root = ET.fromstring(svg)
    assert root.find(SVG + "title").text == '<b>&"x"</b>: 12 345 signatures'
    assert text_width("WWWW") > text_width("iiii")
    assert int(root.get("width")) >= text_width("<b>&\"x\"</b>") + text_width("12 345 signatures")
    assert short_label("4 per 1000: Declaration of Intent") == "4 per 1000"
    assert len(short_label("x" * 100)) <= 40


def test_the_snippet_builder_offers_the_badge_as_html_and_markdown(app, client, site, inbox):
    import html
    import re

    from test_host import sign_in

    sign_in(app, client, inbox, site.owner_email)
    page = client.get(f"/host/sites/{site.key}/snippet?snippet_lang=fr").get_data(as_text=True)
    as_html = html.unescape(re.search(r'id="badge-html" data-live><code>(.*?)</code>', page, re.S).group(1))
    as_markdown = html.unescape(re.search(r'id="badge-markdown" data-live><code>(.*?)</code>', page, re.S).group(1))
    badge, link = f"http://localhost/badge/{site.key}.svg?lang=fr", f"http://localhost/w/{site.key}?lang=fr"
    assert as_html.startswith(f'<a href="{link}"><img src="{badge}" alt="4 pour 1000')
    assert re.fullmatch(rf"\[!\[4 pour 1000[^]]*\]\({re.escape(badge)}\)\]\({re.escape(link)}\)", as_markdown)
    assert client.get(badge.removeprefix("http://localhost")).status_code == 200
