"""Reach (issue 20), over HTTP: the builder's three snippets (script, frame only, plain link) and its
instructions per site builder; the origin line ``*``; oEmbed's answers, bad input and ``maxwidth``."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import path_of
from test_host import CSRF, sign_in

from widget import state
from widget.snippet import FRAME_HEIGHTS, RESERVED_HEIGHTS, frame_snippet, link_snippet

ROOT = Path(__file__).resolve().parent.parent
TITLE = "4 per 1000: Declaration of Intent for soils, food security and the climate"


def code_of(page: str, element_id: str) -> str:
    found = re.search(rf'<pre dir="ltr" id="{element_id}" data-live><code>(.*?)</code></pre>', page, re.S)
    return html.unescape(found.group(1))


@pytest.fixture
def host(app, client, site, inbox):
    """The site's owner, signed in on ``client``."""
    sign_in(app, client, inbox, site.owner_email)
    return client


def builder(client, site, query: str = "") -> str:
    response = client.get(f"/host/sites/{site.key}/snippet{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# -- three snippets ----------------------------------------------------------------------------------


def test_the_builder_offers_the_frame_snippet_and_the_plain_link(host, site):
    page = builder(host, site)
    assert code_of(page, "snippet").startswith('<a class="pledge-widget"')  # the script snippet, as before
    assert code_of(page, "snippet-frame") == (
        f'<iframe src="http://localhost/w/{site.key}" title="{TITLE}" loading="lazy" height="1800" '
        'style="width:100%;max-width:100%;border:0"></iframe>'
    )
    assert code_of(page, "snippet-link") == f'<a href="http://localhost/w/{site.key}">{TITLE}</a>'
    for heading in ("The script snippet", "The frame snippet", "The plain link"):
        assert f">{heading}</h3>" in page


def test_the_frame_snippet_carries_the_options_and_the_modes_height(host, site):
    page = builder(host, site, "?mode=counter&theme=dark&min=5&accent=%231f4e79&snippet_lang=fr")
    frame = code_of(page, "snippet-frame")
    src = html.unescape(re.search(r'src="([^"]+)"', frame).group(1))
    assert src == f"http://localhost/w/{site.key}?mode=counter&lang=fr&theme=dark&min=5&accent=%231f4e79"
    assert 'height="240"' in frame and 'loading="lazy"' in frame and 'title="' in frame
    assert code_of(page, "snippet-link").startswith(f'<a href="http://localhost/w/{site.key}?lang=fr">')
    list_frame = code_of(builder(host, site, "?mode=list&scope=campaign"), "snippet-frame")
    assert "mode=list&amp;scope=campaign" in list_frame and 'height="800"' in list_frame


def test_the_builder_writes_source_codes_into_the_script_and_frame_snippets(host, site):
    page = builder(host, site, "?mode=counter&utm_source=newsletter&utm_medium=e%20mail&utm_campaign=+spring-2027+")
    assert ('data-mode="counter" data-utm-source="newsletter" data-utm-medium="e mail" '
            'data-utm-campaign="spring-2027" style=') in code_of(page, "snippet")
    src = html.unescape(re.search(r'src="([^"]+)"', code_of(page, "snippet-frame")).group(1))
    # In the fragment, where the widget reads them: never in the query the server sees.
    assert src == (f"http://localhost/w/{site.key}?mode=counter"
                   "#utm_source=newsletter&utm_medium=e+mail&utm_campaign=spring-2027")
    assert "utm" not in code_of(page, "snippet-link")
    assert 'id="utm_medium" name="utm_medium" dir="auto" autocomplete="off" spellcheck="false" value="e mail"' in page
    # Escaped where they go; a code the widget would drop is named, left out, and the others kept.
    page = builder(host, site, f"?utm_source=%3C%22x%22%3E&utm_medium={'m' * 65}&utm_campaign=a%0Ab")
    code = code_of(page, "snippet")
    assert ' data-utm-source="&lt;&#34;x&#34;&gt;" style=' in code
    assert "utm-medium" not in code and "utm-campaign" not in code
    assert "#utm_source=%3C%22x%22%3E" in code_of(page, "snippet-frame")
    message = "Please give at most 64 characters, with no line breaks or invisible characters."
    assert page.count(message) == 4  # in the summary and beside each of the two fields
    assert '<a href="#utm_medium">' in page and 'aria-invalid="true" aria-describedby="utm_campaign-error"' in page
    assert "data-utm" not in code_of(builder(host, site, f"?utm_source={'s' * 64}%E2%80%AE"), "snippet")
    assert f'data-utm-source="{"s" * 64}"' in code_of(builder(host, site, f"?utm_source={'s' * 64}"), "snippet")


def test_snippets_refuse_unknown_source_codes():
    with pytest.raises(TypeError):
        frame_snippet("https://pledge.example", "k", "t", utm={"utm_term": "x"})


def test_frame_and_link_escape_what_they_carry():
    frame = frame_snippet("https://pledge.example/", "k", 'A "quoted" <title>', mode="button", accent="#1f4e79")
    assert frame.startswith('<iframe src="https://pledge.example/w/k?mode=button&amp;accent=%231f4e79" '
                            'title="A &#34;quoted&#34; &lt;title&gt;"')
    assert 'height="1800"' in frame
    assert link_snippet("https://pledge.example", "k", "<b>") == '<a href="https://pledge.example/w/k">&lt;b&gt;</a>'
    with pytest.raises(TypeError):
        frame_snippet("https://pledge.example", "k", "t", colour="red")


def test_frame_heights_are_the_wordpress_plugins():
    """A frame without our loader has the same height whether a host pastes it or the plugin writes it."""
    php = (ROOT / "integrations/wordpress/pledge-widget/includes/embed.php").read_text()
    block = re.search(r"const PLEDGE_WIDGET_MODES = array\((.*?)\);", php, re.S).group(1)
    assert dict((m, int(h)) for m, h in re.findall(r"'(\w+)'\s*=>\s*(\d+)", block)) == FRAME_HEIGHTS
    # And the room the script snippet's link reserves until the loader's frame takes its place.
    block = re.search(r"const PLEDGE_WIDGET_RESERVED = array\((.*?)\);", php, re.S).group(1)
    assert dict(re.findall(r"'(\w+)'\s*=>\s*'(\d+(?:px|vh))'", block)) == RESERVED_HEIGHTS


def test_the_widget_page_works_in_a_bare_frame(app, client, site):
    """What the frame snippet loads: the widget page without ``origin`` nor ``hl``, framed by the site's
    origins only, talking to no parent."""
    response = client.get(f"/w/{site.key}?mode=counter", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {site.origins[0]}" in csp
    body = response.get_data(as_text=True)
    assert 'data-host-origin=""' in body and 'lang="fr"' in body


# -- site builders and the origin line * -------------------------------------------------------------


def edit_origins(client, site, origins: str):
    page = client.get(f"/host/sites/{site.key}/edit").get_data(as_text=True)
    assert 'id="origins-any"' in page  # the warning line, beside the field
    return client.post(f"/host/sites/{site.key}/edit",
                       data={"csrf_token": CSRF.search(page).group(1), "name": site.name, "origins": origins})


def test_the_origin_line_star_lets_any_page_frame_the_widget(app, host, client, site):
    assert edit_origins(host, site, "https://lycee.example\n *  ").status_code == 303
    assert state(app).store.get_site(site.key).origins == ("https://lycee.example", "*")
    response = client.get(f"/w/{site.key}?origin=https://sites.googleusercontent.example")
    assert "frame-ancestors 'self' https://lycee.example *;" in response.headers["Content-Security-Policy"] + ";"
    # The widget talks to whatever page frames it (its height), if the loader named a real origin.
    assert 'data-host-origin="https://sites.googleusercontent.example"' in response.get_data(as_text=True)
    for odd in ("https://a.example/path", "javascript:alert(1)", "*"):
        assert 'data-host-origin=""' in client.get(f"/w/{site.key}", query_string={"origin": odd}).get_data(as_text=True)


def test_a_star_inside_an_address_stays_refused(app, host, site):
    response = edit_origins(host, site, "https://*.lycee.example")
    assert response.status_code == 400
    assert "a * inside an address is not allowed" in html.unescape(response.get_data(as_text=True))
    assert "*" not in state(app).store.get_site(site.key).origins


def test_without_star_other_pages_are_told_nothing(app, client, site):
    response = client.get(f"/w/{site.key}?origin=https://elsewhere.example")
    assert "*" not in response.headers["Content-Security-Policy"].split("frame-ancestors")[1].split(";")[0]
    assert 'data-host-origin=""' in response.get_data(as_text=True)


def test_the_command_line_takes_star(app, runner):
    result = runner.invoke(args=["pledge", "site", "add", "--name", "Google school", "--origin", "*",
                                 "--email", "gs@school.example", "--json"])
    assert result.exit_code == 0, result.output
    assert state(app).store.get_site(json.loads(result.stdout)["key"]).origins == ("*",)


PLATFORMS = [("html", "The script snippet"), ("wordpress", "The script snippet"), ("drupal", "The script snippet"),
             ("joomla", "The script snippet"), ("squarespace", "The script snippet"),
             ("wix", "The frame snippet"), ("google_sites", "The frame snippet")]


def test_the_builder_says_how_per_site_builder(host, site):
    for platform, snippet_name in PLATFORMS:
        says_how(host, site, platform, snippet_name)


def says_how(host, site, platform: str, snippet_name: str) -> None:
    page = builder(host, site, f"?platform={platform}")
    help_block = html.unescape(re.search(r'<div id="platform-help".*?</div>', page, re.S).group(0))
    assert f"<strong>{snippet_name}.</strong>" in help_block
    assert f'<option value="{platform}" selected>' in page
    framed = platform in ("wix", "google_sites")
    assert ("Add the line * to your site’s addresses" in help_block) is framed
    assert ("must list the address of its pages" in help_block) is not framed
    if platform == "wordpress":
        assert f'[pledge_widget key="{site.key}"]' in help_block


def test_the_builder_says_when_the_site_has_the_star_line(app, host, site):
    state(app).store.update_site(site.key, origins=["*"])
    help_block = html.unescape(re.search(r'<div id="platform-help".*?</div>', builder(host, site, "?platform=wix"), re.S).group(0))
    assert "Your site has it." in help_block and "Add the line *" not in help_block
    assert builder(host, site, "?platform=nonsense").count('<option value="html" selected>') == 1


# -- oEmbed ------------------------------------------------------------------------------------------


def discovery(client, path: str) -> str:
    """The oEmbed discovery link's address on a widget page."""
    page = client.get(path).get_data(as_text=True)
    [href] = re.findall(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page)
    return html.unescape(href)


def test_widget_pages_name_their_oembed_answer(client, site):
    href = discovery(client, f"/w/{site.key}?mode=counter&hl=fr&origin=https://lycee.example&theme=dark")
    # The widget's own address with the snippet's options, never the loader's hl nor origin.
    widget = f"http://localhost/w/{site.key}?mode=counter&theme=dark"
    assert href == "http://localhost/oembed?" + urlencode({"url": widget, "format": "json"})
    answer = client.get(path_of(href))
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert {k: body[k] for k in ("version", "type", "width", "height", "title", "provider_url")} == {
        "version": "1.0", "type": "rich", "width": 672, "height": FRAME_HEIGHTS["counter"], "title": TITLE,
        "provider_url": "http://localhost/"}
    assert body["provider_name"] == "Pledge widget"
    assert body["html"] == (f'<iframe src="http://localhost/w/{site.key}?mode=counter&amp;theme=dark" title="{TITLE}" '
                            'loading="lazy" width="672" height="240" style="width:100%;max-width:672px;border:0"></iframe>')


def test_the_oembed_answer_is_cached_like_the_widget_page(app, client, site):
    url = f"/oembed?url=http://localhost/w/{site.key}"
    first = client.get(url)
    seconds = app.config["PLEDGE_CACHE_SECONDS"]
    assert first.headers["Cache-Control"] == client.get(f"/w/{site.key}").headers["Cache-Control"]
    assert first.headers["Cache-Control"].startswith(f"public, max-age={seconds}")
    assert first.headers["Access-Control-Allow-Origin"] == "*" and first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert first.get_json()["cache_age"] == seconds


def test_maxwidth_and_maxheight_are_honoured(client, site):
    url = f"http://localhost/w/{site.key}"
    small = client.get("/oembed", query_string={"url": url, "maxwidth": "320", "maxheight": "500"}).get_json()
    assert (small["width"], small["height"]) == (320, 500)
    assert 'width="320" height="500"' in small["html"] and "max-width:320px" in small["html"]
    wide = client.get("/oembed", query_string={"url": url, "maxwidth": "5000", "maxheight": "99999999999"}).get_json()
    assert (wide["width"], wide["height"]) == (672, 1800)  # never wider than the widget, nor taller than its frame


BAD_SIZES = [({"format": "xml"}, 501), ({"format": "json", "maxwidth": "0"}, 400), ({"maxwidth": "-5"}, 400),
             ({"maxwidth": "12px"}, 400), ({"maxheight": "1e3"}, 400)]


def test_oembed_bad_format_and_sizes(client, site):
    for query, status in BAD_SIZES:
        response = client.get("/oembed", query_string={"url": f"http://localhost/w/{site.key}", **query})
        assert response.status_code == status and response.is_json, query
        assert response.get_json()["error"] == {400: "bad_request", 501: "not_implemented"}[status]


OTHER_URLS = [
    None, "", "not a url", "http://localhost/", "http://localhost/w/", "http://localhost/w/unknown-key",
    "http://localhost/w/{key}/sent", "http://localhost/c/4p1000/signatories", "https://localhost/w/{key}",
    "http://evil.example/w/{key}", "http://localhost.evil.example/w/{key}", "http://user@localhost/w/{key}",
    "http://localhost:8080/w/{key}", "javascript:alert(1)//localhost/w/{key}", "http://localhost/w/{key} x",
    "http://localhost/w//{key}", "http://localhost/w/{key}\n", "http://localhost/w/" + "k" * 3000,
]


def test_oembed_404s_any_other_url(client, site):
    for url in OTHER_URLS:
        query = {} if url is None else {"url": url.replace("{key}", site.key)}
        response = client.get("/oembed", query_string=query)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", url
        assert "public" not in response.headers.get("Cache-Control", "")


def test_oembed_of_a_disabled_site_is_404(app, client):
    other = state(app).store.add_site("Off", ["https://off.example"], "w@off.example", "4p1000", key="off",
                                      status="disabled")
    assert client.get("/oembed", query_string={"url": f"http://localhost/w/{other.key}"}).status_code == 404


def test_oembed_addresses_come_from_the_public_url(make_app):
    app = make_app(PLEDGE_PUBLIC_URL="https://pledge.example.org/p", PLEDGE_URL_PREFIX="/p")
    site = state(app).store.add_site("S", ["https://s.example"], "w@s.example", "4p1000")
    client = app.test_client()
    href = discovery(client, f"/p/w/{site.key}?lang=fr")
    assert href.startswith("https://pledge.example.org/p/oembed?url=https%3A%2F%2Fpledge.example.org%2Fp%2Fw%2F")
    # Asked on another name, the answer still points at the public address; the request's host is not ours.
    answer = client.get("/p/oembed", query_string={"url": f"https://pledge.example.org/p/w/{site.key}?lang=fr"},
                        headers={"Host": "other.example"}).get_json()
    assert answer["provider_url"] == "https://pledge.example.org/p/"
    assert f'src="https://pledge.example.org/p/w/{site.key}?lang=fr"' in answer["html"]
    assert answer["title"].startswith("4 pour 1000")
    for url in (f"http://localhost/p/w/{site.key}", f"http://other.example/p/w/{site.key}",
                f"https://pledge.example.org/w/{site.key}"):
        assert client.get("/p/oembed", query_string={"url": url}).status_code == 404


def test_without_public_url_each_host_gets_its_own_links(make_app):
    app = make_app(PLEDGE_TRUSTED_HOSTS="a.example,b.example", PLEDGE_CACHE_SECONDS=60)
    site = state(app).store.add_site("S", ["https://s.example"], "w@s.example", "4p1000")
    client = app.test_client()
    for host in ("a.example", "b.example", "a.example"):
        page = client.get(f"/w/{site.key}?hl=en", headers={"Host": host}).get_data(as_text=True)
        assert f'href="http://{host}/oembed?url=http%3A%2F%2F{host}%2Fw%2F' in page


def test_the_dashboard_names_the_star_line_in_plain_words(app, host, site):
    state(app).store.update_site(site.key, origins=["https://lycee.example", "*"])
    page = html.unescape(host.get(f"/host/sites/{site.key}").get_data(as_text=True))
    assert "any page may show the widget; only the addresses listed here are followed." in page
    assert page.count("not seen yet: is the snippet on a page of") == 1  # https://lycee.example only
