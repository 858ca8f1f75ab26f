"""The snippet's options on the widget page: data-mode (form, button, counter), data-min-count (the count
hidden on a young site), data-accent (a colour of enough contrast, served as a stylesheet); the contrast
function; and, in the browser, each mode on a host page of another origin."""
from __future__ import annotations

import re
import time
import uuid

import pytest

from conftest import VALID_ANSWERS, form_token
from test_accessibility import axe_page, axe_source  # noqa: F401  (fixtures)

from widget import state
from widget.snippet import contrast_ratio, hex_colour, snippet, usable_accent
from widget.store import Mail, SignOn


def confirm_some(store, site_key: str, n: int) -> None:
    """``n`` confirmed sign-ons through a site, straight into the store."""
    now = time.time()
    for _ in range(n):
        signon_id = uuid.uuid4().hex
        store.create_signon(
            SignOn(id=signon_id, campaign="4p1000", site_key=site_key, email=f"{signon_id}@example.org", lang="en",
                   status="pending", created_at=now, confirmed_at=None, consent_at=now, consent_version="v",
                   answers={"organization": "Soil Lab"}),
            Mail(to=f"{signon_id}@example.org", subject="s", text="t", html="h"),
        )
        store.confirm_signon(signon_id)


def page_of(client, site, query: str = "") -> str:
    response = client.get(f"/w/{site.key}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- the contrast check --------------------------------------------------------------------------


def test_contrast_ratio_follows_wcag():
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777") == pytest.approx(4.48, abs=0.005) and contrast_ratio("#777777") < 4.5
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#000000", "#ffffff") == contrast_ratio("#ffffff", "#000000")


def test_only_readable_hex_colours_are_accents():
    assert usable_accent("#767676") == "#767676"
    assert usable_accent("#1D5E2B") == "#1d5e2b"
    assert usable_accent("#777777") is None  # 4.48: too pale for white text
    assert usable_accent("#ffff00") is None
    for junk in (None, "", "red", "#12345", "#1234567", "#12345g", "javascript:alert(1)", "#123456;}"):
        assert usable_accent(junk) is None and hex_colour(junk) is None


# -- snippet() -----------------------------------------------------------------------------------


def test_snippet_options_become_escaped_data_attributes():
    plain = snippet("https://p.example/", "KEY", "Sign <here>")
    assert plain == ('<a class="pledge-widget" href="https://p.example/w/KEY" style="display:block;height:100vh">'
                     'Sign &lt;here&gt;</a>\n'
                     '<script async src="https://p.example/embed.js"></script>')
    assert snippet("https://p.example", "KEY", "Sign <here>", mode=None, lang="", min_count=None) == plain
    full = snippet("https://p.example", "KEY", "T", mode="button", lang="fr", theme="dark", min_count=10,
                   accent="#123456")
    assert full.startswith('<a class="pledge-widget" href="https://p.example/w/KEY" data-mode="button" data-lang="fr" '
                           'data-theme="dark" data-min-count="10" data-accent="#123456" '
                           'style="display:block;height:121px">T</a>')
    assert 'data-lang="&#34;&gt;&lt;script&gt;"' in snippet("https://p.example", "KEY", "T", lang='"><script>')
    with pytest.raises(TypeError):
        snippet("https://p.example", "KEY", "T", colour="#123456")


# -- the modes -----------------------------------------------------------------------------------


def test_form_is_the_default_mode_and_unknown_modes_are_the_form(client, site):
    for query in ("", "?mode=form", "?mode=table", "?mode=<script>"):
        page = page_of(client, site, query)
        assert 'id="signon"' in page and "<progress" in page and 'id="sign-panel"' not in page
        assert 'class="widget mode-form"' in page


def test_button_mode_is_a_compact_button_that_opens_the_form(client, site):
    page = page_of(client, site, "?mode=button&lang=fr&theme=dark&origin=https://lycee.example")
    assert '<button type="button" id="sign-open" aria-controls="sign-panel" aria-expanded="false" hidden>Signer</button>' in page
    assert '<div class="panel" id="sign-panel" hidden>' in page  # the form waits inside, closed
    assert 'id="sign-close"' in page
    assert '<p class="total" id="count">0 signature</p>' in page and "<progress" not in page
    # Without JavaScript: a link to the whole form, as a page, with the same options.
    link = re.search(r'<a class="button" id="sign-link" href="([^"]+)">Signer</a>', page).group(1)
    assert link.startswith(f"/w/{site.key}?") and "mode=form" in link and "theme=dark" in link and "lang=fr" in link
    assert f'action="/w/{site.key}?mode=button&amp;lang=fr' in page  # the form keeps its mode


def test_button_mode_keeps_the_form_open_after_errors_and_its_mode_after_signing(client, site):
    query = "?mode=button&theme=dark"
    response = client.post(f"/w/{site.key}{query}", data={"form_token": form_token(client, site.key, query)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="error-summary"' in page
    assert '<div class="panel" id="sign-panel">' in page and 'aria-expanded="true"' in page
    data = dict(VALID_ANSWERS, email="button@example.org", form_token=form_token(client, site.key, query))
    response = client.post(f"/w/{site.key}{query}", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/w/{site.key}/sent?mode=button&theme=dark&lang=en"
    sent = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your inbox" in sent and 'id="sign-panel"' not in sent and 'id="signon"' not in sent
    assert "mode=button" in sent  # the language links keep the mode


def test_counter_mode_shows_the_count_and_a_link_to_the_form_in_a_new_tab(client, site):
    page = page_of(client, site, "?mode=counter&theme=auto")
    assert "<progress" in page and "0 through this site" in page and 'id="signon"' not in page
    link = re.search(r'<a class="button" href="([^"]+)" target="_blank" rel="noopener">Sign'
                     r'<span class="visually-hidden"> \(opens in a new tab\)</span></a>', page)
    assert link and "mode=form" in link.group(1) and "theme=auto" in link.group(1)


@pytest.mark.parametrize("mode", ["form", "button", "counter"])
def test_the_count_stays_hidden_below_min(app, client, site, mode):
    confirm_some(state(app).store, site.key, 2)
    hidden = page_of(client, site, f"?mode={mode}&min=3")
    assert "2 signatures" not in hidden and "<progress" not in hidden and "through this site" not in hidden
    shown = page_of(client, site, f"?mode={mode}&min=2")
    assert "2 signatures" in shown
    assert ("<progress" in shown) == (mode != "button")  # the compact button shows the number alone
    for junk in ("-1", "x", "", "2.5"):  # no valid minimum: shown
        assert "2 signatures" in page_of(client, site, f"?mode={mode}&min={junk}")
    # The count is the site's: a campaign total from other sites does not unhide it.
    other = state(app).store.add_site("Mairie", ["https://mairie.example"], "m@mairie.example", "4p1000")
    confirm_some(state(app).store, other.key, 5)
    assert "signatures" not in page_of(client, site, f"?mode={mode}&min=3").split("</h1>", 1)[1].split("<aside", 1)[0]


# -- the accent ----------------------------------------------------------------------------------


def test_accent_stylesheet_is_served_for_readable_colours_only(client):
    response = client.get("/w/accent/1f4e79.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in response.headers
    css = response.get_data(as_text=True)
    assert ':root[data-theme="light"] { --accent: #1f4e79; }' in css
    assert ':root[data-theme="auto"] { --accent: #1f4e79; }' in css and "prefers-color-scheme: light" in css
    assert "dark" not in css.replace('data-theme="light"', "")  # the dark theme keeps its own palette
    assert client.get("/w/accent/1F4E79.css").status_code == 200
    for bad in ("777777", "ffffff", "12345", "1234567", "12345g", "red"):
        assert client.get(f"/w/accent/{bad}.css").status_code == 404


def test_the_widget_links_a_valid_accent_and_ignores_a_pale_one(client, site):
    link = '<link rel="stylesheet" href="/w/accent/1f4e79.css">'
    for mode in ("form", "button", "counter"):
        assert link in page_of(client, site, f"?mode={mode}&accent=%231f4e79")
    assert link in page_of(client, site, "?accent=%231F4E79")
    for pale in ("%23777777", "%23ffff00", "red", "%231f4e7"):
        assert "/w/accent/" not in page_of(client, site, f"?accent={pale}")
    # The widget's own CSP allows no inline style but its own stylesheet (by hash): the accent is a
    # stylesheet of our own.
    response = client.get(f"/w/{site.key}?accent=%231f4e79")
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+';", response.headers["Content-Security-Policy"])
    assert "style=" not in response.get_data(as_text=True)


# -- in the browser, on a host page of another origin ----------------------------------------


def fresh_site(live, name: str):
    """A site of the live service with no signature yet, on the host page's origin."""
    return live.store.add_site(name, [live.host.origin], f"{uuid.uuid4().hex[:8]}@example.org", "4p1000")


def frame_height(page) -> float:
    return page.eval_on_selector("iframe", "e => e.getBoundingClientRect().height")


def test_the_loader_passes_every_option_as_a_query_parameter(live, page):
    from test_loader import iframe_sources

    options = {"mode": "button", "lang": "fr", "theme": "dark", "min-count": "10", "accent": "#1f4e79"}
    page.goto(live.host.add("all-options", live.snippet(**options), lang="de"))
    [src] = iframe_sources(page)
    assert src == {"path": f"/w/{live.site_key}", "mode": "button", "lang": "fr", "theme": "dark", "min": "10",
                   "accent": "#1f4e79", "hl": "de", "origin": live.host.origin}


def test_button_snippet_opens_the_form_in_its_frame(live, page):
    site = fresh_site(live, "Button school")
    confirm_some(live.store, site.key, 3)
    page.goto(live.host.add("button-mode", live.snippet(site.key, mode="button")))
    frame = page.frame_locator("iframe")
    opener = frame.locator("#sign-open")
    opener.wait_for()
    total = live.store.counts("4p1000", site.key).total  # the campaign's: other tests sign on the live service too
    assert frame.locator("#count").inner_text() == f"{total:,} signatures"
    assert frame.get_by_role("link", name="Sign").count() == 0  # the script made the link a button
    page.wait_for_function("document.querySelector('iframe').style.height.endsWith('px')")
    page.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height < 300")
    closed = frame_height(page)

    def focused_id() -> str:
        return frame.locator(":focus").evaluate("e => e.id")

    opener.focus()
    page.keyboard.press("Enter")
    frame.locator("#signon").wait_for()
    assert opener.get_attribute("aria-expanded") == "true"
    assert focused_id() == "name"  # the form's first field
    page.wait_for_function(f"document.querySelector('iframe').getBoundingClientRect().height > {closed + 300}")
    page.keyboard.press("Escape")
    frame.locator("#signon").wait_for(state="hidden")
    assert focused_id() == "sign-open" and opener.get_attribute("aria-expanded") == "false"
    page.wait_for_function(f"document.querySelector('iframe').getBoundingClientRect().height <= {closed + 1}")

    opener.click()
    frame.locator("#signon").wait_for()
    assert focused_id() == "name"
    frame.get_by_role("button", name="Close").click()
    frame.locator("#signon").wait_for(state="hidden")
    assert focused_id() == "sign-open"


def test_counter_snippet_shows_the_progress_bar_and_a_link(live, page):
    site = fresh_site(live, "Counter school")
    page.goto(live.host.add("counter-mode", live.snippet(site.key, mode="counter", accent="#1f4e79")))
    frame = page.frame_locator("iframe")
    frame.locator("progress").wait_for()
    link = frame.get_by_role("link", name="Sign (opens in a new tab)")
    assert link.get_attribute("target") == "_blank" and "mode=form" in link.get_attribute("href")
    assert frame.locator("#signon").count() == 0
    # The accent (enough contrast with white) colours the link-button.
    assert link.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(31, 78, 121)"
    with page.context.expect_page() as opened:
        link.click()
    form_page = opened.value
    form_page.wait_for_load_state()
    assert form_page.locator("#signon").count() == 1
    form_page.close()


def test_min_count_hides_the_count_of_a_young_site(live, page):
    site = fresh_site(live, "Young school")
    confirm_some(live.store, site.key, 1)
    body = live.snippet(site.key, **{"min-count": "5"}) + live.snippet(site.key, mode="counter", **{"min-count": "1"})
    page.goto(live.host.add("min-count", body))
    young, counted = page.frame_locator("iframe").nth(0), page.frame_locator("iframe").nth(1)
    young.locator("#signon").wait_for()
    counted.locator("progress").wait_for()
    assert young.locator("#count").count() == 0 and young.locator("progress").count() == 0
    assert "signature" not in young.locator("main").inner_text().split("Read the text you sign")[0]
    assert "1 through this site" in counted.locator("#count").inner_text()
    srcs = page.eval_on_selector_all("iframe", "els => els.map(e => e.src)")
    assert "min=5" in srcs[0] and "mode=counter" in srcs[1] and "min=1" in srcs[1]


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_button_and_counter_widgets_have_no_violations(live, axe_page, lang):  # noqa: F811
    site = fresh_site(live, f"Axe modes {lang}")
    confirm_some(live.store, site.key, 2)
    base = f"{live.url}/w/{site.key}?lang={lang}&origin={live.url}"

    def open_the_form(page):
        page.locator("#sign-open").click()
        page.locator("#signon").wait_for()

    axe_page(f"{base}&mode=button")
    axe_page(f"{base}&mode=button", before=open_the_form)
    axe_page(f"{base}&mode=button&theme=dark", "dark", before=open_the_form)
    axe_page(f"{base}&mode=counter&accent=%231f4e79")
    axe_page(f"{base}&mode=counter&theme=auto", "dark")
