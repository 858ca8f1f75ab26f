"""Reach (issue 20), over HTTP: the builder's three snippets (script, frame only, plain link) and its
instructions per site builder; the origin line ``*``; oEmbed's answers, bad input and ``maxwidth``."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from test_host import CSRF, sign_in

from widget import state
from widget.snippet import FRAME_HEIGHTS, frame_snippet, link_snippet

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


@pytest.mark.parametrize("platform, snippet_name", [
    ("html", "The script snippet"), ("wordpress", "The script snippet"), ("drupal", "The script snippet"),
    ("joomla", "The script snippet"), ("squarespace", "The script snippet"),
    ("wix", "The frame snippet"), ("google_sites", "The frame snippet"),
])
def test_the_builder_says_how_per_site_builder(host, site, platform, snippet_name):
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
