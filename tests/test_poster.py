"""The printable poster of a host site: title, count, a QR code (inline SVG, segno) to the site's sign-on page,
in the site's language, for its owner alone."""
from __future__ import annotations

import re
import time

import segno

from test_host import sign_in

from widget import state
from widget.store import Mail, SignOn

OWNER = "mairie@ville.example"
QR_PATH = re.compile(r'<svg[^>]*class="qr"[^>]*>.*?<path stroke="#000" d="([^"]+)"', re.S)


def add_site(app, lang="fr", name="Mairie de Villeneuve", owner=OWNER):
    return state(app).store.add_site(name, ["https://ville.example"], owner, "4p1000", lang=lang)


def confirmed_signon(app, site, address):
    """A confirmed sign-on through ``site``, straight into the store."""
    store = state(app).store
    now = time.time()
    store.create_signon(
        SignOn(id=address, campaign="4p1000", site_key=site.key, email=address, lang="fr", status="pending",
               created_at=now, confirmed_at=None, consent_at=now, consent_version="v",
               answers={"organization": "Soil Lab", "org_type": "research", "country": "FR"}),
        Mail(to=address, subject="s", text="t", html="h"),
    )
    store.confirm_signon(address)


def qr_modules(url):
    """The dark modules of ``url``'s QR code as segno draws them (the poster's settings: level M, 4-module border)."""
    svg = segno.make_qr(url, error="m").svg_inline(border=4, dark="#000", lineclass=None)
    return re.search(r'<path[^>]*\sd="([^"]+)"', svg).group(1)


def poster(client, site, query="", **headers):
    return client.get(f"/host/sites/{site.key}/poster{query}", headers=headers)


def test_the_owner_gets_title_count_qr_code_and_address(app, client, inbox):
    site = add_site(app)
    other = add_site(app, name="École du Centre", owner="ecole@ville.example")
    for n in range(2):
        confirmed_signon(app, site, f"through-{n}@example.org")
    confirmed_signon(app, other, "elsewhere@example.org")
    sign_in(app, client, inbox, OWNER)

    response = poster(client, site, **{"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Déclaration d’intention pour les sols" in html  # the campaign's title (in the site's language)
    assert "Mairie de Villeneuve" in html
    assert "3 signatures" in html  # the campaign's count ...
    assert re.search(r"dont 2 via <bdi>Mairie de Villeneuve</bdi>", html)  # ... and the site's share, in French
    url = f"http://localhost/w/{site.key}?lang=fr"
    assert f">{url}</a>" in html  # printed under the code, for people without a scanner
    assert client.get(f"/w/{site.key}?lang=fr").status_code == 200  # a page that works

    svg = re.search(r"<svg[^>]*class=\"qr\".*?</svg>", html, re.S).group(0)
    assert re.match(r'<svg role="img" aria-label="[^"]*page de signature[^"]*"', svg)
    assert f"<title>QR code\xa0: la page de signature de" in svg and url in svg
    assert QR_PATH.search(html).group(1) == qr_modules(url)  # exactly that address ...
    assert qr_modules(url) != qr_modules(url.replace("?lang=fr", "?lang=en"))  # ... and not a near one
    assert "Scannez pour signer" in html and "Imprimer" in html


def test_the_address_is_the_public_one_when_configured(make_app, inbox):
    app = make_app(PLEDGE_PUBLIC_URL="https://pledge.example.org/")
    client = app.test_client()
    site = add_site(app, lang="de")
    sign_in(app, client, inbox, OWNER)
    html = poster(client, site).get_data(as_text=True)
    url = f"https://pledge.example.org/w/{site.key}?lang=de"
    assert f">{url}</a>" in html and QR_PATH.search(html).group(1) == qr_modules(url)


def test_only_the_owner_sees_the_poster(app, client, inbox):
    site = add_site(app)
    add_site(app, name="École du Centre", owner="ecole@ville.example")
    signed_out = app.test_client()
    assert poster(signed_out, site).status_code == 404

    other_host = app.test_client()
    sign_in(app, other_host, inbox, "ecole@ville.example")
    refused = poster(other_host, site)
    assert refused.status_code == 404 and "Mairie de Villeneuve" not in refused.get_data(as_text=True)
    assert poster(other_host, site, "?lang=fr").status_code == 404

    sign_in(app, client, inbox, OWNER)
    assert poster(client, site).status_code == 200  # the same address, for its owner
    assert client.get("/host/sites/not-a-site/poster").status_code == 404


def test_the_poster_speaks_the_sites_language_whatever_the_browser(app, client, inbox):
    site = add_site(app, lang="fr")
    sign_in(app, client, inbox, OWNER)
    html = poster(client, site, **{"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert "4 pour 1000\xa0: Déclaration d’intention" in html and "Objectif\xa0: 100\u202f000" in html  # a French number
    assert "Goal:" not in html and "4 per 1000: Declaration" not in html
    assert f"/w/{site.key}?lang=fr" in html

    chosen = poster(client, site, "?lang=es", **{"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es"' in chosen and f"/w/{site.key}?lang=es" in chosen
    junk = poster(client, site, "?lang=xx-<b>", **{"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr"' in junk  # not a language of the campaign: the site's

    plain = add_site(app, lang=None, name="Bibliothèque")  # no language of its own: the campaign's
    english = poster(client, plain, **{"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en"' in english and "Goal: 100,000" in english and f"/w/{plain.key}?lang=en" in english


def test_a_host_page_without_inline_styles(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    response = poster(client, site)
    html = response.get_data(as_text=True)
    assert "<svg" in html and "<path" in html
    assert not re.search(r"\sstyle\s*=", html, re.I) and "<style" not in html and "<script>" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert re.search(r'<button type="button" id="print"[^>]*>Imprimer</button>', html)
    assert 'src="/pledge-static/poster.js?v=' in html


def test_a_site_name_is_text_not_markup(app, client, inbox):
    site = add_site(app, name='<img src=x onerror="alert(1)"> Mairie')
    sign_in(app, client, inbox, OWNER)
    html = poster(client, site).get_data(as_text=True)
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; Mairie" in html


def test_the_print_stylesheet(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    html = poster(client, site).get_data(as_text=True)
    assert '<link rel="stylesheet" href="/pledge-static/poster.css?v=' in html
    css = client.get("/pledge-static/poster.css").get_data(as_text=True)
    assert re.search(r"@page\s*\{\s*size:\s*A4;\s*margin:", css) and "@media print" in css
    printed = css[css.index("@media print"):]
    assert ".host-bar" in printed and "#print" in printed and "display: none" in printed  # no navigation on paper
    assert "#000" in printed and "#fff" in printed
    script = client.get("/pledge-static/poster.js").get_data(as_text=True)
    assert "window.print()" in script


def test_the_dashboard_links_to_the_poster(app, client, inbox):
    site = add_site(app)
    sign_in(app, client, inbox, OWNER)
    html = client.get(f"/host/sites/{site.key}").get_data(as_text=True)
    assert f'href="/host/sites/{site.key}/poster"' in html


def test_printed_it_is_one_a4_sheet_without_the_navigation(live, page, inbox):
    owner = "poster-print@example.org"
    site = live.store.add_site("Mairie de Villeneuve", [live.host.origin], owner, "4p1000", lang="fr")
    page.goto(f"{live.url}/host/")
    page.locator("#email").fill(owner)
    page.locator("form button").click()
    [url] = re.findall(r"https?://\S+/host/login/\S+", inbox.wait_for(owner)[-1].get_body(("plain",)).get_content())
    page.goto(url)
    page.locator("form button").click()
    page.get_by_role("heading", name="Your sites").wait_for()

    page.goto(f"{live.url}/host/sites/{site.key}/poster")  # a browser asking for English (en-GB)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#print").is_visible() and page.locator(".host-bar").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("#print").is_visible() and not page.locator(".host-bar").is_visible()
    assert page.locator("svg.qr").is_visible() and page.locator(".poster-url").is_visible()
    assert page.locator(".poster h1").evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"

    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # the poster fits on one sheet
    [box] = {tuple(round(float(n)) for n in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    assert box == (595, 842)  # A4: 210 x 297 mm in points
